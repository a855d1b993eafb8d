package dev.meridian.policy.introspection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.api.PolicyConfigException;

class IntrospectionConfigTest {

    private static Map<String, Object> minimal() {
        Map<String, Object> c = new HashMap<>();
        c.put("url", "https://idp.example/introspect");
        c.put("clientId", "gateway");
        c.put("clientSecret", "s3cret");
        return c;
    }

    private static Set<String> problemPaths(Map<String, Object> config) {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> IntrospectionConfig.parse(config));
        return e.problems().stream().map(PolicyConfigException.Problem::path).collect(Collectors.toSet());
    }

    @Test
    void should_apply_the_contract_defaults() throws Exception {
        IntrospectionConfig c = IntrospectionConfig.parse(minimal());

        assertEquals(Duration.ofMinutes(5), c.cacheTtl());
        assertEquals(Duration.ofSeconds(10), c.inactiveTtl());
        assertEquals(Duration.ofSeconds(5), c.timeout());
        assertEquals("sub", c.consumerClaim());
        assertEquals(Set.of(), c.requiredScopes());
    }

    @Test
    void should_read_every_field() throws Exception {
        Map<String, Object> m = minimal();
        m.put("cacheTtl", "90s");
        m.put("inactiveTtl", "500ms");
        m.put("timeout", "2s");
        m.put("consumerClaim", "client_id");
        m.put("requiredScopes", List.of("orders:read", "orders:write"));
        m.put("ca", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");

        IntrospectionConfig c = IntrospectionConfig.parse(m);

        assertEquals(Duration.ofSeconds(90), c.cacheTtl());
        assertEquals(Duration.ofMillis(500), c.inactiveTtl());
        assertEquals(Duration.ofSeconds(2), c.timeout());
        assertEquals("client_id", c.consumerClaim());
        assertEquals(List.of("orders:read", "orders:write"), List.copyOf(c.requiredScopes()));
        assertEquals(true, c.ca().isPresent());
    }

    @Test
    void should_report_every_problem_at_once() {
        Map<String, Object> m = new HashMap<>();
        m.put("url", "ftp://idp.example/x");
        m.put("clientSecret", 42);
        m.put("cacheTtl", "forever");
        m.put("inactiveTtl", "0s");
        m.put("timeout", "2m");
        m.put("consumerClaim", "email");
        m.put("requiredScopes", List.of("ok", "bad scope", 3));
        m.put("ca", "not pem");
        m.put("colour", "blue");

        assertEquals(Set.of("url", "clientId", "clientSecret", "cacheTtl", "inactiveTtl", "timeout", "consumerClaim",
            "requiredScopes[1]", "requiredScopes[2]", "ca", "colour"), problemPaths(m));
    }

    @Test
    void should_refuse_a_ttl_above_24h_and_control_characters() {
        Map<String, Object> m = minimal();
        m.put("cacheTtl", "25h");
        m.put("clientId", "gate\r\nway");

        assertEquals(Set.of("cacheTtl", "clientId"), problemPaths(m));
    }

    @Test
    void should_refuse_a_url_with_a_fragment_or_without_host() {
        Map<String, Object> a = minimal();
        a.put("url", "https://idp.example/introspect#x");
        Map<String, Object> b = minimal();
        b.put("url", "https:///introspect");

        assertEquals(Set.of("url"), problemPaths(a));
        assertEquals(Set.of("url"), problemPaths(b));
    }

    @Test
    void should_keep_the_secret_out_of_its_text() throws Exception {
        IntrospectionConfig c = IntrospectionConfig.parse(minimal());

        assertFalse(c.toString().contains("s3cret"));
        assertFalse(c.toString().contains(c.basicAuthorization()));
    }
}
