package dev.meridian.policy.cors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;

class CorsPolicyTest {

    private static final String APP = "https://app.example";

    private final CorsFactory factory = new CorsFactory();

    @Test
    void should_run_at_the_edge_whatever_its_place() throws PolicyConfigException {
        assertEquals(Policy.ORDER_EDGE, policy(config()).order());
    }

    @Test
    void should_answer_preflight_with_204_and_allow_headers_when_everything_is_allowed() throws PolicyConfigException {
        Policy policy = policy(config());
        FakeExchange preflight = preflight(APP, "PUT", "x-trace, content-type");

        Decision.Respond answer = assertInstanceOf(Decision.Respond.class, policy.onRequest(preflight));

        assertEquals(204, answer.status());
        assertEquals(Map.of(
                "Access-Control-Allow-Origin", APP,
                "Access-Control-Allow-Credentials", "true",
                "Access-Control-Allow-Methods", "GET, PUT",
                "Access-Control-Allow-Headers", "Content-Type, X-Trace",
                "Access-Control-Max-Age", "600",
                "Vary", "Origin"), answer.headers());
    }

    @Test
    void should_refuse_preflight_with_403_when_origin_is_not_listed() throws PolicyConfigException {
        Decision d = policy(config()).onRequest(preflight("https://evil.example", "GET", null));

        assertEquals(new Decision.Reject(403, CorsPolicy.ORIGIN_REFUSED, Map.of()), d);
    }

    @Test
    void should_refuse_preflight_with_403_when_method_is_not_listed() throws PolicyConfigException {
        Decision d = policy(config()).onRequest(preflight(APP, "DELETE", null));

        assertEquals(new Decision.Reject(403, CorsPolicy.METHOD_REFUSED, Map.of()), d);
    }

    @Test
    void should_refuse_preflight_with_403_when_one_requested_header_is_not_listed() throws PolicyConfigException {
        Decision d = policy(config()).onRequest(preflight(APP, "PUT", "content-type,x-secret"));

        assertEquals(new Decision.Reject(403, CorsPolicy.HEADERS_REFUSED, Map.of()), d);
    }

    @Test
    void should_accept_preflight_for_a_safelisted_method_even_when_not_listed() throws PolicyConfigException {
        Decision d = policy(config()).onRequest(preflight(APP, "POST", "x-trace"));

        assertEquals(204, assertInstanceOf(Decision.Respond.class, d).status());
    }

    @Test
    void should_echo_method_and_headers_when_any_is_allowed_because_star_means_any_only_without_credentials()
            throws PolicyConfigException {
        Policy policy = policy(Map.of("origins", List.of(APP), "methods", List.of("*"), "headers", List.of("*"),
                "credentials", true));

        Decision.Respond answer = assertInstanceOf(Decision.Respond.class,
                policy.onRequest(preflight(APP, "PATCH", "authorization,x-anything")));

        assertEquals("PATCH", answer.headers().get("Access-Control-Allow-Methods"));
        assertEquals("authorization,x-anything", answer.headers().get("Access-Control-Allow-Headers"));
    }

