package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

class CacheRulesTest {

    static CacheRules rules(Map<String, Object> block) {
        return CacheRules.of(block).orElseThrow();
    }

    static CacheRules defaults() {
        return rules(Map.of("ttl", "30s"));
    }

    private static Map<String, Object> with(String field, Object value) {
        Map<String, Object> block = new HashMap<>();
        block.put("ttl", "30s");
        block.put(field, value);
        return block;
    }

    @Test
    void should_cache_with_a_cookie_only_when_shared_or_keyed_on_the_cookie() {
        assertFalse(defaults().cachesWithCookie());
        assertFalse(rules(with("key", List.of("method", "path", "query", "header:Accept"))).cachesWithCookie());
        assertTrue(rules(with("shared", true)).cachesWithCookie());
        assertTrue(rules(with("key", List.of("method", "path", "header:cookie"))).cachesWithCookie());
    }

    @Test
    void should_mean_no_cache_when_block_is_empty() {
        assertTrue(CacheRules.of(Map.of()).isEmpty());
    }

    @Test
    void should_apply_defaults_for_absent_fields() {
        CacheRules rules = rules(Map.of("grace", "0s"));
        assertEquals(Duration.ofSeconds(30), rules.ttl());
        assertEquals(Duration.ZERO, rules.grace());
        assertEquals(Map.of(), rules.ttlByStatus());
        assertTrue(rules.respectCacheControl());
        assertEquals(List.of("method", "path", "query"), rules.keyParts());
        assertEquals(false, rules.shared());
        assertEquals(List.of(), rules.tagTemplates());
        assertEquals(100_000L, rules.maxEntries());
        assertEquals(256L << 20, rules.maxBytes());
        assertEquals(false, rules.storeSetCookie());
    }

    @Test
    void should_read_every_field_of_a_validated_block() throws Exception {
        String yaml = "id: orders\nbasePath: /orders\nupstream: {url: 'http://127.0.0.1:9000'}\n"
            + "cache:\n  ttl: 1m\n  grace: 10s\n  respectCacheControl: false\n  ttlByStatus: {\"404\": 5s, \"200\": 250ms}\n"
            + "  key: [path, method, \"header:Accept\"]\n  shared: true\n  tags: [orders, \"c:{query.c}\"]\n"
            + "  maxEntries: 500\n  maxBytes: 64m\n  storeSetCookie: true\n";
        ApiDefinition api = DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
        CacheRules rules = CacheRules.of(api.cache()).orElseThrow();
        assertEquals(new CacheRules(Duration.ofMinutes(1), Duration.ofSeconds(10),
            Map.of(404, Duration.ofSeconds(5), 200, Duration.ofMillis(250)), false,
            List.of("path", "method", "header:Accept"), true, List.of("orders", "c:{query.c}"), 500, 64L << 20, true),
            rules);
    }

