package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CacheKeysTest {

    private static final CacheRules RULES = CacheRulesTest.defaults();

    private static CacheRules rules(String field, Object value) {
        Map<String, Object> block = new HashMap<>();
        block.put("ttl", "30s");
        block.put(field, value);
        return CacheRulesTest.rules(block);
    }

    private static CacheRules sharedKey(List<String> key) {
        Map<String, Object> block = new HashMap<>();
        block.put("key", key);
        block.put("shared", true);
        return CacheRulesTest.rules(block);
    }

    @Test
    void should_build_a_readable_key_in_the_configured_order() {
        CacheRules rules = rules("key", List.of("method", "path", "query", "header:Accept"));
        assertEquals("GET|/orders/1|a=1&b=2|h:accept=application/json|c:-",
            CacheKeys.key(rules, "GET", "/orders/1", "b=2&a=1", Headers.view("accept", "application/json"), null));
    }

    @Test
    void should_key_head_like_get() {
        HeaderView none = Headers.NONE;
        assertEquals(CacheKeys.key(RULES, "GET", "/x", "q=1", none, "alice"),
            CacheKeys.key(RULES, "HEAD", "/x", "q=1", none, "alice"));
        assertNotEquals(CacheKeys.key(RULES, "GET", "/x", null, none, null),
            CacheKeys.key(RULES, "OPTIONS", "/x", null, none, null));
    }

    @Test
    void should_add_the_consumer_unless_shared() {
        assertEquals("GET|/x||c=alice", CacheKeys.key(RULES, "GET", "/x", null, Headers.NONE, "alice"));
        assertEquals("GET|/x||c:-", CacheKeys.key(RULES, "GET", "/x", "", Headers.NONE, null));
        assertEquals("GET|/x|", CacheKeys.key(rules("shared", true), "GET", "/x", null, Headers.NONE, "alice"));
    }

    @Test
    void should_place_a_listed_consumer_where_configured_even_when_shared() {
        assertEquals("c=bob|/x", CacheKeys.key(sharedKey(List.of("consumer", "path")), "GET", "/x", null, Headers.NONE, "bob"));
        assertEquals("c=bob|/x", CacheKeys.key(rules("key", List.of("consumer", "path")), "GET", "/x", null, Headers.NONE, "bob"));
    }

    @Test
    void should_tell_a_missing_consumer_from_one_named_dash() {
        assertNotEquals(CacheKeys.key(RULES, "GET", "/x", null, Headers.NONE, null),
            CacheKeys.key(RULES, "GET", "/x", null, Headers.NONE, "-"));
    }

    @Test
    void should_key_unidentified_authorization_requests_by_credentials_when_not_shared() {
        String alice = CacheKeys.key(RULES, "GET", "/x", null, Headers.view("Authorization", "Basic YWxpY2U="), null);
        String bob = CacheKeys.key(RULES, "GET", "/x", null, Headers.view("Authorization", "Basic Ym9i"), null);
        assertTrue(alice.startsWith("GET|/x||c#"), alice);
        assertEquals(32, alice.length() - "GET|/x||c#".length());
        assertNotEquals(alice, bob);
        assertEquals(alice, CacheKeys.key(RULES, "GET", "/x", null, Headers.view("Authorization", "Basic YWxpY2U="), null));
        assertEquals("GET|/x||c=alice",
            CacheKeys.key(RULES, "GET", "/x", null, Headers.view("Authorization", "Basic YWxpY2U="), "alice"));
    }

    @Test
    void should_tell_an_absent_header_from_an_empty_one() {
        CacheRules rules = sharedKey(List.of("path", "header:X-Tenant"));
        assertEquals("/x|h:x-tenant", CacheKeys.key(rules, "GET", "/x", null, Headers.NONE, null));
        assertEquals("/x|h:x-tenant=", CacheKeys.key(rules, "GET", "/x", null, Headers.view("X-Tenant", " "), null));
    }

    @Test
    void should_join_trimmed_header_lines_with_commas() {
        CacheRules rules = sharedKey(List.of("header:Accept-Language"));
        assertEquals("h:accept-language=en, fr,de",
            CacheKeys.key(rules, "GET", "/", null, Headers.view("Accept-Language", " en, fr ", "ACCEPT-LANGUAGE", "de"), null));
    }

    @Test
    void should_never_collide_whatever_the_values_contain() {
        CacheRules rules = rules("key", List.of("method", "path", "query", "header:X", "header:Y"));
        String[] atoms = {"", "a", "|", "\\", "=", ",", "h:x", "c:-", "c=", "&"};
        Map<String, List<String>> seen = new HashMap<>();
        for (String path : atoms) {
            for (String x : atoms) {
                for (String y : atoms) {
                    for (String consumer : new String[] {null, "", "-", "|", "\\|"}) {
                        List<String> fields = new ArrayList<>();
                        if (!x.equals("a")) { // "a" stands for an absent header X
                            fields.add("X");
                            fields.add(x);
                        }
                        fields.add("Y");
                        fields.add(y);
                        HeaderView headers = Headers.view(fields.toArray(new String[0]));
                        String key = CacheKeys.key(rules, "GET", "/" + path, path, headers, consumer);
                        List<String> input = List.of(path, x, y, String.valueOf(consumer));
                        List<String> previous = seen.put(key, input);
                        assertTrue(previous == null || previous.equals(input), key + " from " + previous + " and " + input);
                    }
                }
            }
        }
        assertNotEquals(CacheKeys.key(RULES, "GET", "/a|b", null, Headers.NONE, "c"),
            CacheKeys.key(RULES, "GET", "/a", null, Headers.NONE, "b|c"));
    }

    @Test
    void should_match_header_key_parts_case_insensitively() {
        CacheRules rules = sharedKey(List.of("header:ACCEPT"));
        assertEquals(CacheKeys.key(rules, "GET", "/", null, Headers.view("accept", "a/b"), null),
            CacheKeys.key(sharedKey(List.of("header:accept")), "GET", "/", null, Headers.view("Accept", "a/b"), null));
    }

    @Test
    void should_normalise_the_query() {
        assertEquals("", CacheKeys.normaliseQuery(null));
        assertEquals("", CacheKeys.normaliseQuery(""));
        assertEquals("", CacheKeys.normaliseQuery("&&"));
        assertEquals("a=1&a=2&b=1", CacheKeys.normaliseQuery("b=1&&a=2&a=1&"));
        assertEquals("a&a=&a=0", CacheKeys.normaliseQuery("a=0&a=&a"));
        assertEquals("a=%20&a=+&b", CacheKeys.normaliseQuery("b&a=+&a=%20"));
        assertEquals("ab=1&b=2", CacheKeys.normaliseQuery("b=2&ab=1"));
    }

    @Test
    void should_return_an_already_normal_query_as_is() {
        String query = "a=1&b=2";
        assertSame(query, CacheKeys.normaliseQuery(query));
    }

    @Test
    void should_sort_the_query_in_utf8_byte_order() {
        // U+FFFF sorts before U+1F600 in UTF-8 (and code points), after it in UTF-16 code units
        assertEquals("\uFFFF&\uD83D\uDE00", CacheKeys.normaliseQuery("\uD83D\uDE00&\uFFFF"));
    }

    @Test
    void should_make_a_vary_key_from_normalised_request_headers() {
        String base = "GET|/x|";
        String key = CacheKeys.varyKey(base, List.of("accept-encoding", "accept-language"),
            Headers.view("Accept-Encoding", "gzip ,  br", "Accept-Language", "en"));
        assertEquals("GET|/x||v|accept-encoding=gzip,br|accept-language=en", key);
        assertEquals(key, CacheKeys.varyKey(base, List.of("Accept-Language", "ACCEPT-ENCODING"),
            Headers.view("accept-encoding", "gzip", "accept-encoding", "br", "accept-language", " en ")));
    }

    @Test
    void should_tell_an_absent_vary_header_from_an_empty_one() {
        String absent = CacheKeys.varyKey("k", List.of("accept"), Headers.NONE);
        String empty = CacheKeys.varyKey("k", List.of("accept"), Headers.view("Accept", ""));
        assertEquals("k|v|accept", absent);
        assertEquals("k|v|accept=", empty);
    }

    @Test
    void should_list_vary_names_lower_cased_sorted_and_unique() {
        assertEquals(List.of("accept", "accept-encoding"),
            CacheKeys.varyNames(Headers.view("Vary", "Accept-Encoding, accept", "VARY", " Accept ,")));
        assertEquals(List.of("*"), CacheKeys.varyNames(Headers.view("Vary", "Accept, *")));
        assertEquals(List.of(), CacheKeys.varyNames(Headers.NONE));
    }
}
