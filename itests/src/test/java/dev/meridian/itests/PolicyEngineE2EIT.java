package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine's SPI 1.2 seen from outside on one node of the shipped distribution: a policy that
 * answers without the upstream ({@code Decision.respond}, a CORS preflight's 204) is written with
 * its headers and no body, and {@code Policy.order} runs it before the authentication written ahead
 * of it ({@code api-key}, which rejects every request here: no consumers are applied, and it reads
 * them through its {@code PolicyContext}); on the rejection of a real request the CORS response
 * phase still adds its headers, so the browser can read the 401. The API lists its methods
 * ({@code GET, POST}): a preflight still reaches the chain (a browser never asks an API to serve
 * {@code OPTIONS}), any other {@code OPTIONS} is a 404 as before.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PolicyEngineE2EIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String ORIGIN = "https://app.example";

    @RegisterExtension
    static final MeridianCluster<CountingUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("core1", 16000, 6091))
        .cluster("core-it")
        .upstream(CountingUpstream::new)
        .api("edge", up -> String.join("\n", "id: edge", "basePath: /edge", "methods: [GET, POST]",
            "upstream: { url: '" + up.url("/") + "' }",
            "policies:",
            "  - type: api-key",
            "    header: X-Api-Key",
            "  - type: cors",
            "    origins: ['" + ORIGIN + "']",
            "    methods: [GET, POST]",
            "    headers: [Authorization]",
            ""))
        .build();

    private static MeridianNode node() {
        return CLUSTER.nodes().get(0);
    }

    @Test
    void should_answer_a_preflight_with_the_policy_headers_and_no_body_before_a_policy_written_ahead_of_it() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node().trafficUrl("/edge/orders")))
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
            .header("Origin", ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization")
            .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(204, r.statusCode(), r.headers() + " " + r.body());
        assertEquals(ORIGIN, r.headers().firstValue("Access-Control-Allow-Origin").orElse(null), r.headers().toString());
        assertTrue(r.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("POST"), r.headers().toString());
        assertTrue(r.headers().allValues("Vary").stream().anyMatch(v -> v.contains("Origin")), r.headers().toString());
        assertTrue(r.headers().firstValue("X-Meridian-Revision").isPresent(), "stamped like every answer");
        assertEquals("", r.body());
        assertEquals(0, CLUSTER.upstream().total(), "the upstream is not called");
    }

    @Test
    void should_run_the_cors_response_phase_on_the_rejection_by_the_authentication_after_it() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node().trafficUrl("/edge/orders")))
            .header("Origin", ORIGIN).timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(401, r.statusCode(), r.headers() + " " + r.body());
        assertTrue(r.headers().firstValue("WWW-Authenticate").isPresent(), r.headers().toString());
        assertEquals(ORIGIN, r.headers().firstValue("Access-Control-Allow-Origin").orElse(null),
            "the browser can read the rejection: " + r.headers());
        assertTrue(r.body().contains("\"error\""), r.body());
        assertEquals(0, CLUSTER.upstream().total(), "the upstream is not called");
    }

    @Test
    void should_refuse_an_options_request_that_is_not_a_preflight_when_the_api_does_not_list_options() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node().trafficUrl("/edge/orders")))
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
            .header("Origin", ORIGIN)
            .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(404, r.statusCode(), r.headers() + " " + r.body());
        assertEquals(0, CLUSTER.upstream().total(), "the upstream is not called");
    }

    @Test
    void should_bind_the_node_http_client_and_shared_state_into_the_policy_contexts() throws Exception {
        for (String service : new String[] {"dev.meridian.policy.api.OutboundHttp", "dev.meridian.core.SharedStates"}) {
            String list = node().shell("service:list " + service);

            assertTrue(list.contains("Used by") && list.contains("Core engine"), "the engine uses " + service + ":\n" + list);
        }
    }
}
