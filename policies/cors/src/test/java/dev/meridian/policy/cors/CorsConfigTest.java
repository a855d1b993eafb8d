package dev.meridian.policy.cors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

class CorsConfigTest {

    @Test
    void should_refuse_credentials_with_any_origin() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class,
                () -> CorsConfig.parse(Map.of("origins", List.of("*"), "credentials", true)));

        assertEquals(List.of("origins"), paths(e));
        assertTrue(e.problems().get(0).message().contains("credentials"), e.problems().toString());
    }

    @Test
    void should_require_origins() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> CorsConfig.parse(Map.of()));

        assertEquals(List.of("origins"), paths(e));
    }

    @Test
    void should_default_to_safelisted_methods_and_no_headers() throws PolicyConfigException {
        CorsConfig config = CorsConfig.parse(Map.of("origins", List.of("https://app.example")));

        assertEquals("GET, HEAD, POST", config.allowMethods());
        assertEquals("", config.allowHeaders());
        assertEquals("", config.exposeHeaders());
        assertFalse(config.credentials());
        assertEquals(Optional.empty(), config.maxAge());
    }

    @Test
    void should_upper_case_the_methods_fetch_normalizes_and_keep_others_as_written() throws PolicyConfigException {
        CorsConfig config = CorsConfig.parse(Map.of("origins", List.of("https://app.example"),
                "methods", List.of("get", "Delete", "purge")));

        assertEquals("GET, DELETE, purge", config.allowMethods());
    }

    @Test
    void should_read_max_age_as_a_duration_or_whole_seconds() throws PolicyConfigException {
        assertEquals(Optional.of("600"), maxAge("10m"));
        assertEquals(Optional.of("30"), maxAge("30s"));
        assertEquals(Optional.of("7200"), maxAge("2h"));
        assertEquals(Optional.of("90"), maxAge(90L));
    }

    @Test
    void should_refuse_max_age_beyond_a_day_or_not_a_duration() {
        for (Object bad : List.of("25h", "10", "1d", "-5s", -1L, true)) {
            PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> maxAge(bad), String.valueOf(bad));
            assertEquals(List.of("maxAge"), paths(e), String.valueOf(bad));
        }
    }

    @Test
    void should_normalize_origins_to_what_browsers_send() {
        assertEquals("https://app.example", CorsConfig.origin("HTTPS://App.Example:443"));
        assertEquals("http://app.example", CorsConfig.origin("http://app.example:80"));
        assertEquals("http://127.0.0.1:13001", CorsConfig.origin("http://127.0.0.1:13001"));
        assertEquals("http://[::1]:8080", CorsConfig.origin("http://[::1]:8080"));
    }

    @Test
    void should_report_every_problem_with_its_path_when_config_is_invalid() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("origins", Arrays.asList("https://app.example", "https://app.example/path", 42, "null", "https://*.example"));
        config.put("methods", List.of("GET", "bad method"));
        config.put("headers", List.of("*", "X-Trace"));
        config.put("exposeHeaders", List.of("*"));
        config.put("credentials", "yes");
        config.put("colour", "blue");

        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> CorsConfig.parse(config));

        assertEquals(List.of(
                "colour",
                "credentials",
                "origins[2]",
                "origins[1]",
                "origins[3]",
                "origins[4]",
                "methods[1]",
                "headers"), paths(e));
        assertEquals("not an origin: expected scheme://host[:port] with nothing after it, e.g. https://app.example",
                message(e, "origins[1]"));
        assertEquals("expected true or false", message(e, "credentials"));
    }

    @Test
    void should_refuse_expose_star_with_credentials() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> CorsConfig.parse(Map.of(
                "origins", List.of("https://app.example"), "credentials", true, "exposeHeaders", List.of("*"))));

        assertEquals(List.of("exposeHeaders"), paths(e));
    }

    @Test
    void should_refuse_empty_lists_and_star_among_origins() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> CorsConfig.parse(Map.of(
                "origins", List.of("*", "https://app.example"), "methods", List.of())));

        assertEquals(List.of("origins", "methods"), paths(e));
    }

    private static Optional<String> maxAge(Object value) throws PolicyConfigException {
        return CorsConfig.parse(Map.of("origins", List.of("https://app.example"), "maxAge", value)).maxAge();
    }

    private static List<String> paths(PolicyConfigException e) {
        return e.problems().stream().map(Problem::path).toList();
    }

    private static String message(PolicyConfigException e, String path) {
        return e.problems().stream().filter(p -> p.path().equals(path)).findFirst().orElseThrow().message();
    }
}
