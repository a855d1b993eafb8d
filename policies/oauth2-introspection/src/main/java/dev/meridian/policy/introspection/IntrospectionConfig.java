package dev.meridian.policy.introspection;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

/**
 * The validated configuration of one {@code oauth2-introspection} entry (CONTRACT §8). The secret
 * arrives resolved (the engine reads {@code ${secret:…}} before the factory is called) and is
 * kept only inside the ready-made Basic header; {@link #toString()} leaves it out.
 *
 * @param url the introspection endpoint
 * @param clientId the gateway's client id at the IdP
 * @param basicAuthorization {@code Basic base64(urlencode(id):urlencode(secret))}
 * @param cacheTtl how long an active answer is used (never past the token's {@code exp})
 * @param inactiveTtl how long an inactive answer is used
 * @param ca PEM certificates trusted for the IdP's TLS instead of the JVM's
 * @param consumerClaim the claim naming the consumer ({@code sub}, {@code client_id} or {@code username})
 * @param requiredScopes scopes every token must carry (403 otherwise)
 * @param timeout of one introspection call
 */
record IntrospectionConfig(URI url, String clientId, String basicAuthorization, Duration cacheTtl, Duration inactiveTtl,
                           Optional<String> ca, String consumerClaim, Set<String> requiredScopes, Duration timeout) {

    static final Set<String> FIELDS = Set.of("url", "clientId", "clientSecret", "cacheTtl", "inactiveTtl", "ca",
        "consumerClaim", "requiredScopes", "timeout");
    static final Set<String> CLAIMS = Set.of("sub", "client_id", "username");
    /** Longest TTL accepted; also how long the admin API keeps a revocation. */
    static final Duration MAX_TTL = Duration.ofHours(24);
    static final Duration MAX_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
    /** RFC 6749 §3.3 scope-token. */
    private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+");

    IntrospectionConfig {
        requiredScopes = Collections.unmodifiableSet(new LinkedHashSet<>(requiredScopes));
    }

    @Override
    public String toString() {
        return "IntrospectionConfig[url=" + url + ", clientId=" + clientId + ", cacheTtl=" + cacheTtl + "]";
    }

    /** Checks every field and reports every problem at once. */
    static IntrospectionConfig parse(Map<String, Object> config) throws PolicyConfigException {
        List<Problem> problems = new ArrayList<>();
        for (String key : config.keySet()) {
            if (!FIELDS.contains(key)) {
                problems.add(new Problem(key, "unknown field (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")"));
            }
        }
        URI url = url(text(config, "url", true, problems), problems);
        String clientId = text(config, "clientId", true, problems);
        String secret = text(config, "clientSecret", true, problems);
        Duration cacheTtl = duration(config, "cacheTtl", Duration.ofMinutes(5), MAX_TTL, problems);
        Duration inactiveTtl = duration(config, "inactiveTtl", Duration.ofSeconds(10), MAX_TTL, problems);
        Duration timeout = duration(config, "timeout", Duration.ofSeconds(5), MAX_TIMEOUT, problems);
        String ca = text(config, "ca", false, problems);
        if (ca != null && !ca.contains("-----BEGIN CERTIFICATE-----")) {
            problems.add(new Problem("ca", "expected PEM certificates (-----BEGIN CERTIFICATE-----)"));
        }
        String claim = text(config, "consumerClaim", false, problems);
        if (claim != null && !CLAIMS.contains(claim)) {
            problems.add(new Problem("consumerClaim", "expected one of sub, client_id, username"));
        }
        Set<String> scopes = scopes(config.get("requiredScopes"), problems);
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        String basic = "Basic " + Base64.getEncoder().encodeToString(
            (form(clientId) + ":" + form(secret)).getBytes(StandardCharsets.UTF_8));
        return new IntrospectionConfig(url, clientId, basic, cacheTtl, inactiveTtl, Optional.ofNullable(ca),
            claim == null ? "sub" : claim, scopes, timeout);
    }

    private static URI url(String raw, List<Problem> problems) {
        if (raw == null) {
            return null;
        }
        try {
            URI url = new URI(raw);
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null || url.getRawFragment() != null) {
                problems.add(new Problem("url", "expected an absolute http or https URL without fragment"));
                return null;
            }
            return url;
        } catch (URISyntaxException e) {
            problems.add(new Problem("url", "not a URL: " + e.getReason()));
            return null;
        }
    }

    /** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined for Basic. */
    private static String form(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String text(Map<String, Object> config, String field, boolean required, List<Problem> problems) {
        Object v = config.get(field);
        if (v == null) {
            if (required) {
                problems.add(new Problem(field, "required"));
            }
            return null;
        }
        if (!(v instanceof String s) || s.isBlank() || s.length() > 65_536) {
            problems.add(new Problem(field, "expected a non-empty string"));
            return null;
        }
        // PEM has line breaks; nothing else may (a header value is built from the id and secret)
        if (!field.equals("ca") && s.chars().anyMatch(c -> c < 32 || c == 127)) {
            problems.add(new Problem(field, "control characters are not allowed"));
            return null;
        }
        return s;
    }

    private static Duration duration(Map<String, Object> config, String field, Duration byDefault, Duration max, List<Problem> problems) {
        Object v = config.get(field);
        if (v == null) {
            return byDefault;
        }
        Matcher m = v instanceof String s ? DURATION.matcher(s) : null;
        if (m == null || !m.matches()) {
            problems.add(new Problem(field, "expected a duration such as 500ms, 10s, 5m or 1h"));
            return null;
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero() || d.compareTo(max) > 0) {
            problems.add(new Problem(field, "expected more than 0 and at most " + human(max)));
            return null;
        }
        return d;
    }

    private static String human(Duration d) {
        return d.toHours() > 0 && d.toMinutes() % 60 == 0 ? d.toHours() + "h" : d.toSeconds() + "s";
    }

    private static Set<String> scopes(Object v, List<Problem> problems) {
        if (v == null) {
            return Set.of();
        }
        if (!(v instanceof List<?> list) || list.isEmpty() || list.size() > 100) {
            problems.add(new Problem("requiredScopes", "expected a list of 1 to 100 scopes"));
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof String s && SCOPE.matcher(s).matches()) {
                out.add(s);
            } else {
                problems.add(new Problem("requiredScopes[" + i + "]", "expected a scope token (RFC 6749 §3.3)"));
            }
        }
        return out;
    }
}
