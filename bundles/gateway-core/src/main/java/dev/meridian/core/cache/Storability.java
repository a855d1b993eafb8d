package dev.meridian.core.cache;

/**
 * Whether a response may be stored by Meridian's shared cache (RFC 9111 §3, CONTRACT §6), and
 * if not, why.
 *
 * <p>Stateless and thread-safe. Arguments must not be null.
 */
public final class Storability {

    private Storability() {}

    /**
     * The reason a response must not be stored, or null when it may be. Checked in this order:
     * <ul>
     *   <li>{@code "method"}: the method is not {@code GET}. A {@code HEAD} response is not stored
     *       either; {@code HEAD} is answered from a stored {@code GET}.
     *   <li>{@code "partial"}: status 206.
     *   <li>{@code "status"}: the status is not final (outside 200..599) or is 304 (a 304 is merged
     *       into the stored response, never stored itself).
     *   <li>{@code "no-store"}: the response says {@code no-store}, or the request does and the
     *       rules respect {@code Cache-Control}.
     *   <li>{@code "private"}: the response says {@code private} (qualified or not).
     *   <li>{@code "set-cookie"}: the response has a {@code Set-Cookie} field.
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
     *       explicit permission: no {@code max-age}, {@code s-maxage}, {@code Expires} or {@code
     *       public} (RFC 9111 §3).
     *   <li>{@code "no-lifetime"}: the freshness lifetime is 0, there is no validator ({@code
     *       ETag}, {@code Last-Modified}), and no grace could serve it ({@code grace} is 0 or the
     *       response must be revalidated).
     * </ul>
     * When the rules do not respect {@code Cache-Control}, response {@code max-age}, {@code
     * s-maxage}, {@code Expires}, {@code no-cache}, {@code must-revalidate} and the request's
     * directives are ignored; {@code no-store}, {@code private} and {@code Set-Cookie} still
     * refuse.
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
        CacheControl cc = CacheControl.parse(response.values(Fields.CACHE_CONTROL));
        if (cc.noStore()) {
            return "no-store";
        }
        if (cc.isPrivate()) {
            return "private";
        }
        if (!response.values(Fields.SET_COOKIE).isEmpty()) {
            return "set-cookie";
        }
        if (rules.shared() && !request.values(Fields.AUTHORIZATION).isEmpty()
            && !(cc.isPublic() || cc.sMaxAge() >= 0 || cc.mustRevalidate())) {
            return "authorization";
        }
        if (Freshness.varyStar(response.values(Fields.VARY))) {
            return "vary-star";
        }
        boolean explicit = respect
            && (cc.maxAge() >= 0 || cc.sMaxAge() >= 0 || cc.isPublic() || response.first(Fields.EXPIRES) != null);
        if (!CacheRules.heuristicallyCacheable(status) && !rules.hasTtlFor(status) && !explicit) {
            return "status";
        }
        if (Freshness.lifetimeMillis(rules, status, response, cc) == 0
            && response.first(Fields.ETAG) == null && response.first(Fields.LAST_MODIFIED) == null
            && (rules.grace().isZero() || respect && Freshness.mustRevalidate(cc))) {
            return "no-lifetime";
        }
        return null;
    }
}
