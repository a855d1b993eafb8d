package dev.meridian.cache;

import java.util.List;

/**
 * Freshness lifetime, age and the "may this stored response be used" decisions of RFC 9111
 * §4.2 and RFC 5861 (serving stale while revalidating and on errors), plus HTTP-date parsing and
 * formatting (RFC 9110 §5.6.7). Times are epoch milliseconds.
 *
 * <p>Stateless and thread-safe. Header views must not be null; absent or invalid fields are
 * treated as the RFC says (see each method).
 */
public final class Freshness {

    private static final long MILLIS_PER_SECOND = 1000;

    private Freshness() {}

    /**
     * The freshness lifetime of a response, in milliseconds, never negative (RFC 9111 §4.2.1).
     *
     * <p>With {@link CacheRules#respectCacheControl()}, from the directives of {@link
     * CacheControl#forResponse} (a targeted field, RFC 9213, else {@code Cache-Control}): 0 for
     * {@code no-cache} (revalidate on every use), else {@code s-maxage} (Meridian is a shared
     * cache, §5.2.2.10), else {@code max-age}, else, unless the directives come from a targeted
     * field (which makes Meridian ignore {@code Expires}, RFC 9213 §2.2), {@code Expires} minus
     * {@code Date}: an invalid {@code Expires}, or several {@code Expires} lines that differ,
     * give 0, i.e. already stale (§5.3, §4.2.1); when {@code Date} is absent or invalid the
     * current time stands in for it, as the receiving cache records it per RFC 9110 §6.6.1. With
     * none of these, the heuristic lifetime {@link CacheRules#ttlFor(int)} (§4.2.2). Without
     * {@code respectCacheControl}: {@link CacheRules#ttlFor(int)} only.
     */
    public static long lifetimeMillis(CacheRules rules, int status, HeaderView response) {
        if (!rules.respectCacheControl()) {
            return rules.ttlFor(status).toMillis();
        }
        return lifetimeMillis(rules, status, response, CacheControl.forResponse(response));
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
        if (!cc.targeted()) {
            List<String> expires = response.values(Fields.EXPIRES);
            if (!expires.isEmpty()) {
                long expiresAt = expiresMillis(expires);
                if (expiresAt == HttpDates.INVALID) {
                    return 0;
                }
                long date = HttpDates.parse(response.first(Fields.DATE));
                if (date == HttpDates.INVALID) {
                    date = System.currentTimeMillis();
                }
                return Math.max(0, expiresAt - date);
            }
        }
        return rules.ttlFor(status).toMillis();
    }

    /**
     * The instant the {@code Expires} lines name, or {@link HttpDates#INVALID} when one is not an
     * HTTP-date or when they disagree (RFC 9111 §4.2.1: several values, "the response should be
     * considered stale" is the choice taken unless they are all the same).
     */
    static long expiresMillis(List<String> expires) {
        long at = HttpDates.parse(expires.get(0));
        for (int i = 1, n = expires.size(); i < n && at != HttpDates.INVALID; i++) {
            if (HttpDates.parse(expires.get(i)) != at) {
                return HttpDates.INVALID;
            }
        }
        return at;
    }

    /**
     * Whether a stored response must never be served stale without a successful revalidation
     * (RFC 9111 §4.2.4), whatever the configured grace, {@code stale-while-revalidate}, {@code
     * stale-if-error} or a request's {@code max-stale} would allow: the directives of {@link
     * CacheControl#forResponse} carry {@code must-revalidate} (§5.2.2.2), {@code
     * proxy-revalidate} (§5.2.2.8), {@code s-maxage} (which incorporates proxy-revalidate for a
     * shared cache, §5.2.2.10) or {@code no-cache} (§5.2.2.4). Always false when the rules do not
     * respect {@code Cache-Control}. This is the value to store in {@link
     * CachedResponse#mustRevalidate()}.
     */
    public static boolean mustRevalidate(CacheRules rules, HeaderView response) {
        if (!rules.respectCacheControl()) {
            return false;
        }
        return mustRevalidate(CacheControl.forResponse(response));
    }

    /** {@link #mustRevalidate(CacheRules, HeaderView)} of directives already chosen by {@link CacheControl#forResponse}. */
    static boolean mustRevalidate(CacheControl cc) {
        return cc.mustRevalidate() || cc.proxyRevalidate() || cc.sMaxAge() >= 0 || cc.noCache();
    }

    /**
     * How long past expiry the response may be served stale while one revalidation runs in the
     * background: its {@code stale-while-revalidate} (RFC 5861 §3), from {@link
     * CacheControl#forResponse}, in milliseconds. 0 when absent, when the response {@link
     * #mustRevalidate(CacheRules, HeaderView) must be revalidated}, or when the rules do not
     * respect {@code Cache-Control}. Store it with the entry; decide with {@link #mayServeStale}.
     */
    public static long staleWhileRevalidateMillis(CacheRules rules, HeaderView response) {
        if (!rules.respectCacheControl()) {
            return 0;
        }
        CacheControl cc = CacheControl.forResponse(response);
        return mustRevalidate(cc) ? 0 : Math.max(0, cc.staleWhileRevalidate()) * MILLIS_PER_SECOND;
    }

