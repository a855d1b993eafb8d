package dev.meridian.model;

import static dev.meridian.model.Samples.invalid;
import static dev.meridian.model.Samples.minimalWith;
import static dev.meridian.model.Samples.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SplitDefinitionTest {

  private static final String SHAPES = "shapes: {v2: {upstream: {url: 'http://v2:9000', timeout: 5s},"
      + " policies: [{type: set-headers, request: {set: {X-V: '2'}}}]}, v3: {upstream: {url: 'http://v3'}}}";

  @Test
  void should_read_split_and_shapes_and_write_them_back() throws Exception {
    ApiDefinition api = yaml(minimalWith(
        "split: {stickyBy: 'header:X-User', to: [{shape: v2, weight: 5%}, {shape: v3, weight: 0.25%}]}", SHAPES));
    assertEquals(Split.StickyBy.HEADER, api.split().stickyBy());
    assertEquals("X-User", api.split().stickyName());
    assertEquals(List.of(new Split.Share("v2", 500), new Split.Share("v3", 25)), api.split().to());
    assertEquals("http://v2:9000", api.shapes().get("v2").upstream().url().toString());
    assertEquals(1, api.shapes().get("v2").policies().size());
    assertEquals(List.of(), api.shapes().get("v3").policies());

    Map<String, Object> tree = api.toTree();
    assertEquals(Map.of("stickyBy", "header:X-User", "to",
        List.of(Map.of("shape", "v2", "weight", "5%"), Map.of("shape", "v3", "weight", "0.25%"))), tree.get("split"));
    Map<?, ?> v2 = (Map<?, ?>) ((Map<?, ?>) tree.get("shapes")).get("v2");
    assertEquals("5s", ((Map<?, ?>) v2.get("upstream")).get("timeout"));
    assertEquals(api, DefinitionParser.fromTree(tree));
  }

  @Test
  void should_leave_an_api_without_split_as_it_was() throws Exception {
    ApiDefinition api = yaml(minimalWith());
    assertTrue(api.split().isNone());
    assertTrue(api.shapes().isEmpty());
    assertFalse(api.toTree().containsKey("split"));
    assertFalse(api.toTree().containsKey("shapes"));
  }

  @Test
  void should_format_weights_canonically() {
    assertEquals("5%", Split.formatWeight(500));
    assertEquals("0.5%", Split.formatWeight(50));
    assertEquals("0.05%", Split.formatWeight(5));
    assertEquals("12.25%", Split.formatWeight(1225));
    assertEquals("100%", Split.formatWeight(10_000));
  }

  @Test
  void should_read_every_sticky_kind() throws Exception {
    for (String by : List.of("consumer", "ip", "header:X-A", "cookie:ab_id")) {
      ApiDefinition api = yaml(minimalWith("split: {stickyBy: '" + by + "', to: [{shape: v3, weight: 100%}]}", SHAPES));
      assertEquals(by, api.split().stickyByText());
    }
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        arguments("split: {stickyBy: ip, to: [{shape: v9, weight: 5%}]}", "split.to[0].shape", "unknown shape 'v9'"),
        arguments("split: {stickyBy: ip, to: [{shape: v2, weight: 60%}, {shape: v3, weight: 40.5%}]}", "split.to",
            "weights add up to 100.5%"),
        arguments("split: {stickyBy: ip, to: [{shape: v2, weight: 101%}]}", "split.to[0].weight", "percentage"),
        arguments("split: {stickyBy: ip, to: [{shape: v2, weight: 5}]}", "split.to[0].weight", "percentage"),
        arguments("split: {stickyBy: ip, to: [{shape: v2, weight: 0.125%}]}", "split.to[0].weight", "percentage"),
        arguments("split: {stickyBy: ip, to: [{shape: v2}]}", "split.to[0].weight", "is required"),
        arguments("split: {stickyBy: ip, to: [{shape: v2, weight: 1%}, {shape: v2, weight: 1%}]}", "split.to[1].shape",
            "listed twice"),
        arguments("split: {stickyBy: session, to: [{shape: v2, weight: 5%}]}", "split.stickyBy", "expected consumer"),
        arguments("split: {stickyBy: 'header:', to: [{shape: v2, weight: 5%}]}", "split.stickyBy", "expected consumer"),
        arguments("split: {stickyBy: 'cookie:a b', to: [{shape: v2, weight: 5%}]}", "split.stickyBy", "expected consumer"),
        arguments("split: {to: [{shape: v2, weight: 5%}]}", "split.stickyBy", "is required"),
        arguments("split: {stickyBy: ip, to: []}", "split.to", "non-empty list"),
        arguments("split: {stickyBy: ip, to: [{shape: v2, weight: 5%}], mode: x}", "split.mode", "unknown field"),
        arguments("split: [a]", "split", "expected an object"));
  }

  @ParameterizedTest
  @MethodSource("rules")
  void should_refuse_a_bad_split_with_the_field(String line, String path, String message) {
    DefinitionException e = invalid(minimalWith(line, SHAPES));
    assertEquals(1, e.problems().size(), e::getMessage);
    assertEquals(path, e.problems().get(0).path());
    assertTrue(e.problems().get(0).message().contains(message), e.problems().get(0)::message);
  }

  static Stream<Arguments> shapeRules() {
    return Stream.of(
        arguments("shapes: {v2: {policies: []}}", "shapes.v2.upstream", "is required"),
        arguments("shapes: {v2: {upstream: {url: 'ftp://x'}}}", "shapes.v2.upstream.url", ""),
        arguments("shapes: {v2: {upstream: {url: 'http://x', timeout: 2h}}}", "shapes.v2.upstream.timeout", "at most 1h"),
        arguments("shapes: {v2: {upstream: {url: 'http://x'}, policies: [{type: Bad}]}}", "shapes.v2.policies[0].type",
            "must match"),
        arguments("shapes: {v2: {upstream: {url: 'http://x'}, cache: {}}}", "shapes.v2.cache", "unknown field"),
        arguments("shapes: {main: {upstream: {url: 'http://x'}}}", "shapes.main", "not be main"),
        arguments("shapes: {V2: {upstream: {url: 'http://x'}}}", "shapes.V2", "must match"),
        arguments("shapes: [v2]", "shapes", "expected an object"));
  }

  @ParameterizedTest
  @MethodSource("shapeRules")
  void should_refuse_a_bad_shape_with_the_field(String line, String path, String message) {
    DefinitionException e = invalid(minimalWith(line));
    assertEquals(path, e.problems().get(0).path(), e::getMessage);
    assertTrue(e.problems().get(0).message().contains(message), e.problems().get(0)::message);
  }

  @Test
  void should_report_the_unknown_shape_once_when_the_shape_itself_is_broken() {
    DefinitionException e = invalid(minimalWith("split: {stickyBy: ip, to: [{shape: v2, weight: 5%}]}",
        "shapes: {v2: {upstream: {url: 'nope'}}}"));
    assertEquals(List.of("shapes.v2.upstream.url"), Samples.paths(e), e::getMessage);
  }
}
