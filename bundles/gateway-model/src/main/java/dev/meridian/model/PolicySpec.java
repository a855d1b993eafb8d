package dev.meridian.model;

import dev.meridian.model.internal.Values;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of a definition's {@code policies} list.
 *
 * @param type the policy type, e.g. {@code rate-limit}
 * @param config every field of the entry except {@code type}, in document order; deep-immutable
 *     JDK values only (Map, List, String, Long, Double, Boolean), never null. Validated by the
 *     bundle that provides the type, not here.
 */
public record PolicySpec(String type, Map<String, Object> config) {

  public PolicySpec {
    Objects.requireNonNull(type, "type");
    config = Values.immutableObject(config);
    if (config.containsKey("type")) {
      throw new IllegalArgumentException("config must not contain 'type'");
    }
  }
}
