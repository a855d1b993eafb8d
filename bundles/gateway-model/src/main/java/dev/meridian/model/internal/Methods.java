package dev.meridian.model.internal;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The HTTP methods a definition may name, in their canonical order. */
public final class Methods {

  public static final List<String> ALL =
      List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT");

  private Methods() {}

  /** An unmodifiable copy in canonical order; rejects anything not in {@link #ALL}. */
  public static Set<String> canonical(Set<String> methods) {
    for (String m : methods) {
      if (!ALL.contains(m)) {
        throw new IllegalArgumentException("unknown HTTP method: " + m);
      }
    }
    Set<String> ordered = new LinkedHashSet<>();
    for (String m : ALL) {
      if (methods.contains(m)) {
        ordered.add(m);
      }
    }
    return Collections.unmodifiableSet(ordered);
  }
}