    @Test
    void should_read_max_bytes_as_a_number_of_bytes_or_a_size() {
        assertEquals(64L << 20, rules(with("maxBytes", "64m")).maxBytes());
        assertEquals(1L << 30, rules(with("maxBytes", "1g")).maxBytes());
        assertEquals(5_000_000L, rules(with("maxBytes", 5_000_000L)).maxBytes());
        assertEquals(5_000_000L, rules(with("maxBytes", 5_000_000)).maxBytes());
        assertEquals(1536L, rules(with("maxBytes", "1536")).maxBytes());
        for (Object bad : List.of("64M", "64 m", "-1", 1.5, true, "0")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rules(with("maxBytes", bad)), String.valueOf(bad));
            assertTrue(e.getMessage().startsWith("maxBytes"), e.getMessage());
        }
    }

    @Test
    void should_keep_constructing_rules_without_the_later_components() {
        CacheRules old = new CacheRules(Duration.ofSeconds(30), Duration.ZERO, Map.of(), true,
            List.of("method", "path", "query"), false, List.of(), 100_000);
        assertEquals(defaults(), old);
        assertEquals(CacheRules.DEFAULT_MAX_BYTES, old.maxBytes());
        assertEquals(false, old.storeSetCookie());
    }

    @Test
    void should_reject_values_of_the_wrong_type_naming_the_field() {
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> CacheRules.of(with("grace", 10)));
        assertTrue(e.getMessage().startsWith("grace"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CacheRules.of(with("shared", "yes")));
        assertThrows(IllegalArgumentException.class, () -> CacheRules.of(with("key", List.of("cookie"))));
        assertThrows(IllegalArgumentException.class, () -> CacheRules.of(with("key", List.of())));
        assertThrows(IllegalArgumentException.class,
            () -> CacheRules.of(with("key", List.of("header:Accept", "header:accept"))));
        assertThrows(IllegalArgumentException.class, () -> CacheRules.of(with("ttlByStatus", Map.of("abc", "1s"))));
        assertThrows(IllegalArgumentException.class, () -> CacheRules.of(with("maxEntries", 0L)));
        assertThrows(IllegalArgumentException.class, () -> CacheRules.of(with("storeSetCookie", "yes")));
    }

    @Test
    void should_give_the_same_version_in_every_jvm_for_the_same_rules() {
        // a fixed value: the version must not depend on hash codes or map order
        assertEquals("200d0472cbf3", defaults().version());
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("ttlByStatus", mapOf("404", "5s", "200", "1s"));
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("ttlByStatus", mapOf("200", "1000ms", "404", "5s"));
        assertEquals(rules(a).version(), rules(b).version());
        assertEquals(12, defaults().version().length());
    }

    @Test
    void should_keep_the_version_when_only_tags_or_max_entries_change() {
        String base = defaults().version();
        assertEquals(base, rules(with("tags", List.of("orders"))).version());
        assertEquals(base, rules(with("maxEntries", 5L)).version());
        assertEquals(base, rules(with("maxBytes", "1g")).version());
        assertEquals(base, rules(with("storeSetCookie", false)).version(), "rules written before it keep their version");
    }

    /** Turning storeSetCookie off must stop stored Set-Cookie lines from being served at once: a new map. */
    @Test
    void should_change_the_version_when_set_cookie_storage_is_turned_on_or_off() {
        assertNotEquals(defaults().version(), rules(with("storeSetCookie", true)).version());
    }

    @Test
    void should_change_the_version_when_a_key_or_lifetime_rule_changes() {
        String base = defaults().version();
        assertNotEquals(base, rules(with("ttl", "31s")).version());
        assertNotEquals(base, rules(with("grace", "1s")).version());
        assertNotEquals(base, rules(with("ttlByStatus", Map.of("404", "1s"))).version());
        assertNotEquals(base, rules(with("respectCacheControl", false)).version());
        assertNotEquals(base, rules(with("shared", true)).version());
        assertNotEquals(base, rules(with("key", List.of("path", "method", "query"))).version());
        assertNotEquals(base, rules(with("key", List.of("method", "path", "query", "header:Accept"))).version());
    }

    @Test
    void should_ignore_header_name_case_in_the_version_but_keep_it_in_key_parts() {
        CacheRules upper = rules(with("key", List.of("method", "header:Accept")));
        CacheRules lower = rules(with("key", List.of("method", "header:accept")));
        assertEquals(upper.version(), lower.version());
        assertEquals("header:Accept", upper.keyParts().get(1));
    }

    @Test
    void should_use_ttl_only_for_heuristically_cacheable_statuses() {
        CacheRules rules = defaults();
        for (int status : new int[] {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501}) {
            assertEquals(Duration.ofSeconds(30), rules.ttlFor(status), "status " + status);
        }
        for (int status : new int[] {201, 302, 303, 307, 400, 401, 403, 500, 502, 503}) {
            assertEquals(Duration.ZERO, rules.ttlFor(status), "status " + status);
        }
    }

    @Test
    void should_prefer_ttl_by_status_over_ttl() {
        CacheRules rules = rules(with("ttlByStatus", Map.of("404", "5s", "503", "1s")));
        assertEquals(Duration.ofSeconds(5), rules.ttlFor(404));
        assertEquals(Duration.ofSeconds(1), rules.ttlFor(503));
        assertEquals(Duration.ofSeconds(30), rules.ttlFor(200));
    }

    @Test
    void should_copy_collections_immutably() {
        CacheRules rules = defaults();
        assertThrows(UnsupportedOperationException.class, () -> rules.keyParts().add("consumer"));
        assertThrows(UnsupportedOperationException.class, () -> rules.ttlByStatus().put(1, Duration.ZERO));
    }

    private static Map<String, Object> mapOf(String k1, Object v1, String k2, Object v2) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put(k1, v1);
        map.put(k2, v2);
        return map;
    }
}
