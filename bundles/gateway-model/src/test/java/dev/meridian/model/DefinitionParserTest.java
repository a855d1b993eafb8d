package dev.meridian.model;

import static dev.meridian.model.Samples.ORDERS_JSON;
import static dev.meridian.model.Samples.ORDERS_YAML;
import static dev.meridian.model.Samples.bytes;
import static dev.meridian.model.Samples.invalid;
import static dev.meridian.model.Samples.json;
import static dev.meridian.model.Samples.malformed;
import static dev.meridian.model.Samples.paths;
import static dev.meridian.model.Samples.yaml;
import static dev.meridian.model.Samples.yamlSet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.model.DefinitionException.Kind;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DefinitionParserTest {

  @Test
  void should_parse_the_contract_example() throws DefinitionException {
    ApiDefinition api = yaml(ORDERS_YAML);

    assertEquals("orders", api.id());
    assertEquals("/orders", api.basePath());
    assertEquals(Set.of("GET", "POST"), api.methods());
    Upstream up = api.upstream();
    assertEquals(URI.create("http://127.0.0.1:9000/v1"), up.url());
    assertEquals("http", up.scheme());
    assertEquals("127.0.0.1", up.host());
    assertEquals(9000, up.port());
    assertEquals("/v1", up.path());
    assertEquals(Duration.ofSeconds(30), up.timeout());
    assertEquals(256, up.maxConnections());
    assertEquals(8, up.warm());
    assertEquals(List.of("set-headers", "rate-limit"),
        api.policies().stream().map(PolicySpec::type).toList());
    PolicySpec rateLimit = api.policies().get(1);
    assertEquals(Map.of("limit", 100L, "per", "1s", "key", "ip", "scope", "cluster"),
        rateLimit.config());
    assertEquals(List.of("limit", "per", "key", "scope"), List.copyOf(rateLimit.config().keySet()));
    assertEquals(Map.of("set", Map.of("X-Env", "prod"), "remove", List.of("X-Debug")),
        api.policies().get(0).config().get("request"));
    assertEquals(Map.of("ttl", "30s", "tags", List.of("orders", "customer:{query.customer}")),
        api.cache());
  }

  @Test
  void should_parse_yaml_and_json_identically() throws DefinitionException {
    ApiDefinition fromYaml = yaml(ORDERS_YAML);
    ApiDefinition fromJson = json(ORDERS_JSON);

    assertEquals(fromYaml.toTree(), fromJson.toTree());
    assertEquals(fromYaml, fromJson);
  }

  @Test
  void should_apply_defaults_when_optional_fields_are_absent() throws DefinitionException {
    ApiDefinition api = yaml(Samples.MINIMAL_YAML);

    assertEquals(Set.of(), api.methods());
    assertTrue(api.allowsMethod("delete"));
    assertEquals(Duration.ofSeconds(30), api.upstream().timeout());
    assertEquals(256, api.upstream().maxConnections());
    assertEquals(0, api.upstream().warm());
    assertEquals(80, api.upstream().port());
    assertEquals("", api.upstream().path());
    assertEquals(List.of(), api.policies());
    assertEquals(Map.of(), api.cache());
  }

  @Test
  void should_parse_a_yaml_multi_document_stream_as_a_set() throws DefinitionException {
    List<ApiDefinition> set = yamlSet("""
        ---
        id: a
        basePath: /a
        upstream: {url: 'http://h'}
        ---
        id: b
        basePath: /b
        upstream: {url: 'https://h:8443/b/'}
        ---
        """);

    assertEquals(List.of("a", "b"), set.stream().map(ApiDefinition::id).toList());
    assertEquals(8443, set.get(1).upstream().port());
    assertEquals("/b", set.get(1).upstream().path());
  }

  @Test
  void should_parse_a_yaml_list_as_a_set() throws DefinitionException {
    List<ApiDefinition> set = yamlSet("""
        - {id: a, basePath: /a, upstream: {url: 'http://h'}}
        - {id: b, basePath: /b, upstream: {url: 'http://h'}}
        """);

    assertEquals(List.of("a", "b"), set.stream().map(ApiDefinition::id).toList());
  }

  @Test
  void should_parse_a_json_array_as_a_set() throws DefinitionException {
    List<ApiDefinition> set = DefinitionParser.parse(bytes("""
        [{"id": "a", "basePath": "/a", "upstream": {"url": "http://h"}},
         {"id": "b", "basePath": "/b", "upstream": {"url": "http://h"}}]
        """), Format.JSON);

    assertEquals(List.of("a", "b"), set.stream().map(ApiDefinition::id).toList());
  }

  @Test
  void should_give_a_list_of_one_when_parsing_a_single_document() throws DefinitionException {
    assertEquals(1, yamlSet(Samples.MINIMAL_YAML).size());
    assertEquals(1, DefinitionParser.parse(bytes(ORDERS_JSON), Format.JSON).size());
  }

  @Test
  void should_give_an_empty_set_when_parsing_an_empty_array() throws DefinitionException {
    assertEquals(List.of(), DefinitionParser.parse(bytes("[]"), Format.JSON));
  }

  @Test
  void should_report_every_problem_with_its_path() {
    DefinitionException e = invalid("""
        id: Orders
        basePath: /orders/
        upstream: {url: 'ftp://h'}
        """);

    assertEquals(List.of("id", "basePath", "upstream.url"), paths(e));
    assertTrue(e.getMessage().contains("upstream.url: must be an absolute http or https URL"),
        e.getMessage());
  }

  @Test
  void should_prefix_problems_with_the_element_index_when_parsing_a_set() {
    DefinitionException e = invalid("""
        id: a
        basePath: /a
        upstream: {url: 'http://h'}
        ---
        id: b
        basePath: /b
        upstream: {url: 'http://h', timeout: forever}
        policies: [{type: x}, {type: 'Bad Type'}]
        """);

    assertEquals(List.of("[1].upstream.timeout", "[1].policies[1].type"), paths(e));
  }

  @Test
  void should_reject_duplicate_ids_and_base_paths_within_a_set() {
    DefinitionException e = invalid("""
        - {id: a, basePath: /a, upstream: {url: 'http://h'}}
        - {id: b, basePath: /a, upstream: {url: 'http://h'}}
        - {id: a, basePath: /c, upstream: {url: 'http://h'}}
        """);

    assertEquals(List.of("[1].basePath", "[2].id"), paths(e));
    assertTrue(e.problems().get(1).message().contains("duplicate id 'a'"));
  }

  @Test
  void should_reject_a_set_when_exactly_one_definition_is_expected() {
    DefinitionException e = assertThrows(DefinitionException.class,
        () -> DefinitionParser.parseOne(bytes("[" + ORDERS_JSON + "]"), Format.JSON));

    assertEquals(Kind.MALFORMED, e.kind());
    assertTrue(e.getMessage().contains("expected one definition"));
    assertThrows(DefinitionException.class,
        () -> yaml(Samples.MINIMAL_YAML + "---\n" + Samples.MINIMAL_YAML));
  }

  @Test
  void should_reject_an_empty_body_as_malformed() {
    malformed(new byte[0], Format.JSON);
    malformed(new byte[0], Format.YAML);
    malformed(bytes("   \n"), Format.JSON);
    malformed(bytes("# nothing here\n---\n"), Format.YAML);
  }

  @Test
  void should_reject_unparseable_text_as_malformed() {
    DefinitionException yaml = malformed(bytes("id: [a, b\n"), Format.YAML);
    DefinitionException json = malformed(bytes("{\"id\": \"a\",}"), Format.JSON);

    assertTrue(yaml.problems().get(0).message().startsWith("malformed YAML"), yaml.getMessage());
    assertTrue(yaml.getMessage().contains("line 2"), yaml.getMessage());
    assertTrue(json.getMessage().contains("malformed JSON"), json.getMessage());
    malformed(bytes("{\"id\": \"a\"} {}"), Format.JSON);
    DefinitionException bracket = malformed(bytes("{\"id\": \"a\"]"), Format.JSON);
    assertEquals(List.of("id"), paths(bracket));
    assertTrue(!bracket.getMessage().contains("Source"), bracket.getMessage());
    malformed(bytes("\tid: a\n"), Format.YAML);
  }

  @Test
  void should_reject_duplicate_keys_with_their_path() {
    DefinitionException json = malformed(
        bytes("{\"id\": \"a\", \"upstream\": {\"url\": \"http://h\", \"url\": \"http://i\"}}"),
        Format.JSON);
    DefinitionException yaml = malformed(bytes("id: a\nid: b\n"), Format.YAML);

    assertEquals(List.of("upstream.url"), paths(json));
    assertTrue(json.getMessage().contains("Duplicate field 'url'"), json.getMessage());
    assertEquals(List.of("id"), paths(yaml));
  }

  @Test
  void should_reject_a_wrong_top_level_shape_as_malformed() {
    malformed(bytes("\"orders\""), Format.JSON);
    malformed(bytes("null"), Format.JSON);
    malformed(bytes("just a string\n"), Format.YAML);
    DefinitionException e = malformed(bytes("[{\"id\": \"a\"}, 1, []]"), Format.JSON);

    assertEquals(List.of("[1]", "[2]"), paths(e));
  }

  @Test
  void should_reject_yaml_aliases() {
    DefinitionException e = malformed(bytes("""
        id: a
        basePath: /a
        upstream: &up {url: 'http://h'}
        policies: [{type: x, copy: *up}]
        """), Format.YAML);

    assertTrue(e.getMessage().contains("aliases"), e.getMessage());
  }

  @Test
  void should_reject_problems_in_a_later_yaml_document_with_its_index() {
    DefinitionException e = malformed(bytes(Samples.MINIMAL_YAML + "---\nid: b\nid: c\n"),
        Format.YAML);

    assertEquals(List.of("[1].id"), paths(e));
  }

  @Test
  void should_reject_a_tree_that_is_not_an_object() {
    DefinitionException e =
        assertThrows(DefinitionException.class, () -> DefinitionParser.fromTree(List.of()));

    assertEquals(Kind.MALFORMED, e.kind());
  }
}
