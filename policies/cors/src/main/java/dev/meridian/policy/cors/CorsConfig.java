package dev.meridian.policy.cors;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

/**
 * The validated configuration of one {@code cors} entry. Immutable; the header values the policy
 * writes ({@link #allowMethods}, {@link #allowHeaders}, {@link #exposeHeaders}, {@link #maxAge})
 * are joined once here, not per request.
 *
 * @param anyOrigin {@code origins: ["*"]}: every origin, answered with {@code Access-Control-Allow-Origin: *}
 * @param origins the allowed origins, serialized as browsers send them ({@code https://app.example:8443}); case-insensitive
 * @param anyMethod {@code methods: ["*"]}: every method, echoed back in a preflight answer
 * @param methods the allowed methods (case-sensitive, as Fetch compares them)
 * @param allowMethods {@code Access-Control-Allow-Methods} of a preflight answer
 * @param anyHeader {@code headers: ["*"]}: every request header, echoed back in a preflight answer
 * @param headers the allowed request headers; case-insensitive
 * @param allowHeaders {@code Access-Control-Allow-Headers} of a preflight answer, empty for none
 * @param exposeHeaders {@code Access-Control-Expose-Headers} of actual answers, empty for none
 * @param credentials whether answers carry {@code Access-Control-Allow-Credentials: true}
 * @param maxAge {@code Access-Control-Max-Age} in seconds, when configured
 */
