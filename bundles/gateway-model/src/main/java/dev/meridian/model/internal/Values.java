package dev.meridian.model.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Copies of JSON-like JDK trees: Map (String keys), List, String, Long, Double, Boolean. */
public final class Values {

  private Values() {}

  /** A deep, unmodifiable copy with insertion order kept; numbers widened to Long or Double. */
  public static Map<String, Object> immutableObject(Map<String, ?> map) {
    Objects.requireNonNull(map, "map");
    Map<String, Object> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "key"), immutable(v)));
    return Collections.unmodifiableMap(copy);
  }

  /** See {@link #immutableObject}; {@code null} and other types are rejected. */
  public static Object immutable(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(key(k), immutable(v)));
      return Collections.unmodifiableMap(copy);
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      list.forEach(v -> copy.add(immutable(v)));
      return Collections.unmodifiableList(copy);
    }
    if (value instanceof String || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Number number) {
      return number(number)
          .orElseThrow(() -> new IllegalArgumentException("not a finite number: " + number));
    }
    throw new IllegalArgumentException(
        value == null ? "null value" : "unsupported value type " + value.getClass().getName());
  }

  /** A deep, mutable copy (LinkedHashMap, ArrayList) of a tree built by {@link #immutable}. */
  public static Map<String, Object> mutableObject(Map<String, ?> map) {
    Map<String, Object> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> copy.put(k, mutable(v)));
    return copy;
  }

  private static Object mutable(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(key(k), mutable(v)));
      return copy;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      list.forEach(v -> copy.add(mutable(v)));
      return copy;
    }
    return value;
  }

  /**
   * Long for integral numbers that fit, Double for the rest; empty for NaN and infinities.
   */
  public static Optional<Object> number(Number n) {
    if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
      return Optional.of(n.longValue());
    }
    if (n instanceof BigInteger big) {
      return Optional.of(big.bitLength() < 64 ? (Object) big.longValue() : big.doubleValue());
    }
    double d = n instanceof BigDecimal dec ? dec.doubleValue() : n.doubleValue();
    return Double.isFinite(d) ? Optional.of(d) : Optional.empty();
  }

  /** The integral value of a Long, Integer, Short, Byte or BigInteger that fits a long. */
  public static Optional<Long> integral(Object value) {
    if (value instanceof Long || value instanceof Integer || value instanceof Short
        || value instanceof Byte) {
      return Optional.of(((Number) value).longValue());
    }
    if (value instanceof BigInteger big && big.bitLength() < 64) {
      return Optional.of(big.longValue());
    }
    return Optional.empty();
  }

  private static String key(Object k) {
    if (k instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException(k == null ? "null key" : "non-string key " + k);
  }
}
