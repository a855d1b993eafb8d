package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** RFC 9111 §3.1: which header fields a stored response keeps. */
class FieldsTest {

    /**
     * RFC 9111 §3.1: "Caches MUST include all received response header fields — including
     * unrecognized ones"; cache-tests headers headers-store-Test-Header, -X-Test-Header,
     * -Content-Foo, -X-Content-Foo, -Cache-Control, -Content-Encoding, -Content-Length,
     * -Content-Location, -Content-MD5, -Content-Range, -Content-Security-Policy, -Content-Type,
     * -Clear-Site-Data, -ETag, -Expires, -Public-Key-Pins, -Set-Cookie, -Set-Cookie2,
     * -X-Frame-Options, -X-XSS-Protection.
     */
    @Test
    void should_store_every_end_to_end_field_byte_for_byte_in_order() {
        List<Map.Entry<String, String>> fields = Headers.list(
            "Date", "Sun, 06 Nov 1994 08:49:37 GMT",
            "Test-Header", "a", "X-Test-Header", "b", "Content-Foo", "c", "X-Content-Foo", "d",
            "Cache-Control", "MaX-aGe=3600", "Content-Encoding", "gzip", "Content-Length", "10",
            "Content-Location", "/bar", "Content-MD5", "N7UdGUp1E+RbVvZSTy1R8g==", "Content-Range", "bytes 0-9/10",
            "Content-Security-Policy", "default-src 'self' cdn.example.com", "Content-Type", "text/plain;charset=utf-8",
            "Clear-Site-Data", "cookies", "ETag", "\"ghijkl\"", "Expires", "Mon, 11 Jan 2038 11:11:11 GMT",
            "Public-Key-Pins", "x", "Set-Cookie", "a=c", "Set-Cookie", "b=d", "Set-Cookie2", "a=c",
            "X-Frame-Options", "sameorigin", "X-XSS-Protection", "1; mode=block",
            "Location", "/elsewhere", "Vary", "Accept", "Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT",
            "Cache-Tag", "t1", "Meridian-Cache-Control", "max-age=5", "CDN-Cache-Control", "foo",
            "Proxyish", "not a Proxy- field", "Contentious", "kept");
        assertEquals(fields, Fields.storable(fields));
    }

    /**
     * RFC 9111 §3.1 and RFC 9110 §7.6.1: connection-specific fields, the fields a Connection field
     * names, and the proxy's own fields are not stored; cache-tests headers
     * headers-omit-headers-listed-in-Connection, headers-store-Connection, -Keep-Alive,
     * -Proxy-Authenticate, -Proxy-Authentication-Info, -Proxy-Authorization, -Proxy-Connection,
     * -TE, -Transfer-Encoding, -Upgrade (all "must not store").
     */
    @Test
    void should_not_store_hop_by_hop_proxy_or_connection_listed_fields() {
        List<Map.Entry<String, String>> fields = Headers.list(
            "Connection", "a, B", "a", "1", "b", "2", "c", "3",
            "Keep-Alive", "timeout=5", "Proxy-Authenticate", "Basic", "Proxy-Authentication-Info", "x",
            "Proxy-Authorization", "Basic eA==", "Proxy-Connection", "keep-alive", "Proxy-Status", "x",
            "proxy-anything", "y", "TE", "trailers", "Transfer-Encoding", "chunked", "Upgrade", "h2c",
            "Trailer", "X-Sum", "Age", "5", "Content-Type", "text/plain");
        assertEquals(Headers.list("c", "3", "Content-Type", "text/plain"), Fields.storable(fields));
    }

    @Test
    void should_tell_hop_by_hop_fields_in_any_case() {
        for (String name : List.of("connection", "KEEP-ALIVE", "te", "transfer-encoding", "upgrade", "trailer",
            "PROXY-authorization", "Proxy-", "age")) {
            assertTrue(Fields.hopByHopOrAge(name), name);
        }
        for (String name : List.of("Content-Location", "Set-Cookie", "Date", "ETag", "Proxy", "Tea", "Agent")) {
            assertFalse(Fields.hopByHopOrAge(name), name);
        }
    }
}
