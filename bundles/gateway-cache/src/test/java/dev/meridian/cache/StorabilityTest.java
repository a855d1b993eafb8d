package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class StorabilityTest {

    private static final CacheRules RULES = CacheRulesTest.defaults();
    private static final HeaderView REQUEST = Headers.view("Accept", "*/*");
    private static final HeaderView AUTHORIZED = Headers.view("Authorization", "Bearer abc");

    private static CacheRules rules(String field, Object value) {
        Map<String, Object> block = new HashMap<>();
        block.put("ttl", "30s");
        block.put(field, value);
        return CacheRulesTest.rules(block);
    }

    private static String refusal(HeaderView response) {
        return Storability.refusal(RULES, "GET", 200, REQUEST, response);
    }

    @Test
    void should_store_a_plain_get_response() {
        assertNull(refusal(Headers.view("Content-Type", "text/plain")));
        assertNull(refusal(Headers.view("Cache-Control", "max-age=60")));
    }

    @Test
    void should_refuse_methods_other_than_get_including_head() {
        assertEquals("method", Storability.refusal(RULES, "POST", 200, REQUEST, Headers.NONE));
        assertEquals("method", Storability.refusal(RULES, "HEAD", 200, REQUEST, Headers.NONE));
        assertEquals("method", Storability.refusal(RULES, "get", 200, REQUEST, Headers.NONE));
    }

    @Test
    void should_refuse_partial_content() {
        assertEquals("partial", Storability.refusal(RULES, "GET", 206, REQUEST, Headers.view("Cache-Control", "max-age=60")));
    }

    @Test
    void should_refuse_non_final_and_not_modified_statuses() {
        assertEquals("status", Storability.refusal(RULES, "GET", 101, REQUEST, Headers.NONE));
        assertEquals("status", Storability.refusal(RULES, "GET", 304, REQUEST, Headers.NONE));
    }

    @Test
    void should_refuse_a_status_without_heuristic_or_explicit_freshness() {
        assertEquals("status", Storability.refusal(RULES, "GET", 500, REQUEST, Headers.NONE));
        assertEquals("status", Storability.refusal(RULES, "GET", 302, REQUEST, Headers.view("ETag", "\"x\"")));
    }

    @Test
    void should_store_an_uncommon_status_with_explicit_freshness_or_a_configured_ttl() {
        assertNull(Storability.refusal(RULES, "GET", 500, REQUEST, Headers.view("Cache-Control", "max-age=5")));
        assertNull(Storability.refusal(RULES, "GET", 302, REQUEST,
            Headers.view("Expires", "Sun, 06 Nov 2994 08:49:37 GMT")));
        assertNull(Storability.refusal(rules("ttlByStatus", Map.of("503", "2s")), "GET", 503, REQUEST, Headers.NONE));
    }

    @Test
    void should_refuse_response_no_store() {
        assertEquals("no-store", refusal(Headers.view("Cache-Control", "max-age=60, no-store")));
        assertEquals("no-store", Storability.refusal(rules("respectCacheControl", false), "GET", 200, REQUEST,
            Headers.view("Cache-Control", "no-store")));
    }

    @Test
    void should_refuse_request_no_store_only_when_respecting_cache_control() {
        HeaderView request = Headers.view("Cache-Control", "no-store");
        assertEquals("no-store", Storability.refusal(RULES, "GET", 200, request, Headers.NONE));
        assertNull(Storability.refusal(rules("respectCacheControl", false), "GET", 200, request, Headers.NONE));
    }

    @Test
    void should_refuse_private_even_when_ignoring_cache_control() {
        assertEquals("private", refusal(Headers.view("Cache-Control", "private, max-age=60")));
        assertEquals("private", refusal(Headers.view("Cache-Control", "private=\"X-User\"")));
        assertEquals("private", Storability.refusal(rules("respectCacheControl", false), "GET", 200, REQUEST,
            Headers.view("Cache-Control", "private")));
    }

    /** CONTRACT §6: never cached unless configured; Set-Cookie2 sets cookies as well. */
    @Test
    void should_refuse_set_cookie() {
        assertEquals("set-cookie", refusal(Headers.view("Cache-Control", "public, max-age=60", "Set-Cookie", "a=b")));
        assertEquals("set-cookie", refusal(Headers.view("Cache-Control", "max-age=60", "Set-Cookie2", "a=b")));
        assertEquals("set-cookie", refusal(Headers.view("set-cookie", "a=b")));
    }

    /** storeSetCookie: true; cache-tests headers headers-store-Set-Cookie, headers-store-Set-Cookie2. */
    @Test
    void should_store_set_cookie_responses_when_configured() {
        CacheRules store = rules("storeSetCookie", true);
        assertNull(Storability.refusal(store, "GET", 200, REQUEST,
            Headers.view("Cache-Control", "max-age=3600", "Set-Cookie", "a=b", "Set-Cookie", "c=d")));
        assertNull(Storability.refusal(store, "GET", 200, REQUEST,
            Headers.view("Cache-Control", "max-age=3600", "Set-Cookie2", "a=b")));
        assertEquals("private", Storability.refusal(store, "GET", 200, REQUEST,
            Headers.view("Cache-Control", "private", "Set-Cookie", "a=b")), "private still refuses");
    }

    @Test
    void should_refuse_authorization_requests_on_shared_apis() {
        CacheRules shared = rules("shared", true);
        assertEquals("authorization", Storability.refusal(shared, "GET", 200, AUTHORIZED, Headers.NONE));
        assertEquals("authorization", Storability.refusal(shared, "GET", 200, AUTHORIZED,
            Headers.view("Cache-Control", "max-age=60")));
    }

    @Test
    void should_store_authorization_requests_on_shared_apis_with_upstream_consent() {
        CacheRules shared = rules("shared", true);
        for (String consent : List.of("public", "s-maxage=60", "must-revalidate")) {
            assertNull(Storability.refusal(shared, "GET", 200, AUTHORIZED, Headers.view("Cache-Control", consent)),
                consent);
        }
    }

    @Test
    void should_store_authorization_requests_when_not_shared() {
        assertNull(Storability.refusal(RULES, "GET", 200, AUTHORIZED, Headers.NONE));
    }

    @Test
    void should_refuse_vary_star() {
        assertEquals("vary-star", refusal(Headers.view("Vary", "Accept", "Vary", "Accept-Language, *")));
        assertNull(refusal(Headers.view("Vary", "Accept")));
    }

    @Test
    void should_refuse_a_response_with_no_lifetime_validator_or_grace() {
        CacheRules noTtl = rules("ttl", "0s");
        assertEquals("no-lifetime", Storability.refusal(noTtl, "GET", 200, REQUEST, Headers.NONE));
        assertEquals("no-lifetime", refusal(Headers.view("Cache-Control", "max-age=0")));
        assertEquals("no-lifetime", refusal(Headers.view("Cache-Control", "no-cache")));
        assertEquals("no-lifetime", refusal(Headers.view("Expires", "0")));
    }

    @Test
    void should_store_a_zero_lifetime_response_that_has_a_validator() {
        assertNull(refusal(Headers.view("Cache-Control", "no-cache", "ETag", "\"v1\"")));
        assertNull(refusal(Headers.view("Cache-Control", "max-age=0", "Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")));
    }

    @Test
    void should_store_a_zero_lifetime_response_that_grace_can_serve_unless_it_must_revalidate() {
        CacheRules grace = rules("grace", "10s");
        assertNull(Storability.refusal(grace, "GET", 200, REQUEST, Headers.view("Cache-Control", "max-age=0")));
        assertEquals("no-lifetime", Storability.refusal(grace, "GET", 200, REQUEST,
            Headers.view("Cache-Control", "max-age=0, must-revalidate")));
    }

    /**
     * RFC 9111 §5.2.2.4 and §4.2.4: a no-cache response is never served without validation, so
     * without a validator there is nothing grace could do with it.
     */
    @Test
    void should_refuse_a_no_cache_response_without_a_validator_even_with_grace() {
        assertEquals("no-lifetime", Storability.refusal(rules("grace", "10s"), "GET", 200, REQUEST,
            Headers.view("Cache-Control", "no-cache")));
    }

    /** RFC 5861: a zero-lifetime response may still serve stale while revalidating or on errors. */
    @Test
    void should_store_a_zero_lifetime_response_that_stale_while_revalidate_or_stale_if_error_can_serve() {
        assertNull(refusal(Headers.view("Cache-Control", "max-age=0, stale-while-revalidate=60")));
        assertNull(refusal(Headers.view("Cache-Control", "max-age=0, stale-if-error=60")));
        assertEquals("no-lifetime", refusal(Headers.view("Cache-Control", "max-age=0, must-revalidate, stale-if-error=60")));
        assertEquals("no-lifetime", refusal(Headers.view("Cache-Control", "s-maxage=0, stale-while-revalidate=60")));
    }

    /**
     * RFC 9213 §2.2: a valid targeted field decides instead of Cache-Control, for storing too;
     * cache-tests cdn-cache-control cdn-no-store-cc-fresh, cdn-fresh-cc-nostore, cdn-private,
     * cdn-cc-invalid-sh-type-unknown, cdn-cc-invalid-sh-type-wrong.
     */
    @Test
    void should_decide_storage_by_the_targeted_field_first() {
        assertEquals("no-store", refusal(Headers.view("Cache-Control", "max-age=10000", "CDN-Cache-Control", "no-store")));
        assertNull(refusal(Headers.view("Cache-Control", "no-store", "CDN-Cache-Control", "max-age=10000")));
        assertEquals("private", refusal(Headers.view("CDN-Cache-Control", "private", "Cache-Control", "max-age=10000")));
        assertNull(refusal(Headers.view("Cache-Control", "private", "Meridian-Cache-Control", "max-age=60")));
        assertEquals("no-store", refusal(Headers.view("Meridian-Cache-Control", "no-store",
            "CDN-Cache-Control", "max-age=60")));
        assertEquals("no-store", refusal(Headers.view("CDN-Cache-Control", "max-age=10000, &&&&&",
            "Cache-Control", "no-store")), "an invalid field is ignored");
        assertEquals("no-store", refusal(Headers.view("CDN-Cache-Control", "max-age=\"10000\"",
            "Cache-Control", "no-store")), "so is one of the wrong type");
        assertEquals("no-store", Storability.refusal(rules("respectCacheControl", false), "GET", 200, REQUEST,
            Headers.view("CDN-Cache-Control", "no-store")));
        assertEquals("no-lifetime", Storability.refusal(rules("ttl", "0s"), "GET", 200, REQUEST,
            Headers.view("CDN-Cache-Control", "max-age=0", "Cache-Control", "max-age=60")));
    }

    /** RFC 9213 §2.2: with a targeted field, Expires is no permission to store a 500. */
    @Test
    void should_not_count_expires_as_permission_when_a_targeted_field_governs() {
        HeaderView expires = Headers.view("Expires", "Sun, 06 Nov 2994 08:49:37 GMT");
        assertNull(Storability.refusal(RULES, "GET", 500, REQUEST, expires));
        assertEquals("status", Storability.refusal(RULES, "GET", 500, REQUEST,
            Headers.view("Expires", "Sun, 06 Nov 2994 08:49:37 GMT", "CDN-Cache-Control", "none")));
        assertNull(Storability.refusal(RULES, "GET", 500, REQUEST, Headers.view("CDN-Cache-Control", "max-age=5")));
    }

    /** RFC 9111 §3.5 consent read from the targeted field. */
    @Test
    void should_read_authorization_consent_from_the_targeted_field() {
        CacheRules shared = rules("shared", true);
        assertNull(Storability.refusal(shared, "GET", 200, AUTHORIZED, Headers.view("CDN-Cache-Control", "public")));
        assertEquals("authorization", Storability.refusal(shared, "GET", 200, AUTHORIZED,
            Headers.view("Cache-Control", "public", "CDN-Cache-Control", "max-age=60")));
    }

    @Test
    void should_ignore_response_lifetimes_when_not_respecting_cache_control() {
        CacheRules ignore = rules("respectCacheControl", false);
        assertNull(Storability.refusal(ignore, "GET", 200, REQUEST, Headers.view("Cache-Control", "max-age=0, no-cache")));
        assertEquals("status", Storability.refusal(ignore, "GET", 500, REQUEST, Headers.view("Cache-Control", "max-age=60")));
    }
}
