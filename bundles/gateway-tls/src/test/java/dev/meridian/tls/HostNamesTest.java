package dev.meridian.tls;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class HostNamesTest {

    @Test
    void should_match_exact_names_ignoring_case_and_a_trailing_dot() {
        assertTrue(HostNames.matches("api.example.com", "API.Example.com"));
        assertTrue(HostNames.matches("api.example.com", "api.example.com."));
        assertFalse(HostNames.matches("api.example.com", "example.com"));
        assertFalse(HostNames.matches("api.example.com", "xapi.example.com"));
    }

    @Test
    void should_match_a_wildcard_on_exactly_one_left_label() {
        assertTrue(HostNames.matches("*.example.com", "a.example.com"));
        assertTrue(HostNames.matches("*.example.com", "B.EXAMPLE.com"));
        assertFalse(HostNames.matches("*.example.com", "example.com"));
        assertFalse(HostNames.matches("*.example.com", "a.b.example.com"));
        assertFalse(HostNames.matches("*.example.com", ".example.com"));
        assertFalse(HostNames.matches("*.example.com", "a.example.org"));
        assertFalse(HostNames.matches("*.example.com", "a.xexample.com"));
    }

    @Test
    void should_tell_exact_from_wildcard_matches() {
        List<String> names = List.of("*.example.com", "www.example.org");
        assertFalse(HostNames.namesExactly(names, "a.example.com"));
        assertTrue(HostNames.names(names, "a.example.com"));
        assertTrue(HostNames.namesExactly(names, "www.example.org"));
    }
}
