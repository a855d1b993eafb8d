package dev.meridian.cache;

/**
 * Whether a response may be stored by Meridian's shared cache (RFC 9111 §3, CONTRACT §6), and
 * if not, why.
 *
 * <p>Stateless and thread-safe. Arguments must not be null.
 */
public final class Storability {

    private Storability() {}

    /**
     * The reason a response must not be stored, or null when it may be. The response's directives
     * are those of {@link CacheControl#forResponse} (a valid targeted field, RFC 9213, replaces
     * {@code Cache-Control} and {@code Expires}). Checked in this order:
     * <ul>
     *   <li>{@code "method"}: the method is not {@code GET}. A {@code HEAD} response is not stored
     *       either; {@code HEAD} is answered from a stored {@code GET}.
     *   <li>{@code "partial"}: status 206.
     *   <li>{@code "status"}: the status is not final (outside 200..599) or is 304 (a 304 is merged
     *       into the stored response, never stored itself).
     *   <li>{@code "no-store"}: the response says {@code no-store}, or the request does and the
     *       rules respect {@code Cache-Control} (RFC 9111 §3, §5.2.1.5, §5.2.2.5).
     *   <li>{@code "private"}: the response says {@code private}, qualified or not (§5.2.2.7).
     *   <li>{@code "set-cookie"}: the response has a {@code Set-Cookie} (or the obsolete {@code
     *       Set-Cookie2}) field and the rules do not {@link CacheRules#storeSetCookie() store
     *       them} (CONTRACT §6).
     *   <li>{@code "authorization"}: the API is {@link CacheRules#shared() shared}, the request
     *       carries {@code Authorization}, and the response has none of {@code public}, {@code
     *       s-maxage}, {@code must-revalidate} (RFC 9111 §3.5; these are the upstream's explicit
     *       consent and count even when {@code Cache-Control} lifetimes are ignored). On an API
     *       that is not shared an {@code Authorization} request is storable: the key carries the
     *       consumer a policy identified, or a digest of the credentials when none did (see
     *       {@link CacheKeys#key}).
     *   <li>{@code "vary-star"}: {@code Vary: *}.
     *   <li>{@code "status"}: the status is neither heuristically cacheable nor named in {@code
     *       ttlByStatus}, and (when the rules respect {@code Cache-Control}) the response gives no
     *       explicit permission: no {@code max-age}, {@code s-maxage}, {@code public}, nor (unless
     *       a targeted field governs) {@code Expires} (RFC 9111 §3).
     *   <li>{@code "no-lifetime"}: the freshness lifetime is 0, there is no validator ({@code
     *       ETag}, {@code Last-Modified}), and nothing could serve it: the configured grace, the
     *       response's {@code stale-while-revalidate} and {@code stale-if-error} are all 0, or the
     *       response must be revalidated ({@link Freshness#mustRevalidate(CacheRules, HeaderView)}).
     * </ul>
     * When the rules do not respect {@code Cache-Control}, response {@code max-age}, {@code
     * s-maxage}, {@code Expires}, {@code no-cache}, {@code must-revalidate}, {@code
     * stale-while-revalidate}, {@code stale-if-error} and the request's directives are ignored;
     * {@code no-store}, {@code private} and {@code Set-Cookie} still refuse.
     *
     * @param method the request method as received (case-sensitive, RFC 9110 §9.1)
     */
    public static String refusal(CacheRules rules, String method, int status, HeaderView request,
        HeaderView response) {
        if (!"GET".equals(method)) {
            return "method";
        }
        if (status == 206) {
            return "partial";
        }
        if (status < 200 || status > 599 || status == 304) {
            return "status";
        }
        boolean respect = rules.respectCacheControl();
        if (respect && CacheControl.parse(request.values(Fields.CACHE_CONTROL)).noStore()) {
            return "no-store";
        }
        CacheControl cc = CacheControl.forResponse(response);
        if (cc.noStore()) {
            return "no-store";
        }
        if (cc.isPrivate()) {
            return "private";
        }
        if (!rules.storeSetCookie() && setsCookies(response)) {
            return "set-cookie";
        }
        if (rules.shared() && !request.values(Fields.AUTHORIZATION).isEmpty()
            && !(cc.isPublic() || cc.sMaxAge() >= 0 || cc.mustRevalidate())) {
            return "authorization";
        }
        if (Freshness.varyStar(response.values(Fields.VARY))) {
            return "vary-star";
        }
        boolean explicit = respect && (cc.maxAge() >= 0 || cc.sMaxAge() >= 0 || cc.isPublic()
            || !cc.targeted() && response.first(Fields.EXPIRES) != null);
        if (!CacheRules.heuristicallyCacheable(status) && !rules.hasTtlFor(status) && !explicit) {
            return "status";
        }
        if (Freshness.lifetimeMillis(rules, status, response, cc) == 0
            && response.first(Fields.ETAG) == null && response.first(Fields.LAST_MODIFIED) == null
            && !servableStale(rules, cc)) {
            return "no-lifetime";
        }
        return null;
    }

    /** Whether the response has a field that sets cookies ({@code Set-Cookie}, {@code Set-Cookie2}). */
    static boolean setsCookies(HeaderView response) {
        return !response.values(Fields.SET_COOKIE).isEmpty() || !response.values(Fields.SET_COOKIE2).isEmpty();
    }

    /** Whether a response with no lifetime could still be served stale (grace, RFC 5861 windows). */
    private static boolean servableStale(CacheRules rules, CacheControl cc) {
        if (!rules.respectCacheControl()) {
            return !rules.grace().isZero();
        }
        if (Freshness.mustRevalidate(cc)) {
            return false;
        }
        return !rules.grace().isZero() || cc.staleWhileRevalidate() > 0 || cc.staleIfError() > 0;
    }
}
