package dev.meridian.core.cache;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConditionalsTest {

    private static CachedResponse stored(String... headers) {
        List<Map.Entry<String, String>> h = new java.util.ArrayList<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.add(Map.entry(headers[i], headers[i + 1]));
        }
        return new CachedResponse(200, h, new byte[0], 0, 0, 0, 60_000, 0, false, List.of(), Map.of(), 0);
    }

    private static HeaderView request(String name, String value) {
        return HeaderView.of(List.of(Map.entry(name, value)));
    }

    @Test
    void should_match_if_none_match_by_weak_comparison_and_star() {
        CachedResponse e = stored("ETag", "W/\"v1\"");
        assertTrue(Conditionals.notModified(request("If-None-Match", "\"v1\""), e));
        assertTrue(Conditionals.notModified(request("If-None-Match", "\"v0\", W/\"v1\""), e));
        assertTrue(Conditionals.notModified(request("If-None-Match", "*"), e));
        assertFalse(Conditionals.notModified(request("If-None-Match", "\"v2\""), e));
        assertFalse(Conditionals.notModified(request("If-None-Match", "\"v1\""), stored()), "no stored ETag");
    }

    @Test
    void should_let_if_none_match_decide_over_if_modified_since() {
        CachedResponse e = stored("ETag", "\"v1\"", "Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
        HeaderView both = HeaderView.of(List.of(Map.entry("If-None-Match", "\"v2\""),
            Map.entry("If-Modified-Since", "Mon, 07 Nov 1994 08:49:37 GMT")));
        assertFalse(Conditionals.notModified(both, e));
    }

    @Test
    void should_compare_if_modified_since_with_last_modified() {
        CachedResponse e = stored("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
        assertTrue(Conditionals.notModified(request("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"), e));
        assertTrue(Conditionals.notModified(request("If-Modified-Since", "Mon, 07 Nov 1994 08:49:37 GMT"), e));
        assertFalse(Conditionals.notModified(request("If-Modified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"), e));
        assertFalse(Conditionals.notModified(request("If-Modified-Since", "garbage"), e));
        assertFalse(Conditionals.notModified(request("X", "y"), e), "no condition");
    }
}
