package dev.meridian.policy.jwt;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.nimbusds.jose.JWSAlgorithm;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

/**
 * The validated configuration of one {@code jwt} entry (CONTRACT §8). Immutable; built once at
 * apply time by {@link #parse}, which reports every problem at once.
 *
 * @param source where the keys come from ({@code jwksUrl}, or {@code issuerUrl} by discovery)
 * @param issuer the {@code iss} every token must carry, compared exactly
 * @param audience accepted {@code aud} values (one must match); empty = not checked
 * @param algorithms the allow-list of JWS algorithms; never {@code none} nor HMAC: with a
 *        public JWKS an HMAC "key" is public, so HS* would let anyone mint tokens
 * @param clockSkew tolerance on {@code exp}, {@code nbf} and {@code iat} for clocks apart
 * @param consumerClaim the claim naming the consumer (cache key, rate limit)
 * @param requiredScopes scopes the token must all hold ({@code scope} string or {@code scp} array)
 * @param keyGrace how long a key removed from the JWKS still verifies tokens issued before its
 *        removal (never past their {@code exp}); zero = removed keys stop working at once
 * @param refreshInterval how old the shared keys may get before one node refetches them
 * @param minRefetchInterval the least time between two fetches of this source cluster-wide,
 *        whatever the flood of unknown {@code kid}s
 */
