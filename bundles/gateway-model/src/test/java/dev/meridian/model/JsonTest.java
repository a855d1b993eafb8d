package dev.meridian.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void should_write_compact_json_in_map_order() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("revision", 3);
    tree.put("changed", false);
    tree.put("time", Instant.parse("2024-05-01T10:00:00Z"));
    tree.put("took", Duration.ofMillis(250));
    tree.put("ratio", 0.5);
    tree.put("none", null);
    tree.put("list", Arrays.asList("a", null, 1L));

    assertEquals("{\"revision\":3,\"changed\":false,\"time\":\"2024-05-01T10:00:00Z\","
        + "\"took\":\"250ms\",\"ratio\":0.5,\"none\":null,\"list\":[\"a\",null,1]}",
        text(Json.write(tree)));
  }

  @Test
  void should_write_pretty_json() {
    String pretty = text(Json.writePretty(Map.of("a", List.of(1))));

    assertTrue(pretty.contains("\n"), pretty);
    assertEquals(Map.of("a", List.of(1L)), readQuietly(pretty));
  }

  @Test
  void should_reject_values_that_are_not_json() {
    assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("x", new Object())));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
  }

  @Test
  void should_read_into_jdk_types() throws DefinitionException {
    Object tree = Json.read("{\"a\":1,\"b\":1.5,\"c\":[true,null],\"d\":\"x\",\"e\":{}}"
        .getBytes(StandardCharsets.UTF_8));

    Map<?, ?> map = assertInstanceOf(LinkedHashMap.class, tree);
    assertEquals(1L, map.get("a"));
    assertEquals(1.5, map.get("b"));
    assertInstanceOf(ArrayList.class, map.get("c"));
    assertEquals(Arrays.asList(true, null), map.get("c"));
    assertEquals("x", map.get("d"));
    assertEquals(Map.of(), map.get("e"));
    assertNull(Json.read("null".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void should_reject_malformed_json() {
    for (String bad : List.of("", "{", "{\"a\":1,\"a\":2}", "[1] [2]", "{a:1}", "NaN")) {
      DefinitionException e = assertThrows(DefinitionException.class,
          () -> Json.read(bad.getBytes(StandardCharsets.UTF_8)), bad);
      assertEquals(DefinitionException.Kind.MALFORMED, e.kind());
    }
  }

  private static Object readQuietly(String json) {
    try {
      return Json.read(json.getBytes(StandardCharsets.UTF_8));
    } catch (DefinitionException e) {
      throw new AssertionError(e);
    }
  }
}
