package dev.meridian.cache;

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

    private static boolean notModified(HeaderView stored, String... request) {
        return Conditionals.notModified(Headers.view(request), stored, 0);
    }

    private static HeaderView etag(String value) {
        return Headers.view("ETag", value);
    }

    /**
     * RFC 9110 §13.2.2 and §13.1.3: If-None-Match decides and If-Modified-Since is ignored
     * whenever it is present; cache-tests conditional-etag-precedence.
     */
    @Test
    void should_give_if_none_match_precedence_over_if_modified_since() {
        HeaderView stored = Headers.view("ETag", "\"abcdef\"", "Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
        assertTrue(notModified(stored, "If-None-Match", "\"abcdef\"", "If-Modified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"));
        assertFalse(notModified(stored, "If-None-Match", "\"x\"", "If-Modified-Since", "Mon, 07 Nov 1994 08:49:37 GMT"));
        assertFalse(notModified(stored, "If-None-Match", "garbage", "If-Modified-Since", "Mon, 07 Nov 1994 08:49:37 GMT"),
            "a malformed If-None-Match is still present");
    }

    /**
     * RFC 9110 §8.8.3.2 (weak comparison) and §13.1.2; cache-tests conditional-etag-strong-respond,
     * conditional-etag-weak-respond, conditional-etag-strong-respond-multiple-first, -second, -last.
     */
    @Test
    void should_compare_entity_tags_weakly_in_any_position_of_the_list() {
        assertTrue(notModified(etag("\"abcdef\""), "If-None-Match", "\"abcdef\""));
        assertTrue(notModified(etag("W/\"abcdef\""), "If-None-Match", "W/\"abcdef\""));
        assertTrue(notModified(etag("W/\"abcdef\""), "If-None-Match", "\"abcdef\""));
        assertTrue(notModified(etag("\"abcdef\""), "If-None-Match", "W/\"abcdef\""));
        assertTrue(notModified(etag("\"abcdef\""), "If-None-Match", "\"abcdef\", \"1234\", \"5678\""));
        assertTrue(notModified(etag("\"abcdef\""), "If-None-Match", "\"1234\", \"abcdef\", \"5678\""));
        assertTrue(notModified(etag("\"abcdef\""), "If-None-Match", "\"1234\",\"5678\" ,\t\"abcdef\""));
        assertTrue(notModified(etag("\"abcdef\""), "If-None-Match", "\"1234\"", "If-None-Match", "\"abcdef\""));
        assertTrue(notModified(etag("\"\""), "If-None-Match", "\"\""), "an empty opaque-tag is valid");
        assertFalse(notModified(etag("\"abcdef\""), "If-None-Match", "\"abcdeF\""), "case-sensitive");
        assertFalse(notModified(etag("\"abcdef\""), "If-None-Match", "\"abcde\""));
        assertFalse(notModified(Headers.NONE, "If-None-Match", "\"abcdef\""), "nothing stored to match");
        assertTrue(Conditionals.weakMatch("W/\"a\"", "\"a\""));
        assertFalse(Conditionals.weakMatch("a", "a"));
    }

    /**
     * RFC 9110 §8.8.3: etagc allows "," and obs-text (0x80-0xFF, seen as ISO-8859-1 characters);
     * cache-tests conditional-etag-strong-respond-obs-text.
     */
    @Test
    void should_compare_entity_tags_with_commas_and_obs_text() {
        assertTrue(notModified(etag("\"a,b\""), "If-None-Match", "\"x\", \"a,b\""));
        assertFalse(notModified(etag("\"a,b\""), "If-None-Match", "\"a\", \"b\""));
        assertTrue(notModified(etag("\"abcdef\u00fc\""), "If-None-Match", "\"abcdef\u00fc\""));
        assertFalse(notModified(etag("\"abcdef\u00fc\""), "If-None-Match", "\"abcdef\u00fd\""));
        assertTrue(notModified(etag("W/\"\u0080\u00ff\""), "If-None-Match", "\"\u0080\u00ff\""));
        assertFalse(notModified(etag("\"a\ufffd\""), "If-None-Match", "\"a\ufffd\""),
            "above U+00FF cannot come from one byte: not an entity-tag");
        assertFalse(notModified(etag("\"a b\""), "If-None-Match", "\"a b\""), "no space in etagc");
    }

    /**
     * RFC 9110 §8.8.3 (weak = %s"W/", opaque-tag quoted): anything else is malformed, and a
     * malformed If-None-Match or stored ETag never gives a 304 (the full response is always a
     * correct answer). cache-tests conditional-etag-weak-respond-lowercase, -backslash,
     * -omit-slash, conditional-etag-quoted-respond-unquoted, -unquoted-respond-unquoted,
     * -unquoted-respond-quoted are "check" tests (no requirement).
     */
    @Test
    void should_answer_no_304_for_malformed_entity_tags_or_lists() {
        assertFalse(notModified(etag("w/\"abcdef\""), "If-None-Match", "w/\"abcdef\""));
        assertFalse(notModified(etag("W\\\"abcdef\""), "If-None-Match", "W\\\"abcdef\""));
        assertFalse(notModified(etag("W\"abcdef\""), "If-None-Match", "W\"abcdef\""));
        assertFalse(notModified(etag("\"abcdef\""), "If-None-Match", "abcdef"));
        assertFalse(notModified(etag("abcdef"), "If-None-Match", "abcdef"));
        assertFalse(notModified(etag("abcdef"), "If-None-Match", "\"abcdef\""));
        assertFalse(notModified(etag("\"abcdef\""), "If-None-Match", "\"abcdef\" \"x\""), "missing comma");
        assertFalse(notModified(etag("\"abcdef\""), "If-None-Match", "\"abcdef\", junk"), "a malformed member");
        assertFalse(notModified(etag("\"abcdef\""), "If-None-Match", "\"abcdef"), "unterminated");
        assertFalse(notModified(etag("\"abcdef\""), "If-None-Match", ""));
        assertFalse(notModified(Headers.view("ETag", "\"a\"", "ETag", "\"b\""), "If-None-Match", "\"a\""),
            "two stored ETags: not one entity-tag");
        assertTrue(notModified(etag("\"abcdef\""), "If-None-Match", " , \"abcdef\","), "empty elements are skipped");
    }

    /** RFC 9110 §13.1.2: "*" alone matches any current representation; in a list it is malformed. */
    @Test
    void should_match_star_only_alone() {
        assertTrue(notModified(Headers.NONE, "If-None-Match", "*"));
        assertTrue(notModified(etag("\"a\""), "If-None-Match", " * "));
        assertFalse(notModified(etag("\"a\""), "If-None-Match", "*, \"a\""));
        assertFalse(notModified(etag("\"a\""), "If-None-Match", "*", "If-None-Match", "*"));
    }

    /**
     * RFC 9111 §4.3.2: without Last-Modified, If-Modified-Since is compared with the stored Date,
     * else the time the response was received; RFC 9110 §13.1.3: an invalid date, or more than
     * one, is ignored; RFC 9111 §4.2: dates match case-insensitively.
     */
    @Test
    void should_evaluate_if_modified_since_against_last_modified_then_date_then_receipt() {
        long received = 784_111_777_000L; // Sun, 06 Nov 1994 08:49:37 GMT
        HeaderView dated = Headers.view("Date", "Sun, 06 Nov 1994 08:49:37 GMT");
        assertTrue(Conditionals.notModified(Headers.view("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"), dated, 0));
        assertFalse(Conditionals.notModified(Headers.view("If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"), dated, 0));
        assertTrue(Conditionals.notModified(Headers.view("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),
            Headers.NONE, received));
        assertFalse(Conditionals.notModified(Headers.view("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),
            Headers.NONE, received + 1_000));
        assertTrue(Conditionals.notModified(Headers.view("If-Modified-Since", "SUN, 06 NOV 1994 08:49:37 gmt"), dated, 0));
        assertFalse(Conditionals.notModified(Headers.view("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT",
            "If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"), dated, 0));
        assertFalse(Conditionals.notModified(Headers.view("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 UTC"), dated, 0));
        HeaderView both = Headers.view("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT",
            "Date", "Mon, 07 Nov 1994 08:49:37 GMT");
        assertTrue(Conditionals.notModified(Headers.view("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"), both, 0),
            "Last-Modified first");
    }
}
