package dev.meridian.model;

import dev.meridian.model.internal.Jackson;

/** JSON for other bundles, so that only this bundle imports Jackson. */
public final class Json {

  private Json() {}

  /**
   * Compact UTF-8 JSON for a tree of Map (keys written with {@code toString()}), Collection,
   * String, Number, Boolean and null; an {@link java.time.Instant} is written as an RFC 3339 UTC
   * string, a {@link java.time.Duration} in short form ({@code "30s"}).
   *
   * @throws IllegalArgumentException for other types or non-finite numbers
   */
  public static byte[] write(Object tree) {
    return Jackson.write(tree, false);
  }

  /** As {@link #write}, indented and ending with a newline. */
  public static byte[] writePretty(Object tree) {
    return Jackson.write(tree, true);
  }

  /**
   * Reads one JSON value into LinkedHashMap, ArrayList, String, Long (integral numbers that fit)
   * or Double, Boolean and {@code null}. Duplicate keys and trailing content are malformed.
   *
   * @throws DefinitionException of kind MALFORMED when {@code json} is empty or not JSON
   */
  public static Object read(byte[] json) throws DefinitionException {
    return Jackson.readJson(json);
  }
}
