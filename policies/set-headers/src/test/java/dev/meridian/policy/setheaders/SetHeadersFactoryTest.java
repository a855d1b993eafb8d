package dev.meridian.policy.setheaders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

class SetHeadersFactoryTest {

    private final SetHeadersFactory factory = new SetHeadersFactory();

    @Test
    void should_name_its_type() {
        assertEquals("set-headers", factory.type());
    }

    @Test
    void should_remove_then_set_then_add_request_headers() throws PolicyConfigException {
        Policy policy = factory.create(Map.of("request", Map.of(
                "set", Map.of("X-Env", "prod"),
                "add", Map.of("X-Tag", "a"),
                "remove", List.of("X-Debug", "X-Env"))));
        FakeHeaders request = FakeHeaders.of("x-env", "dev", "X-Debug", "1", "X-Tag", "z", "Accept", "*/*");

        Decision decision = policy.onRequest(request);

        assertSame(Decision.proceed(), decision);
        assertEquals(Map.of("accept", List.of("*/*"), "x-env", List.of("prod"), "x-tag", List.of("z", "a")),
                request.snapshot());
    }

    @Test
    void should_apply_response_phase_only_to_the_response() throws PolicyConfigException {
        Policy policy = factory.create(Map.of(
                "response", Map.of("set", Map.of("X-Frame-Options", "DENY"), "remove", List.of("Server"))));
        FakeHeaders request = FakeHeaders.of("Server", "client-sent");
        FakeHeaders response = FakeHeaders.of("Server", "nginx", "X-Frame-Options", "SAMEORIGIN");

        assertSame(Decision.proceed(), policy.onRequest(request));
        assertSame(Decision.proceed(), policy.onResponse(request, response));

        assertEquals(Map.of("server", List.of("client-sent")), request.snapshot());
        assertEquals(Map.of("x-frame-options", List.of("DENY")), response.snapshot());
    }

    @Test
    void should_apply_both_phases_when_both_are_configured() throws PolicyConfigException {
        Policy policy = factory.create(Map.of(
                "request", Map.of("set", Map.of("X-Env", "prod")),
                "response", Map.of("add", Map.of("Vary", "Accept"))));
        FakeHeaders request = FakeHeaders.of();
        FakeHeaders response = FakeHeaders.of("Vary", "Origin");

        policy.onRequest(request);
        policy.onResponse(request, response);

        assertEquals(Map.of("x-env", List.of("prod")), request.snapshot());
        assertEquals(Map.of("vary", List.of("Origin", "Accept")), response.snapshot());
    }

    @Test
    void should_stringify_numbers_and_booleans() throws PolicyConfigException {
        Policy policy = factory.create(Map.of("request", Map.of(
                "set", ordered("X-Version", 2L, "X-Ratio", 0.5, "X-Beta", true))));
        FakeHeaders request = FakeHeaders.of();

        policy.onRequest(request);

        assertEquals(Map.of("x-version", List.of("2"), "x-ratio", List.of("0.5"), "x-beta", List.of("true")),
                request.snapshot());
    }

    @Test
    void should_reject_config_when_empty() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> factory.create(Map.of()));

        assertEquals(List.of(new Problem("", "at least one of request, response is required")), e.problems());
    }

    @Test
    void should_reject_phase_when_it_changes_nothing() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class,
                () -> factory.create(Map.of("request", Map.of("set", Map.of()))));

        assertEquals(List.of("request"), paths(e));
    }

    @Test
    void should_report_every_problem_with_its_path_when_config_is_invalid() {
        Map<String, Object> request = ordered(
                "set", ordered("X-Env", List.of("prod"), "Bad Name", "x", "X-Ok", "a\r\nInjected: 1"),
                "add", "not-an-object",
                "colour", "blue");
        Map<String, Object> response = ordered(
                "remove", Arrays.asList("Server", 42, "Content-Length"),
                "set", ordered("X-Frame-Options", "DENY", "x-frame-options", "SAMEORIGIN", "X-Null", null));
        Map<String, Object> config = ordered("request", request, "response", response, "phase", "both");

        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> factory.create(config));

        assertEquals(List.of(
                "phase",
                "request.colour",
                "request.set.X-Env",
                "request.set.Bad Name",
                "request.set.X-Ok",
                "request.add",
                "response.remove[1]",
                "response.remove[2]",
                "response.set.x-frame-options",
                "response.set.X-Null"), paths(e));
        assertEquals("unknown field; expected set, add or remove", message(e, "request.colour"));
        assertEquals("expected a string value", message(e, "request.set.X-Env"));
        assertEquals("invalid header value: must not contain CR, LF or NUL", message(e, "request.set.X-Ok"));
    }

    @Test
    void should_reject_phase_when_it_is_not_an_object() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class,
                () -> factory.create(ordered("request", "X-Env: prod", "response", null)));

        assertEquals(List.of("request", "response"), paths(e));
    }

    private static List<String> paths(PolicyConfigException e) {
        return e.problems().stream().map(Problem::path).toList();
    }

    private static String message(PolicyConfigException e, String path) {
        return e.problems().stream().filter(p -> p.path().equals(path)).findFirst().orElseThrow().message();
    }

    /** A map that keeps insertion order and allows null values, as parsed JSON may be read. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
