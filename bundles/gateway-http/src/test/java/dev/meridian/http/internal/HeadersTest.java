package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeadersTest {

    @ParameterizedTest
    @ValueSource(strings = {"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Proxy-Connection", "connection", "transfer-encoding", "KEEP-ALIVE"})
    void should_detect_hop_by_hop_field_whatever_its_case(String name) {
        assertTrue(Headers.isHopByHop(new HttpField(name, "x"), null), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Accept", "Authorization", "Content-Type", "X-Custom", "Cookie", "Via"})
    void should_not_detect_end_to_end_field_as_hop_by_hop(String name) {
        assertFalse(Headers.isHopByHop(new HttpField(name, "x"), null), name);
        assertFalse(Headers.isHopByHop(new HttpField(name, "x"), new String[] {"X-Other"}), name);
    }

    @Test
    void should_detect_fields_named_in_connection_header() {
        HttpFields fields = HttpFields.build()
            .add(HttpHeader.CONNECTION, "keep-alive, X-Secret ,x-trace")
            .add("X-Secret", "s")
            .add("X-Trace", "t")
            .add("X-Kept", "k");

        String[] tokens = Headers.connectionTokens(fields);

        assertArrayEquals(new String[] {"X-Secret", "x-trace"}, tokens);
        assertTrue(Headers.isHopByHop(new HttpField("X-Secret", "s"), tokens));
        assertTrue(Headers.isHopByHop(new HttpField("x-secret", "s"), tokens));
        assertTrue(Headers.isHopByHop(new HttpField("X-Trace", "t"), tokens));
        assertFalse(Headers.isHopByHop(new HttpField("X-Kept", "k"), tokens));
    }

    @Test
    void should_have_no_tokens_when_connection_is_absent_or_only_keep_alive_or_close() {
        assertNull(Headers.connectionTokens(HttpFields.build().add("X-A", "1")));
        assertNull(Headers.connectionTokens(HttpFields.build().add(HttpHeader.CONNECTION, "keep-alive")));
        assertNull(Headers.connectionTokens(HttpFields.build().add(HttpHeader.CONNECTION, "Keep-Alive")));
        assertNull(Headers.connectionTokens(HttpFields.build().add(HttpHeader.CONNECTION, "close")));
        assertNull(Headers.connectionTokens(HttpFields.build().add(HttpHeader.CONNECTION, "CLOSE")));
    }

    @Test
    void should_detect_fields_named_in_every_connection_header_line() {
        HttpFields fields = HttpFields.build()
            .add(HttpHeader.CONNECTION, "keep-alive")
            .add(HttpHeader.CONNECTION, "X-Secret");

        String[] tokens = Headers.connectionTokens(fields);

        assertTrue(Headers.isHopByHop(new HttpField("X-Secret", "s"), tokens));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Host", "host", "Content-Length", "Expect", "X-Forwarded-Proto", "X-Forwarded-Host"})
    void should_skip_field_on_request_when_client_sets_it_itself(String name) {
        assertTrue(Headers.skipOnRequest(new HttpField(name, "x")), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Accept", "Authorization", "Date", "Server", "Content-Type"})
    void should_forward_field_on_request(String name) {
        assertFalse(Headers.skipOnRequest(new HttpField(name, "x")), name);
    }

    @Test
    void should_skip_date_and_server_on_response_only() {
        assertTrue(Headers.skipOnResponse(new HttpField("Date", "Tue, 01 Jan 2030 00:00:00 GMT")));
        assertTrue(Headers.skipOnResponse(new HttpField("server", "upstream/1.0")));
        assertFalse(Headers.skipOnResponse(new HttpField("Content-Type", "application/json")));
        assertFalse(Headers.skipOnResponse(new HttpField("Host", "h")));
        assertFalse(Headers.skipOnResponse(new HttpField("X-Server", "s")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port",
        "X-Forwarded-Prefix", "x-forwarded-server", "X-FORWARDED-SSL", "Forwarded", "X-Real-IP", "X-Original-URL",
        "x-rewrite-url", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "Host", "Content-Length",
        "Expect"})
    void should_not_forward_fields_a_client_could_poison_the_upstream_with(String name) {
        assertTrue(Headers.skipOnRequest(new HttpField(name, "x")), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Accept", "Authorization", "Cookie", "X-Custom", "X-Request-Start", "X-Forwarded",
        "X-HTTP-Methods", "Forwarded-For", "X"})
    void should_forward_other_request_fields(String name) {
        assertFalse(Headers.skipOnRequest(new HttpField(name, "x")), name);
    }
}