    @Test
    void should_answer_star_without_vary_when_every_origin_is_allowed() throws PolicyConfigException {
        Policy policy = policy(Map.of("origins", List.of("*")));

        Decision.Respond answer = assertInstanceOf(Decision.Respond.class,
                policy.onRequest(preflight("https://anyone.example", "GET", null)));

        assertEquals(Map.of("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "GET, HEAD, POST"),
                answer.headers());
    }

    @Test
    void should_let_non_cors_requests_through_untouched() throws PolicyConfigException {
        Policy policy = policy(config());
        FakeExchange plain = FakeExchange.request("GET", "Accept", "*/*");
        FakeExchange optionsWithoutRequestMethod = FakeExchange.request("OPTIONS", "Origin", APP);
        FakeExchange crossOrigin = FakeExchange.request("GET", "Origin", "https://evil.example");

        assertSame(Decision.proceed(), policy.onRequest(plain));
        assertSame(Decision.proceed(), policy.onRequest(optionsWithoutRequestMethod));
        assertSame(Decision.proceed(), policy.onRequest(crossOrigin));
        assertEquals(Map.of("accept", List.of("*/*")), plain.snapshot());
        assertEquals(Map.of("origin", List.of(APP)), optionsWithoutRequestMethod.snapshot());
    }

    @Test
    void should_add_allow_origin_credentials_expose_and_vary_to_the_answer_of_an_allowed_origin()
            throws PolicyConfigException {
        Policy policy = policy(config());
        FakeExchange request = FakeExchange.request("GET", "Origin", APP);
        FakeExchange response = FakeExchange.response(200, "Content-Type", "application/json");

        assertSame(Decision.proceed(), policy.onResponse(request, response));

        assertEquals(Map.of(
                "access-control-allow-credentials", List.of("true"),
                "access-control-allow-origin", List.of(APP),
                "access-control-expose-headers", List.of("X-Request-Id"),
                "content-type", List.of("application/json"),
                "vary", List.of("Origin")), response.snapshot());
    }

    @Test
    void should_add_allow_headers_to_a_rejection_so_the_browser_can_read_it() throws PolicyConfigException {
        Policy policy = policy(config());
        FakeExchange response = FakeExchange.response(401, "WWW-Authenticate", "Bearer");

        policy.onResponse(FakeExchange.request("GET", "Origin", APP), response);

        assertEquals(List.of(APP), response.headers("Access-Control-Allow-Origin"));
    }

    @Test
    void should_replace_allow_headers_the_upstream_wrote() throws PolicyConfigException {
        Policy policy = policy(Map.of("origins", List.of(APP)));
        FakeExchange response = FakeExchange.response(200,
                "Access-Control-Allow-Origin", "*",
                "Access-Control-Allow-Credentials", "true",
                "Access-Control-Expose-Headers", "X-Internal");

        policy.onResponse(FakeExchange.request("GET", "Origin", "https://evil.example"), response);

        assertEquals(Map.of("vary", List.of("Origin")), response.snapshot());
    }

    @Test
    void should_add_vary_origin_to_answers_without_origin_because_a_cache_may_serve_them_to_an_origin()
            throws PolicyConfigException {
        Policy policy = policy(config());
        FakeExchange response = FakeExchange.response(200);

        policy.onResponse(FakeExchange.request("GET"), response);

        assertEquals(Map.of("vary", List.of("Origin")), response.snapshot());
    }

    @Test
    void should_answer_star_and_no_vary_to_any_origin_when_origins_is_star() throws PolicyConfigException {
        Policy policy = policy(Map.of("origins", List.of("*")));
        FakeExchange response = FakeExchange.response(200);

        policy.onResponse(FakeExchange.request("GET", "Origin", "https://anyone.example"), response);

        assertEquals(Map.of("access-control-allow-origin", List.of("*")), response.snapshot());
    }

    @Test
    void should_match_origins_as_browsers_serialize_them() throws PolicyConfigException {
        Policy policy = policy(Map.of("origins", List.of("HTTPS://App.Example:443", "http://localhost:13001")));

        assertInstanceOf(Decision.Respond.class, policy.onRequest(preflight(APP, "GET", null)));
        assertInstanceOf(Decision.Respond.class, policy.onRequest(preflight("http://localhost:13001", "GET", null)));
        assertInstanceOf(Decision.Reject.class, policy.onRequest(preflight("http://localhost:13002", "GET", null)));
    }

    @Test
    void should_not_add_a_second_vary_origin_on_the_preflight_answer() throws PolicyConfigException {
        Policy policy = policy(config());
        FakeExchange preflight = preflight(APP, "GET", null);
        Decision.Respond answer = assertInstanceOf(Decision.Respond.class, policy.onRequest(preflight));
        FakeExchange response = FakeExchange.response(answer.status());
        answer.headers().forEach(response::setHeader);

        policy.onResponse(preflight, response);

        assertEquals(List.of("Origin"), response.headers("Vary"));
        assertEquals(List.of(APP), response.headers("Access-Control-Allow-Origin"));
    }

    /** origins [APP], methods [GET, PUT], headers [Content-Type, X-Trace], credentials, maxAge 10m, expose X-Request-Id. */
    private static Map<String, Object> config() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("origins", List.of(APP));
        config.put("methods", List.of("GET", "PUT"));
        config.put("headers", List.of("Content-Type", "X-Trace"));
        config.put("exposeHeaders", List.of("X-Request-Id"));
        config.put("credentials", true);
        config.put("maxAge", "10m");
        return config;
    }

    private Policy policy(Map<String, Object> config) throws PolicyConfigException {
        return factory.create(config);
    }

    private static FakeExchange preflight(String origin, String method, String requestHeaders) {
        FakeExchange request = FakeExchange.request("OPTIONS", "Origin", origin, "Access-Control-Request-Method", method);
        if (requestHeaders != null) {
            request.addHeader("Access-Control-Request-Headers", requestHeaders);
        }
        return request;
    }
}
