package dev.meridian.model;

import java.util.Locale;
import java.util.Optional;

/** The two notations a definition may be written in. */
public enum Format {
  JSON,
  YAML;

  /**
   * {@code application/json} gives JSON; {@code application/yaml}, {@code application/x-yaml} and
   * {@code text/yaml} give YAML. Parameters such as {@code ;charset=utf-8} are ignored, case does
   * not matter. Anything else, or {@code null}, gives empty.
   */
  public static Optional<Format> fromMediaType(String contentType) {
    if (contentType == null) {
      return Optional.empty();
    }
    int semicolon = contentType.indexOf(';');
    String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
        .trim()
        .toLowerCase(Locale.ROOT);
    return switch (type) {
      case "application/json" -> Optional.of(JSON);
      case "application/yaml", "application/x-yaml", "text/yaml" -> Optional.of(YAML);
      default -> Optional.empty();
    };
  }

  /** By file name: {@code *.json} is JSON, {@code *.yaml} and {@code *.yml} are YAML. */
  public static Optional<Format> fromFileName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".json")) {
      return Optional.of(JSON);
    }
    if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
      return Optional.of(YAML);
    }
    return Optional.empty();
  }
}
