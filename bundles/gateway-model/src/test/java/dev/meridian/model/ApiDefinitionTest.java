package dev.meridian.model;

import static dev.meridian.model.Samples.ORDERS_YAML;
import static dev.meridian.model.Samples.minimalWith;
import static dev.meridian.model.Samples.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiDefinitionTest {

  @Test
  void should_write_the_tree_in_canonical_field_order() throws DefinitionException {
    Map<String, Object> tree = yaml(ORDERS_YAML).toTree();

    assertEquals(List.of("id", "basePath", "methods", "upstream", "policies", "cache"),
        List.copyOf(tree.keySet()));
    assertEquals("""
        {"id":"orders","basePath":"/orders","methods":["GET","POST"],\
        "upstream":{"url":"http://127.0.0.1:9000/v1","timeout":"30s",\
        "pool":{"maxConnections":256,"warm":8}},\
        "policies":[{"type":"set-headers","request":{"set":{"X-Env":"prod"},"remove":["X-Debug"]},\
        "response":{"set":{"X-Frame-Options":"DENY"}}},\
        {"type":"rate-limit","limit":100,"per":"1s","key":"ip","scope":"cluster"}],\
        "cache":{"ttl":"30s","tags":["orders","customer:{query.customer}"]}}""",
        new String(Json.write(tree), StandardCharsets.UTF_8));
  }

  @Test
  void should_write_defaults_and_omit_empty_optional_blocks() throws DefinitionException {
    Map<String, Object> tree = yaml(Samples.MINIMAL_YAML).toTree();

    assertEquals(Map.of("id", "a", "basePath", "/a", "upstream",
        Map.of("url", "http://h", "timeout", "30s",
            "pool", Map.of("maxConnections", 256L, "warm", 0L))), tree);
  }

  @Test
  void should_give_equal_trees_when_definitions_mean_the_same() throws DefinitionException {
    ApiDefinition a = yaml(minimalWith(
        "methods: [GET, POST]",
        "upstream: {url: 'http://h/v1', timeout: 30s}",
        "cache: {ttl: 1m, tags: [], ttlByStatus: {'404': 5s, '500': 1s}}"));
    ApiDefinition b = yaml(minimalWith(
        "methods: [post, get]",
        "upstream: {url: 'HTTP://H:80/v1/', timeout: 30000ms, pool: {maxConnections: 256}}",
        "cache: {ttlByStatus: {'500': 1000ms, '404': 5s}, ttl: 60s}"));

    assertEquals(a.toTree(), b.toTree());
    assertEquals(a, b);
  }

  @Test
  void should_give_different_trees_when_definitions_differ() throws DefinitionException {
    assertNotEquals(yaml(minimalWith("upstream: {url: 'http://h', timeout: 5s}")).toTree(),
        yaml(Samples.MINIMAL_YAML).toTree());
    assertNotEquals(yaml(minimalWith("policies: [{type: a, x: 1}]")).toTree(),
        yaml(minimalWith("policies: [{type: a, x: 2}]")).toTree());
  }

  @Test
  void should_round_trip_through_the_tree() throws DefinitionException {
    ApiDefinition api = yaml(ORDERS_YAML);

    ApiDefinition reloaded = DefinitionParser.fromTree(api.toTree());

    assertEquals(api, reloaded);
    assertEquals(api.toTree(), reloaded.toTree());
  }

  @Test
  void should_round_trip_through_stored_json() throws DefinitionException {
    ApiDefinition api = yaml(ORDERS_YAML);

    Object stored = Json.read(Json.write(api.toTree()));

    assertEquals(api.toTree(), stored);
    assertEquals(api, DefinitionParser.fromTree(stored));
  }

  @Test
  void should_accept_int_values_in_a_tree() throws DefinitionException {
    Map<String, Object> tree = yaml(Samples.MINIMAL_YAML).toTree();
    @SuppressWarnings("unchecked")
    Map<String, Object> upstream = (Map<String, Object>) tree.get("upstream");
    upstream.put("pool", Map.of("maxConnections", 12, "warm", 3));

    assertEquals(12, DefinitionParser.fromTree(tree).upstream().maxConnections());
  }

  @Test
  void should_reject_an_invalid_tree() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("id", "a");

    DefinitionException e =
        assertThrows(DefinitionException.class, () -> DefinitionParser.fromTree(tree));

    assertEquals(DefinitionException.Kind.INVALID, e.kind());
    assertEquals(List.of("basePath", "upstream"), Samples.paths(e));
  }

  @Test
  void should_return_a_fresh_mutable_tree() throws DefinitionException {
    ApiDefinition api = yaml(ORDERS_YAML);
    Map<String, Object> tree = api.toTree();

    tree.put("id", "changed");

    assertEquals("orders", api.toTree().get("id"));
  }

  @Test
  void should_copy_collections_defensively_when_constructed_directly() {
    Upstream up = new Upstream(URI.create("http://h"), "http", "h", 80, "",
        Duration.ofSeconds(1), 1, 0);
    Map<String, Object> cache = new LinkedHashMap<>();
    cache.put("ttl", "1s");
    ApiDefinition api = new ApiDefinition("a", "/a", Set.of("POST", "GET"), up, List.of(), cache);

    cache.put("ttl", "2s");

    assertEquals("1s", api.cache().get("ttl"));
    assertEquals(List.of("GET", "POST"), List.copyOf(api.methods()));
    assertThrows(IllegalArgumentException.class,
        () -> new ApiDefinition("a", "/a", Set.of("get"), up, List.of(), Map.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new PolicySpec("x", Map.of("type", "y")));
  }
}
