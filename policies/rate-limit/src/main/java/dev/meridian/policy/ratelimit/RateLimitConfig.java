package dev.meridian.policy.ratelimit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

/**
 * The validated configuration of one {@code rate-limit} entry. Immutable.
 *
 * @param limit requests admitted per window, {@code 1..MAX_LIMIT}
 * @param per the window, whole seconds from 1 s to 1 h, aligned on the epoch
 * @param key what one count is kept for
 * @param scope where it is counted
 */
record RateLimitConfig(long limit, Duration per, Key key, Scope scope) {

    static final String LIMIT = "limit";
    static final String PER = "per";
    static final String KEY = "key";
    static final String SCOPE = "scope";

    static final long MAX_LIMIT = 1_000_000_000L;
    static final Duration MIN_PER = Duration.ofSeconds(1);
    static final Duration MAX_PER = Duration.ofHours(1);

    /** RFC 9110 token characters: a header name. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
    private static final int MAX_ECHO = 64;

    /** Where a window is counted. */
    enum Scope {
        /** All nodes together: one count in the cluster, spent through leases. */
        CLUSTER,
        /** Each node on its own (no cluster call): the cluster admits up to limit x nodes. */
        NODE
    }

    /** What one count is kept for. */
    enum KeyKind {
        IP, CONSUMER, HEADER, API
    }

    /**
     * @param kind what the count is kept for
     * @param header the header's name for {@link KeyKind#HEADER}, else empty
     */
    record Key(KeyKind kind, String header) {
        Key {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(header, "header");
        }

        /** As written in a definition: {@code ip}, {@code consumer}, {@code api} or {@code header:<Name>}. */
        String spec() {
            return kind == KeyKind.HEADER ? "header:" + header : kind.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    RateLimitConfig {
        Objects.requireNonNull(per, PER);
        Objects.requireNonNull(key, KEY);
        Objects.requireNonNull(scope, SCOPE);
    }

    /** The window in whole seconds. */
    long perSeconds() {
        return per.toSeconds();
    }

    /**
     * Validates a policy entry's configuration (every field but {@code type}), reporting every
     * problem at once with its field, e.g. {@code per: 2h is longer than 1h}.
     *
     * @throws PolicyConfigException naming every invalid field (the admin API answers 422)
     */
    static RateLimitConfig parse(Map<String, Object> config) throws PolicyConfigException {
        Objects.requireNonNull(config, "config");
        List<Problem> problems = new ArrayList<>();
        for (String field : config.keySet()) {
            if (!List.of(LIMIT, PER, KEY, SCOPE).contains(field)) {
                problems.add(new Problem(field, "unknown field; expected limit, per, key or scope"));
            }
        }
        long limit = limit(config.get(LIMIT), problems);
        Duration per = per(config.get(PER), problems);
        Key key = key(config.get(KEY), problems);
        Scope scope = scope(config.get(SCOPE), problems);
        if (!problems.isEmpty()) {
            throw new PolicyConfigException(problems);
        }
        return new RateLimitConfig(limit, per, key, scope);
    }

    private static long limit(Object value, List<Problem> problems) {
        if (value == null) {
            problems.add(new Problem(LIMIT, "required: the requests admitted per window, e.g. limit: 1000"));
            return 0;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
            || value instanceof Double d && (d.isInfinite() || d.isNaN())) {
            problems.add(new Problem(LIMIT, "expected a whole number of requests, not " + echo(value)));
            return 0;
        }
        long limit = n.longValue();
        if (limit < 1 || limit > MAX_LIMIT || n.doubleValue() > MAX_LIMIT) {
            problems.add(new Problem(LIMIT, "must be from 1 to " + MAX_LIMIT + ", not " + echo(value)));
            return 0;
        }
        return limit;
    }

    private static Duration per(Object value, List<Problem> problems) {
        if (value == null) {
            problems.add(new Problem(PER, "required: the window, from 1s to 1h, e.g. per: 1s"));
            return MIN_PER;
        }
        Duration per = value instanceof String s ? parseDuration(s.strip()) : null;
        if (per == null) {
            problems.add(new Problem(PER, "expected a duration such as 1s, 10s, 1m or 1h, not " + echo(value)));
            return MIN_PER;
        }
        if (per.compareTo(MIN_PER) < 0 || per.compareTo(MAX_PER) > 0) {
            problems.add(new Problem(PER, "must be from 1s to 1h, not " + echo(value)));
            return MIN_PER;
        }
        if (per.toMillis() % 1_000 != 0) {
            problems.add(new Problem(PER, "must be whole seconds (Retry-After and the RateLimit headers count in seconds), not "
                + echo(value)));
            return MIN_PER;
        }
        return per;
    }

    private static Key key(Object value, List<Problem> problems) {
        if (value == null) {
            return new Key(KeyKind.CONSUMER, "");
        }
        String spec = value instanceof String s ? s.strip() : null;
        if (spec != null && spec.regionMatches(true, 0, "header:", 0, 7)) {
            String name = spec.substring(7).strip();
            if (!TOKEN.matcher(name).matches()) {
                problems.add(new Problem(KEY, "header:<Name> needs a header name (letters, digits, -), not " + echo(value)));
                return new Key(KeyKind.API, "");
            }
            return new Key(KeyKind.HEADER, name);
        }
        if (spec != null) {
            switch (spec) {
                case "ip":
                    return new Key(KeyKind.IP, "");
                case "consumer":
                    return new Key(KeyKind.CONSUMER, "");
                case "api":
                    return new Key(KeyKind.API, "");
                default:
                    break;
            }
        }
        problems.add(new Problem(KEY, "expected ip, consumer, api or header:<Name>, not " + echo(value)));
        return new Key(KeyKind.API, "");
    }

    private static Scope scope(Object value, List<Problem> problems) {
        if (value == null) {
            return Scope.CLUSTER;
        }
        if ("cluster".equals(value)) {
            return Scope.CLUSTER;
        }
        if ("node".equals(value)) {
            return Scope.NODE;
        }
        problems.add(new Problem(SCOPE, "expected cluster or node, not " + echo(value)));
        return Scope.CLUSTER;
    }

    /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h} (a bare number is seconds); null when it is none of them. */
    static Duration parseDuration(String s) {
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

    /** The value as written, cut and with control characters masked: it goes into an admin API answer and a log. */
    private static String echo(Object value) {
        String text = String.valueOf(value);
        String shown = text.length() > MAX_ECHO ? text.substring(0, MAX_ECHO) + "..." : text;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
