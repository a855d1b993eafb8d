package dev.meridian.http.internal;

import static dev.meridian.http.internal.JettyUpstream.targetPath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.eclipse.jetty.http.BadMessageException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class JettyUpstreamTest {

    @ParameterizedTest(name = "upstream ''{0}'' base ''{1}'' path ''{2}'' -> ''{3}''")
    @CsvSource(delimiter = '|', emptyValue = "", value = {
        // upstream | basePath         | request path          | target
        "''         | /orders          | /orders               | /",
        "''         | /orders          | /orders/              | /",
        "''         | /orders          | /orders/a/b           | /a/b",
        "/v1        | /orders          | /orders               | /v1",
        "/v1        | /orders          | /orders/              | /v1/",
        "/v1        | /orders          | /orders/a/b           | /v1/a/b",
        "/v1/api    | /orders/special  | /orders/special/1     | /v1/api/1",
        "''         | /                | /                     | /",
        "''         | /                | /a/b                  | /a/b",
        "/v1        | /                | /                     | /v1/",
        "/v1        | /                | /a/b                  | /v1/a/b",
    })
    void should_join_upstream_path_and_remainder_with_exactly_one_slash(String upstream, String basePath, String path,
                                                                        String expected) {
        String target = targetPath(upstream, basePath, path, null);

        assertEquals(expected, target);
        assertFalse(target.contains("//"), target);
    }

    @Test
    void should_keep_query_verbatim_when_present() {
        assertEquals("/v1/a?x=%2F%20y&z=a+b&e=%E2%82%AC", targetPath("/v1", "/orders", "/orders/a", "x=%2F%20y&z=a+b&e=%E2%82%AC"));
        assertEquals("/v1?q=1", targetPath("/v1", "/orders", "/orders", "q=1"));
        assertEquals("/?q=1", targetPath("", "/orders", "/orders", "q=1"));
        assertEquals("/?q=1", targetPath("", "/", "/", "q=1"));
        assertEquals("/v1/?a=%26&a=%3D", targetPath("/v1", "/", "/", "a=%26&a=%3D"));
    }

    @Test
    void should_keep_empty_query_when_request_had_a_bare_question_mark() {
        assertEquals("/v1/a?", targetPath("/v1", "/orders", "/orders/a", ""));
    }

    @Test
    void should_keep_encoded_characters_of_the_remainder() {
        assertEquals("/v1/a%2Fb/c%20d", targetPath("/v1", "/orders", "/orders/a%2Fb/c%20d", null));
    }

    @Test
    void should_answer_503_at_once_when_the_upstream_client_is_stopped() throws Exception {
        org.eclipse.jetty.client.HttpClient client = new org.eclipse.jetty.client.HttpClient();
        client.start();
        client.stop(); // as at a node's stop, with the warm-up or a late request still running
        JettyUpstream upstream = new JettyUpstream(client, Runnable::run, true, new UpstreamTlsContexts(), null);
        dev.meridian.model.ApiDefinition api = dev.meridian.model.DefinitionParser.parseOne(String.join("\n", "id: t",
            "basePath: /", "upstream: { url: 'http://127.0.0.1:9/', timeout: 5s }", "").getBytes(java.nio.charset.StandardCharsets.UTF_8),
            dev.meridian.model.Format.YAML);
        dev.meridian.core.Route route = new dev.meridian.core.Route(api, java.util.List.of(), new dev.meridian.core.ApiMetrics("t"));
        dev.meridian.core.flow.Exchange e = new dev.meridian.core.flow.Exchange(new dev.meridian.core.RouteTable(1, 1,
            java.util.List.of(route)), route, "GET", "/x", null, "rid", "127.0.0.1", System.nanoTime(),
            new JettyFields(org.eclipse.jetty.http.HttpFields.EMPTY));
        boolean[] resumed = {false};

        boolean done = upstream.call().run(e, () -> resumed[0] = true);

        assertTrue(done, "answered synchronously, no continuation left pending");
        assertFalse(resumed[0]);
        assertEquals(503, e.answer().status());
        assertEquals("upstream client stopped", ((dev.meridian.core.flow.Answer.Rejection) e.answer()).message());
        assertEquals(503, JettyUpstream.rejectionFor(new IOException("aborted", new JettyUpstream.ClientStopped()), e).status());
    }

    @Test
    void should_answer_400_when_the_clients_body_broke_its_framing_during_the_upstream_call() {
        Throwable failure = new IOException("request content failed", new BadMessageException(400, "bad chunk"));
        assertEquals(400, JettyUpstream.rejectionFor(failure, null).status());
        Throwable cut = new IOException("aborted", new JettyUpstream.ClientBodyFailed(new IOException("reset")));
        assertEquals(400, JettyUpstream.rejectionFor(cut, null).status());
    }
}