    /**
     * How long past expiry the response may be served stale when the upstream fails: its {@code
     * stale-if-error} (RFC 5861 §4), from {@link CacheControl#forResponse}, in milliseconds. 0
     * when absent, when the response must be revalidated, or when the rules do not respect
     * {@code Cache-Control}. Store it with the entry; decide with {@link #mayServeStaleOnError}.
     */
    public static long staleIfErrorMillis(CacheRules rules, HeaderView response) {
        if (!rules.respectCacheControl()) {
            return 0;
        }
        CacheControl cc = CacheControl.forResponse(response);
        return mustRevalidate(cc) ? 0 : Math.max(0, cc.staleIfError()) * MILLIS_PER_SECOND;
    }

    /**
     * The value of the {@code Age} field lines of a response, in seconds (RFC 9111 §5.1): the
     * first member of the first line that has one (a list, or several lines, count as one list
     * whose first member is used); -1 when there is none or it is invalid (not only digits: a
     * negative, fractional, non-numeric or parameterised value), which means the field is
     * ignored. Leading zeros are valid; values above 2147483648 are clamped to it (§1.2.2).
     */
    public static long ageSeconds(List<String> ageLines) {
        for (int i = 0, n = ageLines.size(); i < n; i++) {
            String line = ageLines.get(i);
            if (line == null) {
                continue;
            }
            int len = line.length();
            int p = 0;
            while (p < len) {
                int comma = line.indexOf(',', p);
                int end = comma < 0 ? len : comma;
                int start = Tokens.skipOws(line, p, end);
                int stop = Tokens.trimOws(line, start, end);
                if (stop > start) {
                    return validDeltaSeconds(line, start, stop);
                }
                p = end + 1; // an empty list element is skipped (RFC 9110 §5.6.1)
            }
        }
        return -1;
    }

    /** {@code s[start, end)} as delta-seconds (RFC 9111 §1.2.2), clamped; -1 unless only digits. */
    private static long validDeltaSeconds(String s, int start, int end) {
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        return CacheControl.deltaSeconds(s, start, end);
    }

    /**
     * The corrected initial age of a response, RFC 9111 §4.2.3: the larger of the apparent age
     * ({@code responseTime - Date}, 0 when {@code Date} is absent or invalid, never negative) and
     * the {@code Age} value of {@link #ageSeconds} over all its lines (absent or invalid counts as
     * 0) plus the response delay ({@code responseTime - requestTime}).
     *
     * @param requestTimeMillis when the request that got this response was sent
     * @param responseTimeMillis when the response was received
     */
    public static long correctedInitialAgeMillis(HeaderView response, long requestTimeMillis,
        long responseTimeMillis) {
        return correctedInitialAgeMillis(response.first(Fields.DATE), response.values(Fields.AGE),
            requestTimeMillis, responseTimeMillis);
    }

    /**
     * {@link #correctedInitialAgeMillis(HeaderView, long, long)} from the first {@code Date} line
     * and one {@code Age} line (null when absent); a list in it counts by its first member.
     */
    static long correctedInitialAgeMillis(String date, String age, long requestTimeMillis,
        long responseTimeMillis) {
        return correctedInitialAgeMillis(date, age == null ? List.of() : List.of(age), requestTimeMillis,
            responseTimeMillis);
    }

