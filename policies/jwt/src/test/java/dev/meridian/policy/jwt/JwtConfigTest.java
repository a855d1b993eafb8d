package dev.meridian.policy.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.nimbusds.jose.JWSAlgorithm;

import dev.meridian.policy.api.PolicyConfigException;

/** Validation at apply time: what the engine turns into 422 answers with field paths. */
class JwtConfigTest {

    private static Map<String, Object> base(Object... more) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("jwksUrl", "https://idp.example/.well-known/jwks.json");
        config.put("issuer", "https://idp.example/");
        for (int i = 0; i < more.length; i += 2) {
            if (more[i + 1] == null) {
                config.remove((String) more[i]);
            } else {
                config.put((String) more[i], more[i + 1]);
            }
        }
        return config;
    }

    /** The problems as "path: message" lines. */
    private static Map<String, String> problems(Map<String, Object> config) {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> JwtConfig.parse(config));
        return e.problems().stream().collect(Collectors.toMap(p -> p.path(), p -> p.message(), (a, b) -> a + "; " + b));
    }

    @Test
    void should_apply_the_contract_defaults() throws Exception {
        JwtConfig config = JwtConfig.parse(base());
        assertEquals(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), config.algorithms());
        assertEquals(Duration.ofSeconds(30), config.clockSkew());
        assertEquals("sub", config.consumerClaim());
        assertEquals(Duration.ZERO, config.keyGrace());
        assertEquals(Duration.ofMinutes(5), config.refreshInterval());
        assertEquals(Duration.ofSeconds(1), config.minRefetchInterval());
        assertTrue(config.audience().isEmpty());
        assertEquals("jwks:https://idp.example/.well-known/jwks.json", config.source().documentKey());
    }

    @Test
    void should_read_the_contract_example() throws Exception {
        JwtConfig config = JwtConfig.parse(base("audience", List.of("orders"), "algorithms", List.of("RS256", "ES256"),
            "clockSkew", "30s", "consumerClaim", "sub", "requiredScopes", List.of("orders:read"), "keyGrace", "10m"));
        assertEquals(Set.of("orders"), config.audience());
        assertEquals(Set.of("orders:read"), config.requiredScopes());
        assertEquals(Duration.ofMinutes(10), config.keyGrace());
    }

    @Test
    void should_take_the_issuer_from_issuerUrl_when_discovering() throws Exception {
        JwtConfig config = JwtConfig.parse(base("jwksUrl", null, "issuer", null, "issuerUrl", "https://idp.example/realms/a"));
        assertEquals("https://idp.example/realms/a", config.issuer());
        assertTrue(config.source().discovery());
        assertEquals("https://idp.example/realms/a/.well-known/openid-configuration", config.source().discoveryUrl().toString());
    }

    @Test
    void should_refuse_none_and_hmac_algorithms() {
        Map<String, String> problems = problems(base("algorithms", List.of("RS256", "none", "HS256")));
        assertTrue(problems.get("algorithms[1]").contains("never accepted"), problems.toString());
        assertTrue(problems.get("algorithms[2]").contains("never accepted"), problems.toString());
    }

    @Test
    void should_refuse_unknown_and_empty_algorithm_lists() {
        assertTrue(problems(base("algorithms", List.of("RS999"))).get("algorithms[0]").contains("unsupported algorithm"));
        assertTrue(problems(base("algorithms", List.of())).containsKey("algorithms"));
    }

    @Test
    void should_require_exactly_one_key_source() {
        assertTrue(problems(base("jwksUrl", null)).get("jwksUrl").contains("one of jwksUrl, issuerUrl is required"));
        assertTrue(problems(base("issuerUrl", "https://idp.example/")).get("jwksUrl").contains("not both"));
    }

    @Test
    void should_require_an_issuer_with_a_jwks_url() {
        assertTrue(problems(base("issuer", null)).get("issuer").contains("required"));
    }

    @Test
    void should_refuse_urls_that_are_not_absolute_http() {
        assertTrue(problems(base("jwksUrl", "file:///etc/passwd")).containsKey("jwksUrl"));
        assertTrue(problems(base("jwksUrl", "/jwks.json")).containsKey("jwksUrl"));
        assertTrue(problems(base("jwksUrl", 42L)).containsKey("jwksUrl"));
    }

    @Test
    void should_refuse_bad_durations_and_bounds() {
        Map<String, String> problems = problems(base("clockSkew", "soon", "keyGrace", "2d", "refreshInterval", "1s",
            "minRefetchInterval", "500ms"));
        assertTrue(problems.get("clockSkew").contains("expected a duration"), problems.toString());
        assertTrue(problems.get("keyGrace").contains("expected a duration"), problems.toString());
        assertTrue(problems.get("refreshInterval").contains("at least 5s"), problems.toString());
        assertTrue(problems.get("minRefetchInterval").contains("at least 1s"), problems.toString());
        assertTrue(problems(base("clockSkew", "11m")).get("clockSkew").contains("at most 10m"));
        assertTrue(problems(base("keyGrace", "25h")).get("keyGrace").contains("at most 24h"));
    }

    @Test
    void should_accept_durations_as_whole_seconds() throws Exception {
        assertEquals(Duration.ofSeconds(45), JwtConfig.parse(base("clockSkew", 45L)).clockSkew());
    }

    @Test
    void should_refuse_scopes_and_claims_that_cannot_go_into_a_header() {
        Map<String, String> problems = problems(base("requiredScopes", List.of("ok", "a\"b", ""), "consumerClaim", "sub\r\nX: y"));
        assertTrue(problems.containsKey("requiredScopes[1]"), problems.toString());
        assertTrue(problems.containsKey("requiredScopes[2]"), problems.toString());
        assertTrue(problems.containsKey("consumerClaim"), problems.toString());
    }

    @Test
    void should_refuse_a_ca_that_is_not_pem() {
        assertTrue(problems(base("ca", "not a certificate")).get("ca").contains("PEM"));
    }

    @Test
    void should_report_every_problem_at_once_including_unknown_fields() {
        Map<String, String> problems = problems(base("colour", "red", "audience", List.of(1L), "algorithms", List.of("HS512")));
        assertEquals(Set.of("colour", "audience[0]", "algorithms[0]"), problems.keySet());
        assertTrue(problems.get("colour").contains("unknown field"));
    }
}
