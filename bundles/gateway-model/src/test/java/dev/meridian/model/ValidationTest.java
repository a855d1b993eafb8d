package dev.meridian.model;

import static dev.meridian.model.Samples.invalid;
import static dev.meridian.model.Samples.minimalWith;
import static dev.meridian.model.Samples.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValidationTest {

  @Test
  void should_keep_a_valid_tls_block_and_write_it_back() throws Exception {
    ApiDefinition api = yaml(minimalWith(
        "upstream: {url: 'https://h', tls: {ca: /etc/ca.pem, cert: /c.pem, key: '${secret:k}'}}"));
    assertEquals(new UpstreamTls("/etc/ca.pem", "/c.pem", "${secret:k}"), api.upstream().tls());
    assertEquals(api, DefinitionParser.fromTree(api.toTree()));
    ApiDefinition plain = yaml(minimalWith("upstream: {url: 'https://h'}"));
    assertEquals(UpstreamTls.NONE, plain.upstream().tls());
    assertTrue(!((Map<?, ?>) plain.toTree().get("upstream")).containsKey("tls"));
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        arguments("-id", "id", "is required"),
        arguments("id: Orders", "id", "must match"),
        arguments("id: -orders", "id", "must match"),
        arguments("id: " + "a".repeat(65), "id", "must match"),
        arguments("id: 42", "id", "expected a string"),
        arguments("-basePath", "basePath", "is required"),
        arguments("basePath: orders", "basePath", "must start with /"),
        arguments("basePath: ''", "basePath", "must start with /"),
        arguments("basePath: /orders/", "basePath", "must not end with /"),
        arguments("basePath: /a//b", "basePath", "empty segments"),
        arguments("basePath: /a/../b", "basePath", ". or .."),
        arguments("basePath: /a/.", "basePath", ". or .."),
        arguments("basePath: /a/%2e%2E", "basePath", ". or .."),
        arguments("basePath: '/a?x=1'", "basePath", "? or #"),
        arguments("basePath: '/a#top'", "basePath", "? or #"),
        arguments("basePath: /a%2Fb", "basePath", "%2F"),
        arguments("basePath: /a%2fb", "basePath", "%2F"),
        arguments("basePath: '/a b'", "basePath", "must not contain ' '"),
        arguments("basePath: /a%zz", "basePath", "percent-encoding"),
        arguments("basePath: /%61dmin", "basePath", "write 'a' instead of %61"),
        arguments("basePath: /a%3ab", "basePath", "write %3A instead of %3a"),
        arguments("basePath: /a;v=1", "basePath", "';'"),
        arguments("basePath: /a%5Cb", "basePath", "encoded \\ or NUL"),
        arguments("basePath: /a%00", "basePath", "encoded \\ or NUL"),
        arguments("basePath: [/a]", "basePath", "expected a string"),
        arguments("methods: GET", "methods", "expected a list"),
        arguments("methods: [GET, FETCH]", "methods[1]", "unknown HTTP method 'FETCH'"),
        arguments("methods: [get, GET]", "methods[1]", "duplicate method GET"),
        arguments("methods: [1]", "methods[0]", "expected a string"),
        arguments("-upstream", "upstream", "is required"),
        arguments("upstream: 'http://h'", "upstream", "expected an object"),
        arguments("upstream: {}", "upstream.url", "is required"),
        arguments("upstream: {url: 'http://h', retries: 3}", "upstream.retries", "only with upstream.targets"),
        arguments("upstream: {url: 'http://h', weights: 3}", "upstream.weights", "unknown field"),
        arguments("upstream: {url: 'ftp://h/x'}", "upstream.url", "http or https"),
        arguments("upstream: {url: '/relative'}", "upstream.url", "http or https"),
        arguments("upstream: {url: 'http:///x'}", "upstream.url", "must have a host"),
        arguments("upstream: {url: 'http:h'}", "upstream.url", "must have a host"),
        arguments("upstream: {url: 'http://u:p@h/x'}", "upstream.url", "user info"),
        arguments("upstream: {url: 'http://h/x?a=1'}", "upstream.url", "query"),
        arguments("upstream: {url: 'http://h/x#f'}", "upstream.url", "fragment"),
        arguments("upstream: {url: 'http://h:99999'}", "upstream.url", "port"),
        arguments("upstream: {url: 'http://h x'}", "upstream.url", "not a valid URL"),
        arguments("upstream: {url: 'https://h', tls: {ca: /a.pem, sni: x}}", "upstream.tls.sni", "unknown field"),
        arguments("upstream: {url: 'https://h', tls: /a.pem}", "upstream.tls", "expected an object"),
        arguments("upstream: {url: 'http://h', tls: {ca: /a.pem}}", "upstream.tls", "only for an https"),
        arguments("upstream: {url: 'https://h', tls: {ca: a.pem}}", "upstream.tls.ca", "absolute path"),
        arguments("upstream: {url: 'https://h', tls: {ca: ''}}", "upstream.tls.ca", "must not be empty"),
        arguments("upstream: {url: 'https://h', tls: {ca: 42}}", "upstream.tls.ca", "expected a string"),
        arguments("upstream: {url: 'https://h', tls: {cert: /c.pem}}", "upstream.tls.key", "is required with upstream.tls.cert"),
        arguments("upstream: {url: 'https://h', tls: {key: /k.pem}}", "upstream.tls.cert", "is required with upstream.tls.key"),
        arguments("upstream: {url: 'https://h', tls: {ca: \"-----BEGIN CERTIFICATE-----\\nAAAA\\n\"}}", "upstream.tls.ca", "no complete"),
        arguments("upstream: {url: 'http://h', timeout: 0s}", "upstream.timeout", "greater than 0s"),
        arguments("upstream: {url: 'http://h', timeout: 61m}", "upstream.timeout", "at most 1h"),
        arguments("upstream: {url: 'http://h', timeout: 30}", "upstream.timeout",
            "expected a duration such as 30s"),
        arguments("upstream: {url: 'http://h', timeout: 30sec}", "upstream.timeout",
            "expected a duration such as 30s"),
        arguments("upstream: {url: 'http://h', pool: 8}", "upstream.pool", "expected an object"),
        arguments("upstream: {url: 'http://h', pool: {maxConnections: 0}}",
            "upstream.pool.maxConnections", "between 1 and 10000"),
        arguments("upstream: {url: 'http://h', pool: {maxConnections: 10001}}",
            "upstream.pool.maxConnections", "between 1 and 10000"),
        arguments("upstream: {url: 'http://h', pool: {maxConnections: 2.5}}",
            "upstream.pool.maxConnections", "expected an integer"),
        arguments("upstream: {url: 'http://h', pool: {maxConnections: '8'}}",
            "upstream.pool.maxConnections", "expected an integer"),
        arguments("upstream: {url: 'http://h', pool: {warm: -1}}", "upstream.pool.warm",
            "between 0 and 10000"),
        arguments("upstream: {url: 'http://h', pool: {maxConnections: 4, warm: 5}}",
            "upstream.pool.warm", "must not exceed maxConnections (4)"),
        arguments("upstream: {url: 'http://h', pool: {warm: 300}}", "upstream.pool.warm",
            "must not exceed maxConnections (256)"),
        arguments("upstream: {url: 'http://h', pool: {size: 3}}", "upstream.pool.size",
            "unknown field"),
        arguments("policies: {type: x}", "policies", "expected a list"),
        arguments("policies: [set-headers]", "policies[0]", "expected an object"),
        arguments("policies: [{limit: 1}]", "policies[0].type", "is required"),
        arguments("policies: [{type: Rate_Limit}]", "policies[0].type", "must match"),
        arguments("policies: [{type: 7}]", "policies[0].type", "expected a string"),
        arguments("policies: [{type: a, x: null}]", "policies[0].x", "must not be null"),
        arguments("policies: [{type: a, x: {y: [1, ~]}}]", "policies[0].x.y[1]",
            "must not be null"),
        arguments("cache: 30s", "cache", "expected an object"),
        arguments("cache: {size: 10}", "cache.size", "unknown field"),
        arguments("cache: {ttl: fast}", "cache.ttl", "expected a duration such as 30s"),
        arguments("cache: {grace: -1s}", "cache.grace", "expected a duration such as 30s"),
        arguments("cache: {respectCacheControl: 'yes'}", "cache.respectCacheControl",
            "expected true or false"),
        arguments("cache: {shared: 1}", "cache.shared", "expected true or false"),
        arguments("cache: {ttlByStatus: 5s}", "cache.ttlByStatus", "expected an object"),
        arguments("cache: {ttlByStatus: {'4xx': 5s}}", "cache.ttlByStatus.4xx",
            "expected an HTTP status code"),
        arguments("cache: {ttlByStatus: {'404': soon}}", "cache.ttlByStatus.404",
            "expected a duration such as 30s"),
        arguments("cache: {key: method}", "cache.key", "expected a list"),
        arguments("cache: {key: []}", "cache.key", "must not be empty"),
        arguments("cache: {key: [method, body]}", "cache.key[1]", "expected method, path"),
        arguments("cache: {key: ['header:']}", "cache.key[0]", "expected method, path"),
        arguments("cache: {key: ['header:X Y']}", "cache.key[0]", "expected method, path"),
        arguments("cache: {key: [path, path]}", "cache.key[1]", "duplicate key part"),
        arguments("cache: {key: ['header:Accept', 'header:accept']}", "cache.key[1]",
            "duplicate key part"),
        arguments("cache: {tags: orders}", "cache.tags", "expected a list"),
        arguments("cache: {tags: ['']}", "cache.tags[0]", "must not be empty"),
        arguments("cache: {tags: [1]}", "cache.tags[0]", "expected a string"),
        arguments("cache: {tags: ['{cookie.x}']}", "cache.tags[0]", "unknown template"),
        arguments("cache: {tags: ['line:{path.x}']}", "cache.tags[0]", "unknown template"),
        arguments("cache: {tags: ['a{path.1']}", "cache.tags[0]", "unbalanced"),
        arguments("cache: {maxEntries: 0}", "cache.maxEntries", "between 1 and 100000000"),
        arguments("cache: {maxEntries: 100000001}", "cache.maxEntries",
            "between 1 and 100000000"),
        arguments("cache: {maxEntries: 1e3}", "cache.maxEntries", "expected an integer"),
        arguments("cache: {maxBytes: 64M}", "cache.maxBytes", "expected a size such as 64m"),
        arguments("cache: {maxBytes: '1.5g'}", "cache.maxBytes", "expected a size such as 64m"),
        arguments("cache: {maxBytes: -1}", "cache.maxBytes", "between 1m and 1024g"),
        arguments("cache: {maxBytes: 1048575}", "cache.maxBytes", "between 1m and 1024g"),
        arguments("cache: {maxBytes: 1023k}", "cache.maxBytes", "between 1m and 1024g"),
        arguments("cache: {maxBytes: 1025g}", "cache.maxBytes", "between 1m and 1024g"),
        arguments("cache: {maxBytes: 2.5}", "cache.maxBytes", "expected a size such as 64m"),
        arguments("cache: {maxBytes: true}", "cache.maxBytes", "expected a size such as 64m"),
        arguments("cache: {storeSetCookie: 'yes'}", "cache.storeSetCookie", "expected true or false"),
        arguments("upstream: {url: '${secret:u}'}", "upstream.url", "written out"),
        arguments("upstream: {url: 'http${secret:s}://h'}", "upstream.url", "written out"),
        arguments("upstream: {url: 'https://${secret:h'}", "upstream.url", "${secret:NAME}"),
        arguments("upstream: {url: 'https://${secret:a/b}/x'}", "upstream.url", "${secret:NAME}"),
        arguments("upstream: {url: 'https://${secret:h}/x?k=${secret:k}'}", "upstream.url", "query"),
        arguments("upstream: {url: 'https://${secret:u}@h/x'}", "upstream.url", "user info"),
        arguments("upstream: {url: 'https://h:${secret:p}/x'}", "upstream.url", "host"),
        arguments("upstream: {url: 'https://h', tls: {ca: 'x ${secret:c}'}}", "upstream.tls.ca", "expected PEM text"),
        arguments("upstream: {url: 'https://h', tls: {ca: '${secret:c}.pem'}}", "upstream.tls.ca", "whole value"),
        arguments("extra: 1", "extra", "unknown field"));
  }

  @ParameterizedTest(name = "{0} -> {1}: {2}")
  @MethodSource("rules")
  void should_reject_a_broken_rule_with_the_field_path(String line, String path, String message) {
    DefinitionException e = invalid(minimalWith(line));

    assertEquals(1, e.problems().size(), e::getMessage);
    Problem problem = e.problems().get(0);
    assertEquals(path, problem.path());
    assertTrue(problem.message().contains(message), problem::message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/a", "/a/b-c/d_e/~f", "/v1/orders:search", "/a%20b", "/@x/$y"})
  void should_accept_valid_base_paths(String basePath) throws DefinitionException {
    assertEquals(basePath, yaml(minimalWith("basePath: '" + basePath + "'")).basePath());
  }

  @Test
  void should_store_methods_upper_case_in_canonical_order() throws DefinitionException {
    ApiDefinition api = yaml(minimalWith("methods: [delete, Post, GET]"));

    assertEquals(List.of("GET", "POST", "DELETE"), List.copyOf(api.methods()));
    assertTrue(api.allowsMethod("post"));
    assertTrue(!api.allowsMethod("PUT"));
  }

  @Test
  void should_keep_an_upstream_url_with_secrets_as_written_and_a_stand_in_that_never_resolves() throws Exception {
    ApiDefinition api = yaml(minimalWith("upstream: {url: 'HTTPS://api.${secret:domain}:8443/v2/${secret:tok}/'}"));
    Upstream up = api.upstream();

    assertEquals("https://api.${secret:domain}:8443/v2/${secret:tok}", up.template());
    assertEquals(up.template(), up.shown());
    assertEquals("api.secret.invalid", up.host());
    assertEquals(8443, up.port());
    assertEquals("/v2/secret.invalid", up.path());
    assertEquals(up.template(), ((Map<?, ?>) api.toTree().get("upstream")).get("url"));
    assertEquals(api, DefinitionParser.fromTree(api.toTree()));
    Upstream resolved = up.resolved("https://api.partner.example:8443/v2/t0k", UpstreamTls.NONE);
    assertEquals("api.partner.example", resolved.host());
    assertEquals("/v2/t0k", resolved.path());
    assertTrue(resolved.toString().contains(up.template()) && !resolved.toString().contains("partner"), resolved::toString);
  }

  @Test
  void should_canonicalise_the_upstream_url() throws DefinitionException {
    Upstream up = yaml(minimalWith("upstream: {url: 'HTTPS://Api.Example.COM:443/v1/'}")).upstream();

    assertEquals("https://api.example.com/v1", up.url().toString());
    assertEquals("https", up.scheme());
    assertEquals("api.example.com", up.host());
    assertEquals(443, up.port());
    assertEquals("/v1", up.path());
  }

  @Test
  void should_accept_an_ipv6_upstream_with_a_port() throws DefinitionException {
    Upstream up = yaml(minimalWith("upstream: {url: 'http://[::1]:9000/a%2Fb'}")).upstream();

    assertEquals("[::1]", up.host());
    assertEquals(9000, up.port());
    assertEquals("/a%2Fb", up.path());
  }

  @Test
  void should_accept_the_full_cache_block() throws DefinitionException {
    ApiDefinition api = yaml(minimalWith("""
        cache:
          ttl: 0s
          respectCacheControl: true
          grace: 10000ms
          ttlByStatus: { 404: 5s, "200": 1m }
          key: [method, path, query, consumer, "header:Accept"]
          shared: false
          tags: ["orders", "line:{path.2}", "customer:{query.customer}", "{header.X-Tenant}"]
          maxEntries: 100000
          maxBytes: 65536k
          storeSetCookie: true
        """.strip()));

    Map<String, Object> cache = api.cache();
    assertEquals(List.of("ttl", "respectCacheControl", "grace", "ttlByStatus", "key", "shared",
        "tags", "maxEntries", "maxBytes", "storeSetCookie"), List.copyOf(cache.keySet()));
    assertEquals("64m", cache.get("maxBytes"));
    assertEquals(true, cache.get("storeSetCookie"));
    assertEquals("0s", cache.get("ttl"));
    assertEquals("10s", cache.get("grace"));
    assertEquals(Map.of("200", "1m", "404", "5s"), cache.get("ttlByStatus"));
    assertEquals(100000L, cache.get("maxEntries"));
    assertEquals(false, cache.get("shared"));
  }

  @Test
  void should_accept_max_bytes_as_bytes_or_a_size_in_canonical_form() throws DefinitionException {
    assertEquals("1m", yaml(minimalWith("cache: {maxBytes: 1048576}")).cache().get("maxBytes"));
    assertEquals("1024g", yaml(minimalWith("cache: {maxBytes: 1024g}")).cache().get("maxBytes"));
    assertEquals("1048577", yaml(minimalWith("cache: {maxBytes: 1048577}")).cache().get("maxBytes"));
    assertEquals("2g", yaml(minimalWith("cache: {maxBytes: '2048m'}")).cache().get("maxBytes"));
  }

  @Test
  void should_accept_boundary_values() throws DefinitionException {
    Upstream up = yaml(minimalWith(
        "upstream: {url: 'http://h', timeout: 1h, pool: {maxConnections: 10000, warm: 10000}}"))
        .upstream();

    assertEquals(Duration.ofHours(1), up.timeout());
    assertEquals(10000, up.warm());
    assertEquals(1, yaml(minimalWith("upstream: {url: 'http://h', timeout: 1ms, pool: "
        + "{maxConnections: 1, warm: 0}}")).upstream().maxConnections());
  }

  @Test
  void should_keep_policy_config_unvalidated_but_immutable() throws DefinitionException {
    PolicySpec policy = yaml(minimalWith(
        "policies: [{type: anything, weird: {nested: [1, 2.5, true, 'x']}}]")).policies().get(0);

    assertEquals(Map.of("weird", Map.of("nested", List.of(1L, 2.5, true, "x"))), policy.config());
    @SuppressWarnings("unchecked")
    Map<String, Object> nested = (Map<String, Object>) policy.config().get("weird");
    org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
        () -> nested.put("x", "y"));
  }
}