record CorsConfig(
        boolean anyOrigin,
        Set<String> origins,
        boolean anyMethod,
        Set<String> methods,
        String allowMethods,
        boolean anyHeader,
        Set<String> headers,
        String allowHeaders,
        String exposeHeaders,
        boolean credentials,
        Optional<String> maxAge) {

    static final String ORIGINS = "origins";
    static final String METHODS = "methods";
    static final String HEADERS = "headers";
    static final String EXPOSE_HEADERS = "exposeHeaders";
    static final String CREDENTIALS = "credentials";
    static final String MAX_AGE = "maxAge";
    static final String ANY = "*";

    private static final List<String> FIELDS = List.of(ORIGINS, METHODS, HEADERS, EXPOSE_HEADERS, CREDENTIALS, MAX_AGE);

    /** Methods a browser sends without a preflight (Fetch "CORS-safelisted method"); the default of {@code methods}. */
    static final List<String> SAFELISTED_METHODS = List.of("GET", "HEAD", "POST");

    /** Methods Fetch upper-cases before comparing ("normalize a method"); every other method is case-sensitive. */
    private static final Set<String> NORMALIZED_METHODS = Set.of("DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT");

    /** Firefox caps a preflight's max-age at 24 h (Chromium at 2 h): longer only misleads the reader. */
    private static final long MAX_AGE_CAP_SECONDS = 24 * 3600;

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(s|m|h)");

    CorsConfig {
        origins = Collections.unmodifiableSet(caseInsensitive(origins));
        methods = Set.copyOf(methods);
        headers = Collections.unmodifiableSet(caseInsensitive(headers));
        Objects.requireNonNull(allowMethods, "allowMethods");
        Objects.requireNonNull(allowHeaders, "allowHeaders");
        Objects.requireNonNull(exposeHeaders, "exposeHeaders");
        Objects.requireNonNull(maxAge, "maxAge");
        if (anyOrigin && credentials) {
            throw new IllegalArgumentException("\"*\" origins cannot go with credentials");
        }
    }

    /**
     * Validates a policy entry's configuration (every field but {@code type}), reporting every
     * problem at once with its path, e.g. {@code origins[1]: not an origin ...}.
     *
     * @throws PolicyConfigException naming every invalid field (the admin API answers 422)
     */
    static CorsConfig parse(Map<String, Object> config) throws PolicyConfigException {
        Objects.requireNonNull(config, "config");
        List<Problem> problems = new ArrayList<>();
        for (String key : config.keySet()) {
            if (!FIELDS.contains(key)) {
                problems.add(new Problem(key, "unknown field; expected one of " + String.join(", ", FIELDS)));
            }
        }

        boolean credentials = false;
        if (config.containsKey(CREDENTIALS)) {
            if (config.get(CREDENTIALS) instanceof Boolean b) {
                credentials = b;
            } else {
                problems.add(new Problem(CREDENTIALS, "expected true or false"));
            }
        }
        List<String> origins = origins(config, credentials, problems);
        List<String> methods = tokens(config, METHODS, "method", problems);
        methods.replaceAll(CorsConfig::normalizeMethod);
        List<String> headers = tokens(config, HEADERS, "header name", problems);
        List<String> expose = tokens(config, EXPOSE_HEADERS, "header name", problems);
        if (credentials && expose.contains(ANY)) {
            problems.add(new Problem(EXPOSE_HEADERS,
                    "\"*\" exposes every header only without credentials (Fetch); list the headers"));
        }
        Optional<String> maxAge = maxAge(config, problems);
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }

        List<String> allowMethods = config.containsKey(METHODS) ? methods : SAFELISTED_METHODS;
        return new CorsConfig(
                origins.contains(ANY),
                Set.copyOf(origins),
                methods.contains(ANY),
                Set.copyOf(allowMethods),
                String.join(", ", allowMethods),
                headers.contains(ANY),
                Set.copyOf(headers),
                String.join(", ", headers),
                String.join(", ", expose),
                credentials,
                maxAge);
    }

    private static List<String> origins(Map<String, Object> config, boolean credentials, List<Problem> problems) {
        if (!config.containsKey(ORIGINS)) {
            problems.add(new Problem(ORIGINS, "required: the origins allowed, e.g. [https://app.example], or [\"*\"]"));
            return List.of();
        }
        List<String> origins = strings(config, ORIGINS, "origin", problems);
        for (int i = 0; i < origins.size(); i++) {
            String text = origins.get(i);
            if (text != null && !ANY.equals(text)) {
                try {
                    origins.set(i, origin(text));
                } catch (IllegalArgumentException e) {
                    problems.add(new Problem(ORIGINS + "[" + i + "]", e.getMessage()));
                }
            }
        }
        if (origins.contains(ANY) && origins.size() > 1) {
            problems.add(new Problem(ORIGINS, "\"*\" allows every origin: list it alone"));
        } else if (origins.contains(ANY) && credentials) {
            problems.add(new Problem(ORIGINS,
                    "\"*\" is not allowed with credentials: true (browsers refuse it); list the origins"));
        }
        return origins;
    }

    /**
     * An origin as a browser serializes it in the {@code Origin} header: lower-case scheme and
     * host, the port only when it is not the scheme's default.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code text}
     */
    static String origin(String text) {
        if ("null".equalsIgnoreCase(text)) {
            throw new IllegalArgumentException(
                    "the \"null\" origin (sandboxed frames, file: pages) is never allowed: any page can send it");
        }
        if (text.indexOf('*') >= 0) {
            throw new IllegalArgumentException("wildcards in origins are not supported: list each origin, or \"*\" alone");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not an origin (scheme://host[:port]): " + e.getReason(), e);
        }
        boolean bare = uri.getScheme() != null && uri.getHost() != null && uri.getRawUserInfo() == null
                && uri.getRawQuery() == null && uri.getRawFragment() == null && uri.getRawPath().isEmpty();
        if (!bare) {
            throw new IllegalArgumentException(
                    "not an origin: expected scheme://host[:port] with nothing after it, e.g. https://app.example");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        boolean defaultPort = "http".equals(scheme) && port == 80 || "https".equals(scheme) && port == 443;
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (port >= 0 && !defaultPort ? ":" + port : "");
    }

    private static String normalizeMethod(String method) {
        if (method == null) {
            return null;
        }
        String upper = method.toUpperCase(Locale.ROOT);
        return NORMALIZED_METHODS.contains(upper) ? upper : method;
    }

    /** A list of HTTP tokens, or {@code ["*"]}; invalid entries are reported and kept as they are. */
    private static List<String> tokens(Map<String, Object> config, String field, String what, List<Problem> problems) {
        List<String> tokens = strings(config, field, what, problems);
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            if (token != null && !ANY.equals(token) && !isToken(token)) {
                problems.add(new Problem(field + "[" + i + "]",
                        "not a " + what + ": must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)"));
            }
        }
        if (tokens.contains(ANY) && tokens.size() > 1) {
            problems.add(new Problem(field, "\"*\" allows every " + what + ": list it alone"));
        }
        return tokens;
    }

    /** A non-empty list of strings; a non-string entry is reported and kept as {@code null}, so indexes stay right. */
    private static List<String> strings(Map<String, Object> config, String field, String what, List<Problem> problems) {
        if (!config.containsKey(field)) {
            return new ArrayList<>();
        }
        if (!(config.get(field) instanceof List<?> list) || list.isEmpty()) {
            problems.add(new Problem(field, "expected a non-empty list of " + what + "s"));
            return new ArrayList<>();
        }
        List<String> strings = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof String s) {
                strings.add(s);
            } else {
                strings.add(null);
                problems.add(new Problem(field + "[" + i + "]", "expected a " + what + " (a string)"));
            }
        }
        return strings;
    }

    /** {@code 30s}, {@code 10m}, {@code 1h}, or whole seconds as a number; at most 24 h. */
    private static Optional<String> maxAge(Map<String, Object> config, List<Problem> problems) {
        if (!config.containsKey(MAX_AGE)) {
            return Optional.empty();
        }
        Object value = config.get(MAX_AGE);
        long seconds;
        if (value instanceof Long || value instanceof Integer) {
            seconds = ((Number) value).longValue();
        } else if (value instanceof String text && DURATION.matcher(text).matches()) {
            Matcher m = DURATION.matcher(text);
            m.matches();
            long amount = Long.parseLong(m.group(1));
            seconds = switch (m.group(2)) {
                case "s" -> amount;
                case "m" -> amount * 60;
                default -> amount * 3600;
            };
        } else {
            problems.add(new Problem(MAX_AGE, "expected a duration such as 30s, 10m or 1h, or whole seconds"));
            return Optional.empty();
        }
        if (seconds < 0 || seconds > MAX_AGE_CAP_SECONDS) {
            problems.add(new Problem(MAX_AGE, "between 0s and 24h (browsers cap it: Firefox 24h, Chromium 2h)"));
            return Optional.empty();
        }
        return Optional.of(Long.toString(seconds));
    }

    private static Set<String> caseInsensitive(Set<String> values) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(values);
        return set;
    }

    /** An RFC 9110 token: what a method or a header name may be. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean token = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!token) {
                return false;
            }
        }
        return true;
    }
}