record JwtConfig(KeySourceId source, String issuer, Set<String> audience, Set<JWSAlgorithm> algorithms,
                 Duration clockSkew, String consumerClaim, Set<String> requiredScopes, Duration keyGrace,
                 Duration refreshInterval, Duration minRefetchInterval) {

    static final Duration DEFAULT_SKEW = Duration.ofSeconds(30);
    static final Duration MAX_SKEW = Duration.ofMinutes(10);
    static final Duration DEFAULT_REFRESH = Duration.ofMinutes(5);
    static final Duration MIN_REFRESH = Duration.ofSeconds(5);
    static final Duration DEFAULT_MIN_REFETCH = Duration.ofSeconds(1);
    /** The longest grace a removed key may get; the shared document keeps removed keys this long. */
    static final Duration MAX_KEY_GRACE = Duration.ofHours(24);

    /** Asymmetric algorithms nimbus verifies with a public JWK; the only ones a JWKS can vouch for. */
    static final Set<JWSAlgorithm> SUPPORTED = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
        JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);
    static final Set<JWSAlgorithm> DEFAULT_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);

    private static final Set<String> FIELDS = Set.of("jwksUrl", "issuerUrl", "issuer", "audience", "algorithms", "clockSkew",
        "consumerClaim", "requiredScopes", "keyGrace", "ca", "refreshInterval", "minRefetchInterval");
    /** RFC 6749 §3.3 scope-token: printable ASCII but space, {@code "} and {@code \}; it goes into a header as is. */
    private static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+");
    /** A claim name goes into a header's description when it is missing: keep it to a plain name. */
    private static final Pattern CLAIM_NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

    JwtConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(issuer, "issuer");
        audience = Set.copyOf(audience);
        algorithms = Set.copyOf(algorithms);
        if (algorithms.isEmpty()) {
            throw new IllegalArgumentException("algorithms must not be empty");
        }
        Objects.requireNonNull(clockSkew, "clockSkew");
        Objects.requireNonNull(consumerClaim, "consumerClaim");
        requiredScopes = Collections.unmodifiableSet(new LinkedHashSet<>(requiredScopes));   // in the given order: it is the challenge's scope
        Objects.requireNonNull(keyGrace, "keyGrace");
        Objects.requireNonNull(refreshInterval, "refreshInterval");
        Objects.requireNonNull(minRefetchInterval, "minRefetchInterval");
    }

    /** Validates a policy entry (every field but {@code type}); every problem is named with its field. */
    static JwtConfig parse(Map<String, Object> config) throws PolicyConfigException {
        Objects.requireNonNull(config, "config");
        List<Problem> problems = new ArrayList<>();
        for (String key : config.keySet()) {
            if (!FIELDS.contains(key)) {
                problems.add(new Problem(key, "unknown field; expected one of " + new TreeSet<>(FIELDS)));
            }
        }

        URI jwksUrl = url(config, "jwksUrl", problems);
        URI issuerUrl = url(config, "issuerUrl", problems);
        if (config.containsKey("jwksUrl") && config.containsKey("issuerUrl")) {
            problems.add(new Problem("jwksUrl", "give jwksUrl or issuerUrl, not both"));
        } else if (!config.containsKey("jwksUrl") && !config.containsKey("issuerUrl")) {
            problems.add(new Problem("jwksUrl", "one of jwksUrl, issuerUrl is required"));
        }

        String issuer = text(config, "issuer", problems);
        if (issuer == null && issuerUrl != null) {
            issuer = issuerUrl.toString();
        } else if (issuer == null && !config.containsKey("issuer") && !config.containsKey("issuerUrl")) {
            problems.add(new Problem("issuer", "required with jwksUrl (the iss every token must carry)"));
        }

        Set<String> audience = strings(config, "audience", problems);
        Set<JWSAlgorithm> algorithms = algorithms(config, problems);
        Duration skew = duration(config, "clockSkew", DEFAULT_SKEW, MAX_SKEW, problems);
        String consumerClaim = Optional.ofNullable(text(config, "consumerClaim", problems)).orElse("sub");
        if (!CLAIM_NAME.matcher(consumerClaim).matches()) {
            problems.add(new Problem("consumerClaim", "expected a claim name (letters, digits, _ . : -; at most 64)"));
        }
        Set<String> scopes = strings(config, "requiredScopes", problems);
        int i = 0;
        for (String scope : scopes) {
            if (!SCOPE_TOKEN.matcher(scope).matches()) {
                problems.add(new Problem("requiredScopes[" + i + "]", "a scope is printable ASCII without space, '\"' or '\\' (RFC 6749 §3.3)"));
            }
            i++;
        }
        Duration keyGrace = duration(config, "keyGrace", Duration.ZERO, MAX_KEY_GRACE, problems);
        Duration refresh = duration(config, "refreshInterval", DEFAULT_REFRESH, Duration.ofDays(1), problems);
        if (refresh.compareTo(MIN_REFRESH) < 0) {
            problems.add(new Problem("refreshInterval", "must be at least 5s"));
        }
        Duration minRefetch = duration(config, "minRefetchInterval", DEFAULT_MIN_REFETCH, Duration.ofHours(1), problems);
        if (minRefetch.compareTo(DEFAULT_MIN_REFETCH) < 0) {
            problems.add(new Problem("minRefetchInterval", "must be at least 1s (the cluster's lease is counted in seconds)"));
        }
        String ca = text(config, "ca", problems);
        if (ca != null && !isPemCertificates(ca)) {
            problems.add(new Problem("ca", "expected PEM certificates (-----BEGIN CERTIFICATE-----)"));
        }
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        KeySourceId source = jwksUrl != null
            ? KeySourceId.jwks(jwksUrl, Optional.ofNullable(ca))
            : KeySourceId.discovery(issuerUrl, Optional.ofNullable(ca));
        return new JwtConfig(source, issuer, audience, algorithms, skew, consumerClaim, scopes, keyGrace, refresh, minRefetch);
    }

    private static URI url(Map<String, Object> config, String field, List<Problem> problems) {
        String value = text(config, field, problems);
        if (value == null) {
            return null;
        }
        try {
            URI uri = new URI(value);
            if (("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
            problems.add(new Problem(field, "expected an absolute https (or http) URL"));
        } catch (URISyntaxException e) {
            problems.add(new Problem(field, "invalid URL: " + e.getReason()));
        }
        return null;
    }

    private static String text(Map<String, Object> config, String field, List<Problem> problems) {
        if (!config.containsKey(field)) {
            return null;
        }
        if (config.get(field) instanceof String s && !s.isBlank()) {
            return s;
        }
        problems.add(new Problem(field, "expected a non-empty string"));
        return null;
    }

    /** A list of non-empty strings, or one string (YAML's {@code audience: orders}). */
    private static Set<String> strings(Map<String, Object> config, String field, List<Problem> problems) {
        if (!config.containsKey(field)) {
            return Set.of();
        }
        Object value = config.get(field);
        if (value instanceof String s && !s.isBlank()) {
            return Set.of(s);
        }
        if (!(value instanceof List<?> list)) {
            problems.add(new Problem(field, "expected a list of strings"));
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof String s && !s.isBlank()) {
                out.add(s);
            } else {
                problems.add(new Problem(field + "[" + i + "]", "expected a non-empty string"));
            }
        }
        return out;
    }

    private static Set<JWSAlgorithm> algorithms(Map<String, Object> config, List<Problem> problems) {
        if (!config.containsKey("algorithms")) {
            return DEFAULT_ALGORITHMS;
        }
        int before = problems.size();
        Set<JWSAlgorithm> out = new LinkedHashSet<>();
        int i = 0;
        for (String name : strings(config, "algorithms", problems)) {
            JWSAlgorithm alg = JWSAlgorithm.parse(name);
            if (name.equalsIgnoreCase("none") || name.toUpperCase(Locale.ROOT).startsWith("HS")) {
                problems.add(new Problem("algorithms[" + i + "]", name + " is never accepted with keys from a JWKS"));
            } else if (!SUPPORTED.contains(alg)) {
                problems.add(new Problem("algorithms[" + i + "]", "unsupported algorithm " + name + "; expected one of "
                    + new TreeSet<>(SUPPORTED.stream().map(JWSAlgorithm::getName).toList())));
            } else {
                out.add(alg);
            }
            i++;
        }
        if (out.isEmpty() && problems.size() == before) {
            problems.add(new Problem("algorithms", "expected at least one algorithm"));
        }
        return out.isEmpty() ? DEFAULT_ALGORITHMS : out;
    }

    /** A duration: {@code 30s}, {@code 5m}, {@code 1h}, {@code 250ms}, or a whole number of seconds. */
    static Duration duration(Map<String, Object> config, String field, Duration fallback, Duration max, List<Problem> problems) {
        if (!config.containsKey(field)) {
            return fallback;
        }
        Object value = config.get(field);
        Duration parsed;
        if (value instanceof Long n && n >= 0) {
            parsed = Duration.ofSeconds(n);
        } else if (value instanceof Integer n && n >= 0) {
            parsed = Duration.ofSeconds(n);
        } else if (value instanceof String s) {
            parsed = parseDuration(s.trim());
        } else {
            parsed = null;
        }
        if (parsed == null) {
            problems.add(new Problem(field, "expected a duration such as 30s, 5m, 1h or 250ms"));
            return fallback;
        }
        if (parsed.compareTo(max) > 0) {
            problems.add(new Problem(field, "must be at most " + max.toString().substring(2).toLowerCase(Locale.ROOT)));
            return fallback;
        }
        return parsed;
    }

    private static Duration parseDuration(String s) {
        int unitAt = 0;
        while (unitAt < s.length() && Character.isDigit(s.charAt(unitAt))) {
            unitAt++;
        }
        if (unitAt == 0 || unitAt > 9) {
            return null;
        }
        long n = Long.parseLong(s.substring(0, unitAt));
        return switch (s.substring(unitAt)) {
            case "ms" -> Duration.ofMillis(n);
            case "s", "" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> null;
        };
    }

    private static boolean isPemCertificates(String pem) {
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            return false;
        }
        try {
            return !CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).isEmpty();
        } catch (CertificateException e) {
            return false;
        }
    }
}
