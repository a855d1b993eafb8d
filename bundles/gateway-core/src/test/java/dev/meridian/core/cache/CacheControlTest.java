package dev.meridian.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        CacheControl cc = parse(",,= junk, \"quoted, max-age=1\", foo=bar, immutable, max-age=10 trailing words, no-store");
        assertEquals(10, cc.maxAge());
        assertTrue(cc.noStore());
        assertFalse(cc.noCache());
        assertEquals(CacheControl.NONE, parse("nonsense, x=\"unterminated, max-age=3"));
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
}
