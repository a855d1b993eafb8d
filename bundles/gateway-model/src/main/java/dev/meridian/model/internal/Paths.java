package dev.meridian.model.internal;

/** Builds problem paths such as {@code [1].policies[0].type}. */
public final class Paths {

  private Paths() {}

  public static String field(String base, String name) {
    return base.isEmpty() ? name : base + "." + name;
  }

  public static String index(String base, int i) {
    return base + "[" + i + "]";
  }
}
