package dev.meridian.model;

import static dev.meridian.model.Samples.invalid;
import static dev.meridian.model.Samples.minimalWith;
import static dev.meridian.model.Samples.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UpstreamTargetsTest {

  private static final String FULL = "upstream: {targets: [{url: 'http://10.0.0.1:9000/v1', weight: 3},"
      + " {url: 'HTTP://10.0.0.2:9000'}], balance: 'hash:header:X-User',"
      + " healthCheck: {path: /health, interval: 2s, unhealthyAfter: 3},"
      + " retries: {attempts: 2, on: [connect-failure, 502, '503', timeout], budget: 20%},"
      + " circuitBreaker: {failureRatio: 50%, window: 10s, openFor: 5s}, timeout: 3s, pool: {maxConnections: 8}}";

  @Test
  void should_parse_targets_and_settings_with_defaults() throws Exception {
    Upstream up = yaml(minimalWith(FULL)).upstream();
    assertTrue(up.hasTargets());
    UpstreamTargets t = up.targets();
    assertEquals(2, t.targets().size());
    Upstream first = t.targets().get(0).upstream();
    assertEquals("http://10.0.0.1:9000/v1", first.url().toString());
    assertEquals("/v1", first.path());
    assertEquals(3, t.targets().get(0).weight());
    assertEquals("http://10.0.0.2:9000", t.targets().get(1).upstream().url().toString());
    assertEquals(1, t.targets().get(1).weight());
    // each target carries the block's timeout and pool
    assertEquals(Duration.ofSeconds(3), t.targets().get(1).upstream().timeout());
    assertEquals(8, t.targets().get(1).upstream().maxConnections());
    assertFalse(t.targets().get(1).upstream().hasTargets());
    // the upstream's own url is the first target's
    assertEquals(first.url(), up.url());
    assertEquals(new UpstreamTargets.Balance(UpstreamTargets.Balance.Kind.HASH, "header:X-User"), t.balance());
    assertEquals(new UpstreamTargets.HealthCheck("/health", Duration.ofSeconds(2), 3, 2), t.healthCheck());
    assertEquals(new UpstreamTargets.Retries(2, true, true, Set.of(502, 503), 20), t.retries());
    assertEquals(new UpstreamTargets.CircuitBreaker(50, Duration.ofSeconds(10), Duration.ofSeconds(5), 10),
        t.circuitBreaker());
  }

  @Test
  void should_write_a_canonical_tree_that_reads_back_equal() throws Exception {
    ApiDefinition api = yaml(minimalWith(FULL));
    Map<?, ?> up = (Map<?, ?>) api.toTree().get("upstream");
    assertEquals(List.of("targets", "balance", "healthCheck", "retries", "circuitBreaker", "timeout", "pool"),
        List.copyOf(up.keySet()));
    assertEquals(List.of(Map.of("url", "http://10.0.0.1:9000/v1", "weight", 3L),
        Map.of("url", "http://10.0.0.2:9000", "weight", 1L)), up.get("targets"));
    assertEquals(Map.of("attempts", 2L, "on", List.of("connect-failure", "timeout", 502L, 503L), "budget", "20%"),
        up.get("retries"));
    assertEquals(api, DefinitionParser.fromTree(api.toTree()));
    assertEquals(api.hashCode(), DefinitionParser.fromTree(api.toTree()).hashCode());
  }

  @Test
  void should_default_to_round_robin_without_checks_retries_or_breaker() throws Exception {
    UpstreamTargets t = yaml(minimalWith("upstream: {targets: [{url: 'http://a'}, {url: 'http://b'}]}"))
        .upstream().targets();
    assertEquals(UpstreamTargets.Balance.ROUND_ROBIN, t.balance());
    assertFalse(t.healthCheck().enabled());
    assertFalse(t.retries().enabled());
    assertFalse(t.circuitBreaker().enabled());
    UpstreamTargets.Retries r = yaml(minimalWith("upstream: {targets: [{url: 'http://a'}], retries: {}}"))
        .upstream().targets().retries();
    assertEquals(new UpstreamTargets.Retries(1, true, false, Set.of(), 20), r);
  }

  @Test
  void should_leave_a_single_url_upstream_as_it_was() throws Exception {
    ApiDefinition api = yaml(minimalWith("upstream: {url: 'http://h:9000'}"));
    assertFalse(api.upstream().hasTargets());
    assertEquals(UpstreamTargets.NONE, api.upstream().targets());
    assertEquals(List.of("url", "timeout", "pool"), List.copyOf(((Map<?, ?>) api.toTree().get("upstream")).keySet()));
  }

  @Test
  void should_keep_an_equal_target_upstream_when_another_target_is_added() throws Exception {
    Upstream one = yaml(minimalWith("upstream: {targets: [{url: 'http://a:1'}, {url: 'http://b:1'}]}")).upstream();
    Upstream two = yaml(minimalWith("upstream: {targets: [{url: 'http://a:1'}, {url: 'http://c:1'}]}")).upstream();
    // the pool key of a kept target: equal records
    assertEquals(one.targets().targets().get(0).upstream(), two.targets().targets().get(0).upstream());
  }

  static Stream<Arguments> rules() {
    String two = "targets: [{url: 'http://a'}, {url: 'http://b'}]";
    return Stream.of(
        arguments("upstream: {}", "upstream.url", "is required"),
        arguments("upstream: {url: 'http://a', targets: [{url: 'http://b'}]}", "upstream.url", "not both"),
        arguments("upstream: {url: 'http://a', balance: round-robin}", "upstream.balance", "only with upstream.targets"),
        arguments("upstream: {url: 'http://a', retries: {}}", "upstream.retries", "only with upstream.targets"),
        arguments("upstream: {targets: []}", "upstream.targets", "1 to 64"),
        arguments("upstream: {targets: 'http://a'}", "upstream.targets", "expected a list"),
        arguments("upstream: {targets: [{weight: 2}]}", "upstream.targets[0].url", "is required"),
        arguments("upstream: {targets: [{url: 'ftp://a'}]}", "upstream.targets[0].url", "http or https"),
        arguments("upstream: {targets: [{url: 'http://a', weight: 0}]}", "upstream.targets[0].weight", "between 1 and 1000"),
        arguments("upstream: {targets: [{url: 'http://a', port: 1}]}", "upstream.targets[0].port", "unknown field"),
        arguments("upstream: {targets: [{url: 'http://a/'}, {url: 'HTTP://A'}]}", "upstream.targets[1].url", "the same URL as upstream.targets[0]"),
        arguments("upstream: {targets: [{url: 'http://a'}], tls: {ca: /ca.pem}}", "upstream.targets[0].url", "must be https"),
        arguments("upstream: {" + two + ", balance: random}", "upstream.balance", "expected round-robin"),
        arguments("upstream: {" + two + ", balance: 'hash:cookie'}", "upstream.balance", "expected round-robin"),
        arguments("upstream: {" + two + ", healthCheck: {interval: 2s}}", "upstream.healthCheck.path", "is required"),
        arguments("upstream: {" + two + ", healthCheck: {path: health}}", "upstream.healthCheck.path", "starting with /"),
        arguments("upstream: {" + two + ", healthCheck: {path: /h, interval: 100ms}}", "upstream.healthCheck.interval", "between 1s and 5m"),
        arguments("upstream: {" + two + ", healthCheck: {path: /h, healthyAfter: 0}}", "upstream.healthCheck.healthyAfter", "between 1 and 100"),
        arguments("upstream: {" + two + ", retries: {attempts: 9}}", "upstream.retries.attempts", "between 1 and 5"),
        arguments("upstream: {" + two + ", retries: {on: [404]}}", "upstream.retries.on[0]", "5xx status"),
        arguments("upstream: {" + two + ", retries: {on: []}}", "upstream.retries.on", "must not be empty"),
        arguments("upstream: {" + two + ", retries: {budget: 120%}}", "upstream.retries.budget", "between 0% and 100%"),
        arguments("upstream: {" + two + ", retries: {budget: lots}}", "upstream.retries.budget", "whole percentage"),
        arguments("upstream: {" + two + ", circuitBreaker: {failureRatio: 0%}}", "upstream.circuitBreaker.failureRatio", "between 1% and 100%"),
        arguments("upstream: {" + two + ", circuitBreaker: {window: 1h}}", "upstream.circuitBreaker.window", "between 1s and 10m"),
        arguments("upstream: {" + two + ", circuitBreaker: {trip: 3}}", "upstream.circuitBreaker.trip", "unknown field"));
  }

  @ParameterizedTest
  @MethodSource("rules")
  void should_reject_with_the_field_path(String line, String path, String message) {
    DefinitionException e = invalid(minimalWith(line));
    assertTrue(e.problems().stream().anyMatch(p -> p.path().equals(path) && p.message().contains(message)),
        () -> "expected " + path + ": " + message + " in " + e.problems());
  }
}
