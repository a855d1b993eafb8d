package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestPathTest {

    @ParameterizedTest
    @ValueSource(strings = {"/", "/api", "/api/admin/x", "/api/", "/a.b/c..d/.e/f.", "/a-b_c~d/x:y@z!$&'()*+,=",
        "/...", "/a/.../b"})
    void should_return_a_normal_path_as_given(String path) {
        assertSame(path, RequestPath.normalise(path));
    }

    @ParameterizedTest
    @CsvSource({
        "/api/%61dmin/x, /api/admin/x",
        "/api/%41%2d%5F%7e, /api/A-_~",
        "/api/a%20b, /api/a%20b",
        "/api/a%3fb%3b, /api/a%3Fb%3B",
        "/api/%e2%82%ac, /api/%E2%82%AC",
        "/api/%F0%9F%98%80, /api/%F0%9F%98%80",
        "/api/./admin, /api/admin",
        "/api/x/../admin, /api/admin",
        "/api/%2e%2e/admin, /admin",
        "/api/%2E/admin, /api/admin",
        "/api/admin/., /api/admin/",
        "/api/admin/.., /api/",
        "/a/b/../../c, /c",
        "/%25, /%25",
    })
    void should_decode_unreserved_and_resolve_dot_segments(String raw, String normal) {
        assertEquals(normal, RequestPath.normalise(raw));
    }

    @Test
    void should_give_one_form_to_spellings_of_one_path() {
        assertEquals(RequestPath.normalise("/x/a"), RequestPath.normalise("/x/%61"));
        assertEquals(RequestPath.normalise("/x/%3A"), RequestPath.normalise("/x/%3a"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/api/admin%2Fy|encoded /",
        "/api/admin%2fy|encoded /",
        "/api/admin%5Cy|encoded \\",
        "/api/admin%00y|encoded NUL",
        "/api/admin;x/y|; parameter",
        "/api/admin;/y|; parameter",
        "/api/admin\\y|has a \\",
        "/api/../../x|climbs above",
        "/..|climbs above",
        "/api/%2e%2e/%2E%2E/x|climbs above",
        "/api//x|empty segment",
        "/api/%zz/x|two hex digits",
        "/api/%2|two hex digits",
        "/api/%|two hex digits",
        "/api/%2/x|two hex digits",
        "/api/%u0061|two hex digits",
        "/api/%C0%AE/x|not UTF-8",
        "/api/%C1%81|not UTF-8",
        "/api/%E0%80%AE|not UTF-8",
        "/api/%F0%80%80%AE|not UTF-8",
        "/api/%ED%A0%80|not UTF-8",
        "/api/%F4%90%80%80|not UTF-8",
        "/api/%F5%80%80%80|not UTF-8",
        "/api/%80|not UTF-8",
        "/api/%E2%82|truncated",
        "/api/%E2%82x|truncated",
        "/api/a b|percent-encoded",
        "/api/a{b}|percent-encoded",
        "/api/é|percent-encoded",
        "api/x|start with /",
        "|start with /",
    })
    void should_refuse_ambiguous_or_malformed_paths(String raw, String reason) {
        RequestPath.Refused refused = assertThrows(RequestPath.Refused.class,
            () -> RequestPath.normalise(raw == null ? "" : raw));
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
    }

    @Test
    void should_refuse_a_control_character() {
        assertThrows(RequestPath.Refused.class, () -> RequestPath.normalise("/api/a\tb"));
        assertThrows(RequestPath.Refused.class, () -> RequestPath.normalise("/api/a\u007fb"));
    }

    @Test
    void should_carry_no_stack_trace_when_refusing() {
        assertEquals(0, assertThrows(RequestPath.Refused.class, () -> RequestPath.normalise("/a;b")).getStackTrace().length);
    }
}
