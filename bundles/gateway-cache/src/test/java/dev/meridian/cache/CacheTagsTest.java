package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class CacheTagsTest {

    private static List<String> expand(String template, String path, String query, HeaderView request) {
        return CacheTags.compile(List.of(template)).expand(path, query, request);
    }

    @Test
    void should_keep_a_literal_template_as_is() {
        assertEquals(List.of("orders"), expand("orders", "/orders/1", null, Headers.NONE));
    }

    @Test
    void should_expand_path_segments_one_based() {
        CacheTags tags = CacheTags.compile(List.of("a:{path.1}", "b:{path.2}", "c:{path.3}/{path.2}"));
        assertEquals(List.of("a:orders", "b:42", "c:lines/42"), tags.expand("/orders/42/lines", null, Headers.NONE));
    }

    @Test
    void should_drop_a_tag_whose_placeholder_has_no_value() {
        CacheTags tags = CacheTags.compile(List.of("orders", "line:{path.4}", "c:{query.customer}", "{header.X-Tenant}",
            "e:{query.empty}", "n:{query.novalue}", "s:{path.2}"));
        assertEquals(List.of("orders"), tags.expand("/orders//", "empty=&novalue&other=1", Headers.view("X-Tenant", "  ")));
    }

    @Test
    void should_percent_decode_query_values_and_names() {
        assertEquals(List.of("customer:jos\u00e9 a+b"),
            expand("customer:{query.customer}", "/", "x=1&customer=jos%C3%A9%20a+b&customer=second", Headers.NONE));
        assertEquals(List.of("c:1"), expand("c:{query.my key}", "/", "my%20key=1", Headers.NONE));
        assertEquals(List.of("c:100%zz%"), expand("c:{query.p}", "/", "p=100%zz%", Headers.NONE));
    }

    @Test
    void should_expand_headers_case_insensitively() {
        assertEquals(List.of("tenant:acme"), expand("tenant:{header.x-tenant}", "/", null, Headers.view("X-TENANT", " acme ")));
    }

    @Test
    void should_keep_unknown_placeholders_and_stray_braces_literal() {
        assertEquals(List.of("{foo}:{path.0}:{path.x}:orders"), expand("{foo}:{path.0}:{path.x}:{path.1}", "/orders", null,
            Headers.NONE));
        assertEquals(List.of(), expand("{{path.1}", "/", null, Headers.NONE)); // "{" literal, then an empty path.1
        assertEquals(List.of("{orders"), expand("{{path.1}", "/orders", null, Headers.NONE));
        assertEquals(List.of("x{path.1"), expand("x{path.1", "/orders", null, Headers.NONE));
    }

    @Test
    void should_remove_duplicate_and_overlong_tags() {
        CacheTags tags = CacheTags.compile(List.of("a", "{path.1}", "{query.q}"));
        assertEquals(List.of("a"), tags.expand("/a", "q=" + "x".repeat(257), Headers.NONE));
        assertThrows(UnsupportedOperationException.class, () -> tags.expand("/b", null, Headers.NONE).add("c"));
    }

    @Test
    void should_take_tags_from_cache_tag_and_surrogate_key() {
        HeaderView response = Headers.view("Cache-Tag", " a, b ,,c", "cache-tag", "d", "Surrogate-Key", "e  b\tf ");
        assertEquals(List.of("a", "b", "c", "d", "e", "f"), CacheTags.fromResponse(response));
        assertEquals(List.of(), CacheTags.fromResponse(Headers.NONE));
    }

    @Test
    void should_limit_response_tags_in_number_and_length() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add("t" + i);
        }
        String tooLong = "x".repeat(257);
        HeaderView response = Headers.view("Cache-Tag", tooLong + "," + "y".repeat(256) + "," + String.join(",", many));
        List<String> tags = CacheTags.fromResponse(response);
        assertEquals(64, tags.size());
        assertEquals("y".repeat(256), tags.get(0));
        assertEquals("t62", tags.get(63));
    }
}
