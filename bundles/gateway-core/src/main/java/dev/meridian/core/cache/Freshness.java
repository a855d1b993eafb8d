package dev.meridian.core.cache;

import java.util.List;

/**
 * Freshness lifetime, age and the "may this stored response be used" decision of RFC 9111
 * §4.2, plus HTTP-date parsing and formatting (RFC 9110 §5.6.7). Times are epoch milliseconds.
 *
 * <p>Stateless and thread-safe. Header views must not be null; absent or invalid fields are
 * treated as the RFC says (see each method).
 */
public final class Freshness {

    private static final long MILLIS_PER_SECOND = 1000;

    private Freshness() {}

    /**
     * The freshness lifetime of a response, in milliseconds, never negative.
     *
     * <p>With {@link CacheRules#respectCacheControl()}: 0 for {@code no-cache} (revalidate on
     * every use), else {@code s-maxage}, else {@code max-age}, else {@code Expires} minus {@code
     * Date} (an invalid {@code Expires} gives 0, i.e. already stale; when {@code Date} is absent
     * or invalid the current time stands in for it, as the receiving cache records it per RFC
     * 9110 §6.6.1), else {@link CacheRules#ttlFor(int)}. Without it: {@link
     * CacheRules#ttlFor(int)} only.
     */
    public static long lifetimeMillis(CacheRules rules, int status, HeaderView response) {
        if (!rules.respectCacheControl()) {
            return rules.ttlFor(status).toMillis();
        }
        return lifetimeMillis(rules, status, response, CacheControl.parse(response.values(Fields.CACHE_CONTROL)));
    }

    /** {@link #lifetimeMillis(CacheRules, int, HeaderView)} with the response's directives already parsed. */
    static long lifetimeMillis(CacheRules rules, int status, HeaderView response, CacheControl cc) {
        if (!rules.respectCacheControl()) {
            return rules.ttlFor(status).toMillis();
        }
        if (cc.noCache()) {
            return 0;
        }
        if (cc.sMaxAge() >= 0) {
            return cc.sMaxAge() * MILLIS_PER_SECOND;
        }
        if (cc.maxAge() >= 0) {
            return cc.maxAge() * MILLIS_PER_SECOND;
        }
        String expires = response.first(Fields.EXPIRES);
        if (expires != null) {
            long expiresAt = HttpDates.parse(expires);
            if (expiresAt == HttpDates.INVALID) {
                return 0;
            }
            long date = HttpDates.parse(response.first(Fields.DATE));
            if (date == HttpDates.INVALID) {
                date = System.currentTimeMillis();
            }
            return Math.max(0, expiresAt - date);
        }
        return rules.ttlFor(status).toMillis();
    }

    /**
     * Whether a stored response must not be served stale: it carries {@code must-revalidate},
     * {@code proxy-revalidate} or {@code s-maxage} (which implies {@code proxy-revalidate} for a
     * shared cache, RFC 9111 §5.2.2.10). Always false when the rules do not respect
     * {@code Cache-Control}. This is the value to store in {@link CachedResponse#mustRevalidate()}.
     */
    public static boolean mustRevalidate(CacheRules rules, HeaderView response) {
        if (!rules.respectCacheControl()) {
            return false;
        }
        return mustRevalidate(CacheControl.parse(response.values(Fields.CACHE_CONTROL)));
    }

    static boolean mustRevalidate(CacheControl cc) {
        return cc.mustRevalidate() || cc.proxyRevalidate() || cc.sMaxAge() >= 0;
    }

    /**
     * The corrected initial age of a response, RFC 9111 §4.2.3: the larger of the apparent age
     * ({@code responseTime - Date}, 0 when {@code Date} is absent or invalid, never negative) and
     * the {@code Age} header (an absent or invalid value counts as 0) plus the response delay
     * ({@code responseTime - requestTime}).
     *
     * @param requestTimeMillis when the request that got this response was sent
     * @param responseTimeMillis when the response was received
     */
    public static long correctedInitialAgeMillis(HeaderView response, long requestTimeMillis,
        long responseTimeMillis) {
        return correctedInitialAgeMillis(response.first(Fields.DATE), response.first(Fields.AGE),
            requestTimeMillis, responseTimeMillis);
    }