    static long correctedInitialAgeMillis(String date, List<String> ageLines, long requestTimeMillis,
        long responseTimeMillis) {
        long dateValue = HttpDates.parse(date);
        long apparentAge = dateValue == HttpDates.INVALID ? 0 : Math.max(0, responseTimeMillis - dateValue);
        long ageValue = Math.max(0, ageSeconds(ageLines)) * MILLIS_PER_SECOND;
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
     * The {@code Age} field value to send with a response served from the cache (RFC 9111 §5.1,
     * §4): the current age in whole seconds (truncated), at most 2147483648. Send it on every
     * stored response served, whether its freshness came from {@code max-age}, {@code Expires} or
     * a heuristic, and leave the stored {@code Date} as it is.
     */
    public static String ageFieldValue(long currentAgeMillis) {
        long seconds = Math.max(0, currentAgeMillis) / MILLIS_PER_SECOND;
        return Long.toString(Math.min(seconds, CacheControl.MAX_DELTA_SECONDS));
    }

    /**
     * Whether a stored response may be served without contacting the upstream (RFC 9111 §4.2,
     * §5.2.1). It is unusable when the request says {@code no-cache} or its age exceeds the
     * request's {@code max-age}. A fresh response (age below lifetime) is usable unless the
     * request's {@code min-fresh} wants more remaining freshness than it has. A stale one is
     * usable only within the request's {@code max-stale} (§5.2.1.2), never with a request {@code
     * min-fresh} (a stale response has no freshness left), and never when {@code mustRevalidate}
     * (§4.2.4).
     *
     * <p>Serving stale while revalidating (grace, {@code stale-while-revalidate}) and on upstream
     * errors ({@code stale-if-error}) are separate decisions: {@link #mayServeStale}, {@link
     * #mayServeStaleOnError}. When the rules do not respect {@code Cache-Control}, pass {@link
     * CacheControl#NONE} as {@code request}.
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
        if (mustRevalidate || request.maxStale() < 0 || request.minFresh() >= 0) {
            return false;
        }
        return request.maxStale() == Long.MAX_VALUE
            || currentAgeMillis - lifetimeMillis <= request.maxStale() * MILLIS_PER_SECOND;
    }

    /**
     * Whether a stale stored response (one that {@link #usable} refused) may still be served
     * while one request revalidates it: within {@code windowMillis} past its expiry. The window
     * is the configured {@link CacheRules#grace()} (the leader revalidates, others get the
     * stale entry) or the response's {@link #staleWhileRevalidateMillis} (RFC 5861 §3: even the
     * request that finds it stale is answered from it, and one revalidation runs in the
     * background). Never when {@code mustRevalidate} (RFC 9111 §4.2.4), and never when the
     * request withholds consent to stale answers: its {@code no-cache}, {@code max-age} (§5.2.1.1:
     * without {@code max-stale} the client does not want a stale response) or {@code min-fresh}.
     *
     * @param windowMillis how long past expiry: grace or stale-while-revalidate; 0 or less: never
     */
    public static boolean mayServeStale(long currentAgeMillis, long lifetimeMillis, long windowMillis,
        boolean mustRevalidate, CacheControl request) {
        if (mustRevalidate || windowMillis <= 0 || currentAgeMillis < lifetimeMillis || refusesStale(request)) {
            return false;
        }
        return currentAgeMillis - lifetimeMillis <= windowMillis;
    }

    /**
     * Whether the upstream's answer to a request for this entry counts as an error that {@code
     * stale-if-error} covers (RFC 5861 §4: "any situation that would result in a 500, 502, 503,
     * or 504"): those statuses, which include Meridian's own 502 for a refused or broken
     * connection and 504 for an upstream timeout (CONTRACT §4). Any other status is an answer
     * to pass on (and to store or merge as usual).
     */
    public static boolean isStaleIfErrorStatus(int status) {
        return status == 500 || status == 502 || status == 503 || status == 504;
    }

    /**
     * Whether a stored response may answer a request whose upstream call failed with {@code
     * status} (see {@link #isStaleIfErrorStatus}: pass 502 for a connection failure and 504 for
     * a timeout). RFC 5861 §4: within the response's {@code stale-if-error} window past expiry
     * (unless the request withholds consent to stale answers, see {@link #mayServeStale}), or
     * within the request's own {@code stale-if-error} window; never past the larger window, and
     * never when {@code mustRevalidate} (RFC 9111 §4.2.4, §5.2.2.2: such a response answers 504
     * when it cannot be revalidated). A response that is still fresh (the request forced a
     * revalidation, e.g. with {@code no-cache}) counts as 0 stale.
     *
     * @param responseWindowMillis the stored {@link #staleIfErrorMillis}
     * @param request the request's directives; {@link CacheControl#NONE} when the rules do not
     *     respect {@code Cache-Control}
     * @param status what the upstream answered, or 502/504 for no answer
     */
    public static boolean mayServeStaleOnError(long currentAgeMillis, long lifetimeMillis, long responseWindowMillis,
        boolean mustRevalidate, CacheControl request, int status) {
        if (mustRevalidate || !isStaleIfErrorStatus(status)) {
            return false;
        }
        long window = responseWindowMillis > 0 && !refusesStale(request) ? responseWindowMillis : -1;
        if (request.staleIfError() >= 0) {
            window = Math.max(window, request.staleIfError() * MILLIS_PER_SECOND);
        }
        return window >= 0 && Math.max(0, currentAgeMillis - lifetimeMillis) <= window;
    }

    /** Whether a request's own directives rule out a stale answer it did not ask for. */
    private static boolean refusesStale(CacheControl request) {
        return request.noCache() || request.maxAge() >= 0 || request.minFresh() >= 0;
    }

    /**
     * Parses an HTTP-date in IMF-fixdate ({@code Sun, 06 Nov 1994 08:49:37 GMT}), the obsolete
     * RFC 850 ({@code Sunday, 06-Nov-94 08:49:37 GMT}, two-digit years read as RFC 9110 §5.6.7
     * says) or asctime ({@code Sun Nov  6 08:49:37 1994}) form. Surrounding whitespace is
     * allowed; the day name is checked for syntax, not against the date; names and {@code GMT}
     * match in any case (RFC 9111 §4.2).
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
