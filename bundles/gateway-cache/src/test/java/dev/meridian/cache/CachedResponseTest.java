package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;

class CachedResponseTest {

    private static final long T = 784_111_777_000L; // Sun, 06 Nov 1994 08:49:37 GMT
    private static final String DATE = "Sun, 06 Nov 1994 08:49:37 GMT";

    private static CachedResponse entry(List<Map.Entry<String, String>> headers, byte[] body) {
        Map<String, Long> tags = new LinkedHashMap<>();
        tags.put("orders", 3L);
        tags.put("customer:7", 0L);
        return new CachedResponse(200, headers, body, T - 20, T, 1_000, 60_000, 10_000, true,
            List.of("accept", "accept-language"), tags, 42);
    }

    private static CachedResponse sample() {
        return entry(Headers.list("Content-Type", "application/json", "ETag", "\"v1\"", "Date", DATE),
            "{\"id\":1}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void should_tell_from_the_bytes_whether_an_invalidation_covers_an_entry() {
        long url = UrlGenerations.hash("url:orders /orders/1");
        int bucket = UrlGenerations.bucket(url);
        byte[] bytes = sample().withGenerations(sample().tagGenerations(), 42, 5).encode();
        assertFalse(CachedResponse.coveredBy(bytes, raised(42, Map.of(), Map.of())));
        assertTrue(CachedResponse.coveredBy(bytes, raised(43, Map.of(), Map.of())), "api generation moved on");
        assertFalse(CachedResponse.coveredBy(bytes, raised(0, Map.of("orders", 3L), Map.of())), "same generation: stored after it");
        assertTrue(CachedResponse.coveredBy(bytes, raised(0, Map.of("orders", 4L), Map.of())));
        assertTrue(CachedResponse.coveredBy(bytes, raised(0, Map.of("customer:7", 1L), Map.of())));
        assertFalse(CachedResponse.coveredBy(bytes, raised(0, Map.of("other", 9L), Map.of())));
        byte[] withUrl = new CachedResponse(200, List.of(), new byte[0], T, T, 0, 1, 0, false, List.of(), Map.of(), 0, url, 5).encode();
        assertTrue(CachedResponse.coveredBy(withUrl, raised(0, Map.of(), Map.of(bucket, new long[] {0, url, 6}))), "its URL");
        assertFalse(CachedResponse.coveredBy(withUrl, raised(0, Map.of(), Map.of(bucket, new long[] {0, url + 1, 6}))),
            "another URL of its bucket");
        assertTrue(CachedResponse.coveredBy(withUrl, raised(0, Map.of(), Map.of(bucket, new long[] {7}))), "its bucket's floor");
        assertFalse(CachedResponse.coveredBy(withUrl, raised(0, Map.of(), Map.of(bucket + 1, new long[] {7}))), "another bucket");
        assertFalse(CachedResponse.coveredBy(CachedResponse.encodeVaryMarker(List.of("accept"), T), raised(99, Map.of(), Map.of())));
        assertFalse(CachedResponse.coveredBy(new byte[] {1, 2, 3}, raised(99, Map.of(), Map.of())));
    }

    private static Invalidated raised(long api, Map<String, Long> tags, Map<Integer, long[]> urls) {
        return new Invalidated(api, tags, urls);
    }

    @Test
    void should_round_trip_through_bytes() {
        CachedResponse entry = sample();
        byte[] bytes = entry.encode();
        CachedResponse back = CachedResponse.decode(bytes);
        assertEquals(entry, back);
        assertEquals(entry.hashCode(), back.hashCode());
        assertEquals(entry.headers(), back.headers());
        assertEquals(List.of("customer:7", "orders"), List.copyOf(back.tagGenerations().keySet()));
        assertArrayEquals(bytes, back.encode());
    }

    @Test
    void should_round_trip_an_empty_body() {
        CachedResponse entry = new CachedResponse(204, List.of(), null, 0, 0, 0, 0, 0, false, List.of(), Map.of(), 0);
        assertEquals(0, entry.body().length);
        assertEquals(entry, CachedResponse.decode(entry.encode()));
    }

    @Test
    void should_round_trip_a_large_body() {
        byte[] body = new byte[1 << 20];
        new Random(7).nextBytes(body);
        CachedResponse entry = entry(Headers.list("Content-Type", "application/octet-stream"), body);
        byte[] bytes = entry.encode();
        assertTrue(bytes.length > body.length && bytes.length < body.length + 512);
        assertArrayEquals(body, CachedResponse.decode(bytes).body());
    }

    @Test
    void should_round_trip_unicode_headers() {
        CachedResponse entry = entry(Headers.list("X-Name", "Jos\u00e9 \u65e5\u672c \uD83D\uDE00", "X-\u00c9", "\u20ac"),
            new byte[] {1});
        CachedResponse back = CachedResponse.decode(entry.encode());
        assertEquals("Jos\u00e9 \u65e5\u672c \uD83D\uDE00", back.headerView().first("x-name"));
        assertEquals(entry, back);
    }

    @Test
    void should_reject_null_empty_and_truncated_bytes() {
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(null));
        byte[] bytes = sample().encode();
        for (int length = 0; length < bytes.length; length++) {
            byte[] prefix = Arrays.copyOf(bytes, length);
            assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(prefix), "length " + length);
        }
    }

    @Test
    void should_reject_trailing_bytes() {
        byte[] bytes = sample().encode();
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(Arrays.copyOf(bytes, bytes.length + 1)));
    }

    @Test
    void should_reject_an_unknown_format_version() {
        byte[] bytes = sample().encode();
        bytes[2] = 1; // the format before URL generations: refused (the entry is dropped and fetched anew)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(bytes));
        assertTrue(e.getMessage().contains("version 1"), e.getMessage());
    }

    @Test
    void should_reject_a_wrong_magic_bad_counts_flags_and_utf8() {
        byte[] bytes = sample().encode();
        byte[] magic = bytes.clone();
        magic[0] = 'M';
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(magic));
        int flagsAt = 3 + 4 + 8 * 8;
        byte[] flags = bytes.clone();
        flags[flagsAt] = 4;
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(flags));
        byte[] count = bytes.clone();
        count[flagsAt + 1] = (byte) 0x80; // negative header count
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(count));
        byte[] huge = bytes.clone();
        huge[flagsAt + 1] = 0x10; // more headers than bytes left
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(huge));
        byte[] utf8 = bytes.clone();
        utf8[flagsAt + 1 + 4 + 4] = (byte) 0xFF; // first byte of the first header name
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(utf8));
        byte[] status = bytes.clone();
        status[3] = 0x7F; // status out of range
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(status));
    }

    @Test
    void should_round_trip_a_vary_marker_and_tell_it_from_an_entry() {
        byte[] marker = CachedResponse.encodeVaryMarker(List.of("accept", "accept-encoding"), T);
        assertTrue(CachedResponse.isVaryMarker(marker));
        assertEquals(Optional.of(List.of("accept", "accept-encoding")), CachedResponse.decodeVaryMarker(marker));
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decode(marker));
        byte[] entry = sample().encode();
        assertFalse(CachedResponse.isVaryMarker(entry));
        assertEquals(Optional.empty(), CachedResponse.decodeVaryMarker(entry));
        assertEquals(Optional.empty(), CachedResponse.decodeVaryMarker(null));
    }

    @Test
    void should_reject_a_malformed_vary_marker() {
        byte[] marker = CachedResponse.encodeVaryMarker(List.of("accept"), T);
        byte[] version = marker.clone();
        version[2] = 9;
        assertThrows(IllegalArgumentException.class, () -> CachedResponse.decodeVaryMarker(version));
        assertThrows(IllegalArgumentException.class,
            () -> CachedResponse.decodeVaryMarker(Arrays.copyOf(marker, marker.length - 1)));
    }

    @Test
    void should_compare_bodies_by_content() {
        CachedResponse a = entry(List.of(), new byte[] {1, 2, 3});
        CachedResponse b = entry(List.of(), new byte[] {1, 2, 3});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, entry(List.of(), new byte[] {1, 2, 4}));
        assertTrue(a.toString().contains("body=3 bytes"), a.toString());
    }

    @Test
    void should_never_store_hop_by_hop_fields_or_age() {
        List<Map.Entry<String, String>> fields = Headers.list("Connection", "keep-alive, X-Secret", "Keep-Alive", "timeout=5",
            "Proxy-Authenticate", "Basic", "TE", "trailers", "Trailer", "X", "Transfer-Encoding", "chunked",
            "Upgrade", "h2c", "Age", "5", "X-Secret", "s", "Content-Type", "text/plain", "Proxy-Connection", "close",
            "ETag", "\"e\"");
        List<Map.Entry<String, String>> kept = Headers.list("Content-Type", "text/plain", "ETag", "\"e\"");
        assertEquals(kept, CachedResponse.storableHeaders(fields));
        assertEquals(kept, entry(fields, null).headers());
    }

    @Test
    void should_expire_when_the_current_age_reaches_the_lifetime() {
        CachedResponse entry = sample(); // responseTime T, corrected initial age 1s, lifetime 60s, grace 10s
        assertEquals(T + 59_000, entry.expiresAtMillis());
        assertEquals(T + 69_000, entry.staleUntilMillis());
        long age = Freshness.currentAgeMillis(entry.correctedInitialAgeMillis(), entry.responseTimeMillis(),
            entry.expiresAtMillis());
        assertEquals(entry.lifetimeMillis(), age);
    }

    @Test
    void should_expose_validators_and_a_header_view() {
        CachedResponse entry = entry(Headers.list("etag", "\"v1\"", "Last-Modified", DATE), null);
        assertEquals("\"v1\"", entry.etag());
        assertEquals(DATE, entry.lastModified());
        assertEquals(List.of(DATE), entry.headerView().values("last-modified"));
        assertNull(sample().lastModified());
    }

    @Test
    void should_merge_a_304_into_the_stored_response() {
        CacheRules rules = CacheRulesTest.rules(Map.of("ttl", "30s", "grace", "5s"));
        CachedResponse stored = new CachedResponse(200,
            Headers.list("Content-Type", "application/json", "Cache-Control", "max-age=10", "ETag", "\"v1\"",
                "X-Multi", "1", "X-Multi", "2", "Date", DATE),
            new byte[] {9}, T - 100, T, 0, 10_000, 0, false, List.of("accept"), Map.of("orders", 1L), 7);
        long request = T + 100_000;
        long response = request + 500;
        HeaderView notModified = Headers.view("Cache-Control", "max-age=120, must-revalidate",
            "Date", Freshness.formatHttpDate(response), "Age", "3", "X-Multi", "3", "Content-Length", "0",
            "Set-Cookie", "s=1", "Connection", "close", "X-New", "n");
        CachedResponse merged = stored.mergedWith304(notModified, request, response, rules);
        assertEquals(Headers.list("Content-Type", "application/json", "Cache-Control", "max-age=120, must-revalidate",
            "ETag", "\"v1\"", "X-Multi", "3", "Date", Freshness.formatHttpDate(response), "X-New", "n"), merged.headers());
        assertEquals(3_500, merged.correctedInitialAgeMillis());
        assertEquals(120_000, merged.lifetimeMillis());
        assertEquals(5_000, merged.graceMillis());
        assertTrue(merged.mustRevalidate());
        assertEquals(request, merged.requestTimeMillis());
        assertEquals(response, merged.responseTimeMillis());
        assertSame(stored.body(), merged.body());
        assertEquals(List.of("accept"), merged.varyNames());
        assertEquals(Map.of("orders", 1L), merged.tagGenerations());
        assertEquals(7, merged.apiGeneration());
    }

    @Test
    void should_merge_the_known_fields_of_a_304_that_cannot_list_its_own() {
        CacheRules rules = CacheRulesTest.defaults();
        CachedResponse stored = entry(Headers.list("Content-Type", "text/plain", "X-Upstream", "a"), new byte[0]);
        HeaderView notModified = name -> switch (name.toLowerCase()) {
            case "x-upstream" -> List.of("b");
            case "etag" -> List.of("\"v2\"");
            case "x-unlisted" -> List.of("never seen");
            default -> List.of();
        };
        CachedResponse merged = stored.mergedWith304(notModified, T, T, rules);
        assertEquals(Headers.list("Content-Type", "text/plain", "X-Upstream", "b", "ETag", "\"v2\""), merged.headers());
        assertEquals(30_000, merged.lifetimeMillis());
        assertFalse(merged.mustRevalidate());
    }
}