    static long correctedInitialAgeMillis(String date, String age, long requestTimeMillis,
        long responseTimeMillis) {
        long dateValue = HttpDates.parse(date);
        long apparentAge = dateValue == HttpDates.INVALID ? 0 : Math.max(0, responseTimeMillis - dateValue);
        long ageValue = 0;
        if (age != null) {
            int start = 0;
            int end = age.length();
            while (start < end && Tokens.ows(age.charAt(start))) {
                start++;
            }
            while (end > start && Tokens.ows(age.charAt(end - 1))) {
                end--;
            }
            ageValue = CacheControl.deltaSeconds(age, start, end) * MILLIS_PER_SECOND;
        }
        long responseDelay = Math.max(0, responseTimeMillis - requestTimeMillis);
        return Math.max(apparentAge, ageValue + responseDelay);
    }

    /**
     * The current age, RFC 9111 §4.2.3: the corrected initial age plus the time since the
     * response was received (a clock that went backwards adds nothing).
     */
    public static long currentAgeMillis(long correctedInitialAgeMillis, long responseTimeMillis, long nowMillis) {
        return correctedInitialAgeMillis + Math.max(0, nowMillis - responseTimeMillis);
    }

    /**
     * Whether a stored response may be served without contacting the upstream (RFC 9111 §4.2,
     * §5.2.1). It is unusable when the request says {@code no-cache} or its age exceeds the
     * request's {@code max-age}. A fresh response (age below lifetime) is usable unless the
     * request's {@code min-fresh} wants more remaining freshness than it has. A stale one is
     * usable only within the request's {@code max-stale}, and never when {@code mustRevalidate}.
     *
     * <p>Serving stale within the configured grace while a refresh runs is the caller's separate
     * decision (see {@link CachedResponse#staleUntilMillis()}). When the rules do not respect
     * {@code Cache-Control}, pass {@link CacheControl#NONE} as {@code request}.
     *
     * @param currentAgeMillis from {@link #currentAgeMillis(long, long, long)}
     * @param lifetimeMillis the stored freshness lifetime
     * @param request the request's directives, from {@link CacheControl#parseRequest(HeaderView)}
     * @param mustRevalidate the stored {@link CachedResponse#mustRevalidate()}
     */
    public static boolean usable(long currentAgeMillis, long lifetimeMillis, CacheControl request,
        boolean mustRevalidate) {
        if (request.noCache()) {
            return false;
        }
        if (request.maxAge() >= 0 && currentAgeMillis > request.maxAge() * MILLIS_PER_SECOND) {
            return false;
        }
        if (currentAgeMillis < lifetimeMillis) {
            return request.minFresh() < 0
                || lifetimeMillis - currentAgeMillis >= request.minFresh() * MILLIS_PER_SECOND;
        }
        if (mustRevalidate || request.maxStale() < 0) {
            return false;
        }
        return request.maxStale() == Long.MAX_VALUE
            || currentAgeMillis - lifetimeMillis <= request.maxStale() * MILLIS_PER_SECOND;
    }

    /**
     * Parses an HTTP-date in IMF-fixdate ({@code Sun, 06 Nov 1994 08:49:37 GMT}), the obsolete
     * RFC 850 ({@code Sunday, 06-Nov-94 08:49:37 GMT}, two-digit years read as RFC 9110 §5.6.7
     * says) or asctime ({@code Sun Nov  6 08:49:37 1994}) form. Surrounding whitespace is
     * allowed; the day name is checked for syntax, not against the date.
     *
     * @return epoch milliseconds, or {@link Long#MIN_VALUE} when null or invalid
     */
    public static long parseHttpDate(String value) {
        return HttpDates.parse(value);
    }

    /**
     * Formats epoch milliseconds as an IMF-fixdate in GMT, truncated to the second; instants
     * outside the years 1..9999 are clamped into them.
     */
    public static String formatHttpDate(long millis) {
        return HttpDates.format(millis);
    }

    /** Whether any {@code Vary} field line lists {@code *}. */
    static boolean varyStar(List<String> vary) {
        for (int i = 0, n = vary.size(); i < n; i++) {
            if (Tokens.listContains(vary.get(i), "*")) {
                return true;
            }
        }
        return false;
    }
}
