package dev.meridian.policy.cors;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/**
 * Applies one validated {@link CorsConfig}; thread-safe, its only field is immutable.
 *
 * <p>It runs at {@link Policy#ORDER_EDGE}: a browser sends a preflight without credentials, so
 * an authentication policy that saw it first would refuse it (Kong #4423) and the actual request
 * would never be made. A preflight is answered here, 204 without the upstream, or refused with
 * 403; any other request goes on untouched, and its answer (the upstream's, or a later policy's
 * rejection, so a browser can read a 401) gets the allow headers in the response phase.
 */
final class CorsPolicy implements Policy {

    static final String ORIGIN = "Origin";
    static final String REQUEST_METHOD = "Access-Control-Request-Method";
    static final String REQUEST_HEADERS = "Access-Control-Request-Headers";
    static final String ALLOW_ORIGIN = "Access-Control-Allow-Origin";
    static final String ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials";
    static final String ALLOW_METHODS = "Access-Control-Allow-Methods";
    static final String ALLOW_HEADERS = "Access-Control-Allow-Headers";
    static final String EXPOSE_HEADERS = "Access-Control-Expose-Headers";
    static final String MAX_AGE = "Access-Control-Max-Age";

    static final String ORIGIN_REFUSED = "CORS: origin not allowed";
    static final String METHOD_REFUSED = "CORS: method not allowed";
    static final String HEADERS_REFUSED = "CORS: request header not allowed";

    private final CorsConfig config;

    CorsPolicy(CorsConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public int order() {
        return ORDER_EDGE;
    }

    @Override
    public Decision onRequest(PolicyRequest request) {
        if (!isPreflight(request)) {
            return Decision.proceed();
        }
        String origin = request.header(ORIGIN).orElseThrow();
        String method = request.header(REQUEST_METHOD).orElseThrow();
        if (!allowed(origin)) {
            return Decision.reject(403, ORIGIN_REFUSED);
        }
        // safelisted methods pass a browser's check whatever Allow-Methods says (Fetch, CORS-preflight fetch)
        if (!config.anyMethod() && !config.methods().contains(method) && !CorsConfig.SAFELISTED_METHODS.contains(method)) {
            return Decision.reject(403, METHOD_REFUSED);
        }
        String requested = String.join(",", request.headers(REQUEST_HEADERS));
        if (!config.anyHeader() && !headersAllowed(requested)) {
            return Decision.reject(403, HEADERS_REFUSED);
        }

        Map<String, String> headers = new LinkedHashMap<>();
        allowOrigin(origin, headers);
        // a literal "*" means "any" only without credentials and never covers Authorization: echo instead
        headers.put(ALLOW_METHODS, config.anyMethod() ? method : config.allowMethods());
        String allowHeaders = config.anyHeader() ? requested.strip() : config.allowHeaders();
        if (!allowHeaders.isEmpty()) {
            headers.put(ALLOW_HEADERS, allowHeaders);
        }
        config.maxAge().ifPresent(seconds -> headers.put(MAX_AGE, seconds));
        if (!config.anyOrigin()) {
            headers.put(Vary.VARY, Vary.ORIGIN);
        }
        return Decision.respond(204, headers);
    }

    /**
     * Writes the allow headers of an actual request's answer, replacing any the upstream wrote
     * (this policy owns CORS for its API), and {@code Vary: Origin} on every answer unless the
     * origins are {@code *}: with a list, the answer depends on the origin even when it carries
     * no allow header, and a cached copy must not cross origins.
     */
    @Override
    public Decision onResponse(PolicyRequest request, PolicyResponse response) {
        if (!config.anyOrigin()) {
            Vary.addOrigin(response);
        }
        if (isPreflight(request)) {
            return Decision.proceed(); // answered (or refused) by onRequest
        }
        response.removeHeader(ALLOW_ORIGIN);
        response.removeHeader(ALLOW_CREDENTIALS);
        response.removeHeader(EXPOSE_HEADERS);
        Optional<String> origin = request.header(ORIGIN);
        if (origin.isPresent() && allowed(origin.get())) {
            response.setHeader(ALLOW_ORIGIN, config.anyOrigin() ? CorsConfig.ANY : origin.get());
            if (config.credentials()) {
                response.setHeader(ALLOW_CREDENTIALS, "true");
            }
            if (!config.exposeHeaders().isEmpty()) {
                response.setHeader(EXPOSE_HEADERS, config.exposeHeaders());
            }
        }
        return Decision.proceed();
    }

    private void allowOrigin(String origin, Map<String, String> headers) {
        headers.put(ALLOW_ORIGIN, config.anyOrigin() ? CorsConfig.ANY : origin);
        if (config.credentials()) {
            headers.put(ALLOW_CREDENTIALS, "true");
        }
    }

    private boolean allowed(String origin) {
        return config.anyOrigin() || config.origins().contains(origin);
    }

    /** OPTIONS with {@code Origin} and {@code Access-Control-Request-Method}; any other OPTIONS is an ordinary request. */
    private static boolean isPreflight(PolicyRequest request) {
        return "OPTIONS".equals(request.method()) && request.header(ORIGIN).isPresent()
                && request.header(REQUEST_METHOD).isPresent();
    }

    private boolean headersAllowed(String requested) {
        for (String name : List.of(requested.split(","))) {
            String trimmed = name.strip();
            if (!trimmed.isEmpty() && !config.headers().contains(trimmed)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "cors{origins=" + (config.anyOrigin() ? CorsConfig.ANY : config.origins()) + ", credentials="
                + config.credentials() + "}";
    }
}
