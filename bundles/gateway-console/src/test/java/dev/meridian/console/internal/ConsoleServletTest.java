package dev.meridian.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConsoleServletTest {

    private static final String INDEX = "<!doctype html><title>Meridian</title>";
    private static final String MAIN = "export const x = 1;";

    private final ConsoleServlet servlet = new ConsoleServlet(ConsoleFiles.of(Map.of(
        "index.html", bytes(INDEX),
        "js/main.js", bytes(MAIN),
        "app.css", bytes("body{}"),
        "vendor/lib-1.0.0/LICENSE", bytes("MIT"),
        "favicon.svg", bytes("<svg/>"))));

    @Test
    void should_answer_the_index_for_the_console_root() throws Exception {
        FakeHttp r = FakeHttp.get(servlet, "/console/");
        assertEquals(200, r.status);
        assertEquals("text/html; charset=utf-8", r.headers.get("Content-Type"));
        assertEquals(INDEX, r.text());
    }

    @Test
    void should_redirect_to_the_slash_when_the_console_is_asked_without_it() throws Exception {
        FakeHttp r = FakeHttp.get(servlet, "/console");
        assertEquals(302, r.status);
        assertEquals("/console/", r.headers.get("Location"));
        assertSecurityHeaders(r);
    }

    @Test
    void should_answer_javascript_as_text_javascript() throws Exception {
        FakeHttp r = FakeHttp.get(servlet, "/console/js/main.js");
        assertEquals(200, r.status);
        assertEquals("text/javascript; charset=utf-8", r.headers.get("Content-Type"));
        assertEquals(MAIN, r.text());
        assertEquals(Integer.toString(MAIN.length()), r.headers.get("Content-Length"));
    }

    @Test
    void should_answer_each_kind_of_file_with_its_type() throws Exception {
        assertEquals("text/css; charset=utf-8", FakeHttp.get(servlet, "/console/app.css").headers.get("Content-Type"));
        assertEquals("image/svg+xml", FakeHttp.get(servlet, "/console/favicon.svg").headers.get("Content-Type"));
        assertEquals("text/plain; charset=utf-8", FakeHttp.get(servlet, "/console/vendor/lib-1.0.0/LICENSE").headers.get("Content-Type"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/console/apis", "/console/apis/orders", "/console/revisions/", "/console/js"})
    void should_answer_the_index_for_app_routes(String uri) throws Exception {
        FakeHttp r = FakeHttp.get(servlet, uri);
        assertEquals(200, r.status);
        assertEquals(INDEX, r.text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/console/js/missing.js", "/console/vendor/x.css", "/console/index.htm"})
    void should_answer_404_for_a_missing_file(String uri) throws Exception {
        FakeHttp r = FakeHttp.get(servlet, uri);
        assertEquals(404, r.status);
        assertEquals("text/plain; charset=utf-8", r.headers.get("Content-Type"));
        assertSecurityHeaders(r);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/console/../etc/passwd", "/console/js/../index.html", "/console/./index.html", "/console/js/./main.js",
        "/console/%2e%2e/etc/passwd", "/console/%2E%2E%2Fetc%2Fpasswd", "/console/js%2fmain.js", "/console/js%2Fmain.js",
        "/console/js/..%2fmain.js", "/console/..\\index.html", "/console/js\\main.js", "/console//etc/passwd",
        "/console//index.html", "/console/index.html;jsessionid=1", "/console/index.html%00", "/console/%00",
        "/console/index.html\u0000", "/console/%69ndex.html", "/consolex/index.html", "/console..",
        "/console/C:/Windows/win.ini", "/console/file:/etc/passwd"})
    void should_answer_404_for_traversal_encoded_separators_and_absolute_paths(String uri) throws Exception {
        FakeHttp r = FakeHttp.get(servlet, uri);
        assertEquals(404, r.status, uri);
        assertFalse(r.text().contains("Meridian"), uri);
        assertSecurityHeaders(r);
    }

    @Test
    void should_set_the_security_headers_on_every_answer() throws Exception {
        for (String uri : new String[] {"/console/", "/console/js/main.js", "/console/apis", "/console/x.js", "/console"}) {
            assertSecurityHeaders(FakeHttp.get(servlet, uri));
        }
        FakeHttp post = FakeHttp.call(servlet, "POST", "/console/", Map.of());
        assertEquals(405, post.status);
        assertEquals("GET, HEAD", post.headers.get("Allow"));
        assertSecurityHeaders(post);
    }

    @Test
    void should_answer_304_when_the_etag_matches() throws Exception {
        FakeHttp first = FakeHttp.get(servlet, "/console/js/main.js");
        String etag = first.headers.get("ETag");
        assertTrue(etag.matches("\"[0-9a-f]{32}\""), etag);
        FakeHttp again = FakeHttp.call(servlet, "GET", "/console/js/main.js", Map.of("If-None-Match", etag));
        assertEquals(304, again.status);
        assertEquals(0, again.body.size());
        assertSecurityHeaders(again);
        FakeHttp other = FakeHttp.call(servlet, "GET", "/console/js/main.js", Map.of("If-None-Match", "\"0\""));
        assertEquals(200, other.status);
    }

    @Test
    void should_answer_head_without_a_body() throws Exception {
        FakeHttp r = FakeHttp.call(servlet, "HEAD", "/console/js/main.js", Map.of());
        assertEquals(200, r.status);
        assertEquals(Integer.toString(MAIN.length()), r.headers.get("Content-Length"));
        assertEquals(0, r.body.size());
    }

    @Test
    void should_send_the_exact_content_security_policy() {
        assertEquals("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", ConsoleServlet.CSP);
    }

    static void assertSecurityHeaders(FakeHttp r) {
        assertEquals(ConsoleServlet.CSP, r.headers.get("Content-Security-Policy"));
        assertEquals("nosniff", r.headers.get("X-Content-Type-Options"));
        assertEquals("no-referrer", r.headers.get("Referrer-Policy"));
        assertEquals("no-cache", r.headers.get("Cache-Control"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
