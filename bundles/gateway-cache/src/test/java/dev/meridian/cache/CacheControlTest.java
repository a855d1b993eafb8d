package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class CacheControlTest {

    private static CacheControl parse(String... lines) {
        return CacheControl.parse(Arrays.asList(lines));
    }

    @Test
    void should_answer_none_without_directives() {
        assertSame(CacheControl.NONE, CacheControl.parse(List.of()));
        assertSame(CacheControl.NONE, parse("", " , ,"));
        CacheControl none = CacheControl.NONE;
        assertEquals(-1, none.maxAge());
        assertEquals(-1, none.sMaxAge());
        assertEquals(-1, none.maxStale());
        assertEquals(-1, none.minFresh());
        assertEquals(-1, none.staleWhileRevalidate());
        assertEquals(-1, none.staleIfError());
        assertFalse(none.noStore() || none.noCache() || none.isPrivate() || none.isPublic() || none.mustRevalidate()
            || none.proxyRevalidate() || none.onlyIfCached() || none.noTransform());
    }

    @Test
    void should_read_every_directive() {
        CacheControl cc = parse("no-store, no-cache, private, public, must-revalidate, proxy-revalidate",
            "only-if-cached, no-transform, max-age=1, s-maxage=2, max-stale=3, min-fresh=4",
            "stale-while-revalidate=5, stale-if-error=6");
        assertTrue(cc.noStore() && cc.noCache() && cc.isPrivate() && cc.isPublic() && cc.mustRevalidate()
            && cc.proxyRevalidate() && cc.onlyIfCached() && cc.noTransform());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), List.of(cc.maxAge(), cc.sMaxAge(), cc.maxStale(), cc.minFresh(),
            cc.staleWhileRevalidate(), cc.staleIfError()));
    }

    @Test
    void should_match_directive_names_in_any_case() {
        CacheControl cc = parse("No-Store, MAX-AGE=10, S-MaxAge=20");
        assertTrue(cc.noStore());
        assertEquals(10, cc.maxAge());
        assertEquals(20, cc.sMaxAge());
    }

    @Test
    void should_accept_quoted_values_and_not_split_inside_quotes() {
        CacheControl cc = parse("private=\"Set-Cookie, no-store\", max-age=\"60\", no-cache=\"a,b\"");
        assertTrue(cc.isPrivate());
        assertTrue(cc.noCache());
        assertFalse(cc.noStore(), "no-store is inside a quoted string");
        assertEquals(60, cc.maxAge());
    }

    @Test
    void should_treat_an_invalid_max_age_as_zero() {
        assertEquals(0, parse("max-age=abc").maxAge());
        assertEquals(0, parse("max-age=-5").maxAge());
        assertEquals(0, parse("max-age=").maxAge());
        assertEquals(0, parse("max-age").maxAge());
        assertEquals(0, parse("s-maxage=1.5").sMaxAge());
        assertEquals(0, parse("max-age=\"1\\0\"").maxAge());
    }

    @Test
    void should_give_max_stale_without_value_as_unbounded() {
        assertEquals(Long.MAX_VALUE, parse("max-stale").maxStale());
        assertEquals(7, parse("max-stale=7").maxStale());
    }

    @Test
    void should_clamp_huge_deltas() {
        assertEquals(2_147_483_648L, parse("max-age=99999999999999999999999").maxAge());
    }

    @Test
    void should_keep_the_first_occurrence_of_a_repeated_directive() {
        assertEquals(5, parse("max-age=5", "max-age=50").maxAge());
    }

    @Test
    void should_ignore_garbage_and_unknown_directives() {
        CacheControl cc = parse(",,= junk, \"quoted, max-age=1\", foo=bar, immutable, max-age=10, no-store");
        assertEquals(10, cc.maxAge());
        assertTrue(cc.noStore());
        assertFalse(cc.noCache());
        assertEquals(CacheControl.NONE, parse("nonsense, x=\"unterminated, max-age=3"));
    }

    /** RFC 9111 §1.2.2 delta-seconds = 1*DIGIT; cache-tests cc-parse freshness-max-age-leading-zero. */
    @Test
    void should_read_leading_zeros_as_valid_delta_seconds() {
        assertEquals(3600, parse("max-age=003600").maxAge());
        assertEquals(3600, parse("s-maxage=0003600").sMaxAge());
        assertEquals(0, parse("max-age=000").maxAge());
    }

    /**
     * RFC 9111 §5.2 (cache-directive = token [ "=" ( token / quoted-string ) ], no whitespace
     * around "=") and §4.2.1 (invalid freshness information: consider the response stale);
     * cache-tests cc-freshness freshness-max-age-space-before-equals, -space-after-equals.
     */
    @Test
    void should_treat_max_age_with_space_around_equals_as_invalid_hence_stale() {
        assertEquals(0, parse("max-age =3600").maxAge());
        assertEquals(0, parse("max-age= 3600").maxAge());
        assertEquals(0, parse("max-age = 3600").maxAge());
        assertEquals(0, parse("s-maxage =3600").sMaxAge());
        assertEquals(0, parse("max-age=3600 trailing").maxAge(), "more than one token before the comma");
        assertEquals(3600, parse("max-age=3600 , public").maxAge(), "whitespace before a comma is fine");
        assertTrue(parse("no-store =1").noStore(), "a malformed restriction still restricts");
        assertFalse(parse("public =1").isPublic(), "a malformed permission grants nothing");
    }

    /**
     * RFC 9111 §5.2 (directive values in a quoted-string are not directives); cache-tests
     * cc-freshness freshness-max-age-ignore-quoted, -ignore-quoted-rev, -ignore-quoted-all,
     * -ignore-quoted-all-rev, freshness-max-age-quoted, freshness-max-age-single-quoted.
     */
    @Test
    void should_ignore_directives_inside_quoted_strings_and_read_quoted_values() {
        assertEquals(1, parse("extension=\"max-age=3600\", max-age=1").maxAge());
        assertEquals(1, parse("max-age=1, extension=\"max-age=3600\"").maxAge());
        assertEquals(1, parse("extension=\"max-age=100\", max-age=\"1\"").maxAge());
        assertEquals(1, parse("max-age=\"1\", extension=\"max-age=100\"").maxAge());
        assertEquals(3600, parse("max-age=\"3600\"").maxAge());
        assertEquals(0, parse("max-age='3600'").maxAge());
    }

    /**
     * RFC 9111 §1.2.2 and §4.2.1: not 1*DIGIT is invalid, and invalid freshness is stale;
     * cache-tests cc-freshness freshness-max-age-a100, -100a, -negative; cc-parse
     * freshness-max-age-decimal-zero and -decimal-five are "check" tests (no requirement):
     * Meridian takes the RFC's advice and treats 3600.0 as invalid too.
     */
    @Test
    void should_treat_non_digit_delta_seconds_as_zero() {
        for (String value : List.of("a3600", "3600a", "-3600", "3600.0", "3600.5", "+3600", "0x10", "")) {
            assertEquals(0, parse("max-age=" + value).maxAge(), value);
        }
    }

    /**
     * RFC 9111 §4.2.1: with several values of a directive "either the first occurrence should be
     * used or the response should be considered stale": the first is used, on one line or
     * several; cache-tests cc-parse freshness-max-age-two-fresh-stale-sameline, -sepline (both
     * reused), -two-stale-fresh-sameline, -sepline ("check" tests; not reused here).
     */
    @Test
    void should_use_the_first_of_conflicting_values_on_one_line_or_several() {
        assertEquals(1800, parse("max-age=1800, max-age=1").maxAge());
        assertEquals(1800, parse("max-age=1800", "max-age=1").maxAge());
        assertEquals(1, parse("max-age=1, max-age=1800").maxAge());
        assertEquals(1, parse("max-age=1", "max-age=1800").maxAge());
    }

    /** RFC 9111 §5.2.2.9, §5.2.2.10: both read; which counts is Freshness' decision. */
    @Test
    void should_read_s_maxage_beside_max_age() {
        CacheControl cc = parse("max-age=3600, s-maxage=1");
        assertEquals(3600, cc.maxAge());
        assertEquals(1, cc.sMaxAge());
    }

    /** RFC 9111 §5.2.1.7; cache-tests cc-request ccreq-oic (the 504 is the data plane's). */
    @Test
    void should_read_only_if_cached_in_a_request() {
        assertTrue(CacheControl.parseRequest(Headers.view("Cache-Control", "only-if-cached")).onlyIfCached());
        assertTrue(CacheControl.parseRequest(Headers.view("Cache-Control", "max-age=5, Only-If-Cached")).onlyIfCached());
        assertFalse(CacheControl.parseRequest(Headers.view("Cache-Control", "x=\"only-if-cached\"")).onlyIfCached());
    }

    @Test
    void should_skip_null_field_lines() {
        assertEquals(3, CacheControl.parse(Arrays.asList(null, "max-age=3")).maxAge());
    }

    @Test
    void should_read_pragma_no_cache_only_without_cache_control() {
        assertTrue(CacheControl.parseRequest(Headers.view("Pragma", "foo, No-Cache")).noCache());
        assertFalse(CacheControl.parseRequest(Headers.view("Pragma", "no-cache", "Cache-Control", "max-age=5")).noCache());
        assertEquals(5, CacheControl.parseRequest(Headers.view("Pragma", "no-cache", "Cache-Control", "max-age=5")).maxAge());
        assertSame(CacheControl.NONE, CacheControl.parseRequest(Headers.NONE));
        assertSame(CacheControl.NONE, CacheControl.parseRequest(Headers.view("Pragma", "x-no-cache")));
    }

    @Test
    void should_compare_by_directives() {
        assertEquals(parse("max-age=5, public"), parse("PUBLIC,max-age=5"));
        assertEquals(parse("max-age=5, public").hashCode(), parse("PUBLIC,max-age=5").hashCode());
        assertEquals("CacheControl[public,max-age=5]", parse("max-age=5, public").toString());
    }

    // ---- RFC 9213 targeted fields: CacheControl.forResponse ----

    private static CacheControl response(String... nameValues) {
        return CacheControl.forResponse(Headers.view(nameValues));
    }

    /** RFC 9213 §2.2: Cache-Control when no targeted field is present. */
    @Test
    void should_use_cache_control_without_a_targeted_field() {
        CacheControl cc = response("Cache-Control", "max-age=60, private");
        assertEquals(60, cc.maxAge());
        assertTrue(cc.isPrivate());
        assertFalse(cc.targeted());
        assertEquals("Cache-Control", cc.field());
        assertSame(CacheControl.NONE, response("Content-Type", "text/plain"));
    }

    /**
     * RFC 9213 §2.2: a valid targeted field replaces Cache-Control entirely; cache-tests
     * cdn-cache-control cdn-max-age, cdn-max-age-long-cc-max-age, cdn-max-age-short-cc-max-age.
     */
    @Test
    void should_let_cdn_cache_control_replace_cache_control_entirely() {
        CacheControl cc = response("Cache-Control", "max-age=3600, must-revalidate", "CDN-Cache-Control", "max-age=1");
        assertEquals(1, cc.maxAge());
        assertFalse(cc.mustRevalidate(), "nothing of Cache-Control counts");
        assertTrue(cc.targeted());
        assertEquals("CDN-Cache-Control", cc.field());
        assertEquals(3600, response("Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age=3600").maxAge());
        assertEquals(3600, response("cdn-cache-control", "max-age=3600").maxAge(), "field names in any case");
    }

    /**
     * RFC 9213 §2.2: private, no-cache, no-store and max-age=0 of a targeted field count, and
     * Cache-Control's permissions do not; cache-tests cdn-private, cdn-no-cache,
     * cdn-no-store-cc-fresh, cdn-max-age-0, cdn-fresh-cc-nostore.
     */
    @Test
    void should_honour_the_restrictions_of_a_targeted_field() {
        assertTrue(response("CDN-Cache-Control", "private", "Cache-Control", "max-age=10000").isPrivate());
        assertTrue(response("CDN-Cache-Control", "no-cache", "Cache-Control", "max-age=10000").noCache());
        assertTrue(response("Cache-Control", "max-age=10000", "CDN-Cache-Control", "no-store").noStore());
        assertEquals(0, response("CDN-Cache-Control", "max-age=0", "Cache-Control", "max-age=10000").maxAge());
        CacheControl fresh = response("Cache-Control", "no-store", "CDN-Cache-Control", "max-age=10000");
        assertFalse(fresh.noStore());
        assertEquals(10000, fresh.maxAge());
        assertTrue(response("CDN-Cache-Control", "private=\"Set-Cookie\"").isPrivate(), "a String field list");
        assertTrue(response("CDN-Cache-Control", "no-cache=\"Set-Cookie\"").noCache());
    }

    /** Meridian's target list: Meridian-Cache-Control, then CDN-Cache-Control, then Cache-Control. */
    @Test
    void should_prefer_meridian_cache_control_over_cdn_cache_control() {
        CacheControl cc = response("Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age=2",
            "Meridian-Cache-Control", "max-age=3, must-revalidate");
        assertEquals(3, cc.maxAge());
        assertTrue(cc.mustRevalidate());
        assertEquals("Meridian-Cache-Control", cc.field());
        assertTrue(response("Meridian-Cache-Control", "no-store", "CDN-Cache-Control", "max-age=60").noStore());
    }

    /**
     * RFC 9213 §2.1: an invalid targeted field is ignored and the next one in precedence applies;
     * cache-tests cdn-cc-invalid-sh-type-unknown, cdn-max-age-space-before-equals,
     * -space-after-equals; cdn-max-age-case-insensitive is a "check" test: RFC 8941 keys are
     * lower case, so MaX-aGe makes the field invalid.
     */
    @Test
    void should_ignore_a_targeted_field_that_is_not_a_valid_dictionary() {
        assertTrue(response("CDN-Cache-Control", "max-age=10000, &&&&&", "Cache-Control", "no-store").noStore());
        assertEquals(1, response("Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age =100").maxAge());
        assertEquals(1, response("Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age= 100").maxAge());
        assertEquals(1, response("Cache-Control", "max-age=1", "CDN-Cache-Control", "MaX-aGe=3600").maxAge());
        assertEquals(2, response("Meridian-Cache-Control", "max-age=", "CDN-Cache-Control", "max-age=2",
            "Cache-Control", "max-age=1").maxAge());
        assertFalse(response("CDN-Cache-Control", "max-age=10000, &&&&&", "Cache-Control", "no-store").targeted());
    }

    /**
     * RFC 9213 §2.1: "Implementations SHOULD NOT consume values that violate these inferred
     * constraints"; such a field is ignored as a whole; cache-tests cdn-cc-invalid-sh-type-wrong.
     */
    @Test
    void should_ignore_a_targeted_field_whose_known_directive_has_the_wrong_type() {
        for (String wrong : List.of("max-age=\"10000\"", "max-age=1.5", "max-age=-1", "max-age", "max-age=?1",
            "max-age=(1)", "max-age=a", "no-store=?0", "no-store=1", "must-revalidate=\"x\"", "private=x",
            "s-maxage=\"5\"", "stale-while-revalidate=1.0", "public=?0")) {
            CacheControl cc = response("CDN-Cache-Control", wrong, "Cache-Control", "no-store");
            assertTrue(cc.noStore() && !cc.targeted(), wrong);
        }
    }

    /** RFC 9213 §2.1: an empty targeted field is ignored; one of unknown directives is not. */
    @Test
    void should_ignore_an_empty_targeted_field_but_not_one_of_unknown_directives() {
        assertTrue(response("CDN-Cache-Control", "", "Cache-Control", "no-store").noStore());
        CacheControl none = response("CDN-Cache-Control", "none", "Cache-Control", "no-store");
        assertFalse(none.noStore(), "RFC 9213 §3.1's example: every cache but a CDN is kept from storing");
        assertTrue(none.targeted());
        assertEquals(-1, none.maxAge());
    }

    /**
     * RFC 8941 §3.3.1 and RFC 9111 §1.2.2: fifteen-digit Integers are valid and clamped to
     * 2147483648; parameters and extension directives are ignored; request directives do not
     * count in a response; cache-tests cdn-max-age-max, cdn-max-age-max-plus, cdn-max-age-extension.
     */
    @Test
    void should_clamp_large_values_and_ignore_parameters_extensions_and_request_directives() {
        assertEquals(2_147_483_648L, response("CDN-Cache-Control", "max-age=2147483648").maxAge());
        assertEquals(2_147_483_648L, response("CDN-Cache-Control", "max-age=99999999999").maxAge());
        assertEquals(3600, response("CDN-Cache-Control", "foobar, max-age=3600").maxAge());
        assertEquals(60, response("CDN-Cache-Control", "max-age=60;foo=bar, x=(1 2)").maxAge());
        CacheControl cc = response("CDN-Cache-Control", "max-age=60, max-stale=10, min-fresh=5, only-if-cached");
        assertEquals(List.of(60L, -1L, -1L, false), List.of(cc.maxAge(), cc.maxStale(), cc.minFresh(), cc.onlyIfCached()));
    }

    /** RFC 8941 §4.2: several lines combine; §4.2.2: a repeated key keeps its last value. */
    @Test
    void should_combine_targeted_field_lines_and_keep_the_last_value_of_a_repeated_directive() {
        CacheControl cc = response("CDN-Cache-Control", "max-age=60", "CDN-Cache-Control", "s-maxage=30, max-age=90");
        assertEquals(90, cc.maxAge());
        assertEquals(30, cc.sMaxAge());
        CacheControl all = response("CDN-Cache-Control", "no-store, no-cache, private, public, must-revalidate, "
            + "proxy-revalidate, no-transform, max-age=1, s-maxage=2, stale-while-revalidate=5, stale-if-error=6");
        assertTrue(all.noStore() && all.noCache() && all.isPrivate() && all.isPublic() && all.mustRevalidate()
            && all.proxyRevalidate() && all.noTransform());
        assertEquals(List.of(1L, 2L, 5L, 6L), List.of(all.maxAge(), all.sMaxAge(), all.staleWhileRevalidate(),
            all.staleIfError()));
        assertEquals("CDN-Cache-Control[max-age=90,s-maxage=30]", cc.toString());
        assertNotEquals(parse("max-age=90, s-maxage=30"), cc, "the field they come from differs");
    }
}
