package dev.meridian.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class FormatTest {

  @ParameterizedTest
  @ValueSource(strings = {"application/json", "application/json; charset=utf-8",
      "Application/JSON", " application/json ;charset=UTF-8"})
  void should_map_json_media_types(String type) {
    assertEquals(Optional.of(Format.JSON), Format.fromMediaType(type));
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/yaml", "application/x-yaml", "text/yaml",
      "TEXT/YAML;charset=utf-8", "application/x-yaml; charset=\"utf-8\""})
  void should_map_yaml_media_types(String type) {
    assertEquals(Optional.of(Format.YAML), Format.fromMediaType(type));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"text/plain", "application/xml", "application/json-patch+json",
      "application/problem+json", "text/x-yaml", "*/*", "application/jsonx"})
  void should_give_empty_when_media_type_is_not_supported(String type) {
    assertEquals(Optional.empty(), Format.fromMediaType(type));
  }

  @Test
  void should_map_file_names_by_extension() {
    assertEquals(Optional.of(Format.YAML), Format.fromFileName("orders.api.yaml"));
    assertEquals(Optional.of(Format.YAML), Format.fromFileName("ORDERS.YML"));
    assertEquals(Optional.of(Format.JSON), Format.fromFileName("orders.api.json"));
    assertEquals(Optional.empty(), Format.fromFileName("orders.txt"));
    assertEquals(Optional.empty(), Format.fromFileName("yaml"));
    assertEquals(Optional.empty(), Format.fromFileName(null));
  }
}
