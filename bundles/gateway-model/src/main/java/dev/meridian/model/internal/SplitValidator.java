package dev.meridian.model.internal;

import dev.meridian.model.PolicySpec;
import dev.meridian.model.Shape;
import dev.meridian.model.Split;
import dev.meridian.model.Upstream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code split} and {@code shapes} fields of an API definition (CONTRACT §8). Problems go to
 * the {@link DefinitionValidator} it serves, whose {@code upstream} and {@code policies} parsing a
 * shape's fields go through, so a shape's upstream accepts exactly what the API's does.
 */
final class SplitValidator {

  /** What {@link #check} found; {@link Split#NONE} and no shapes when absent or invalid. */
  record Checked(Split split, Map<String, Shape> shapes) {}

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  /** A cookie-name is an RFC 6265 token. */
  private static final Pattern WEIGHT = Pattern.compile("([0-9]{1,3})(?:\\.([0-9]{1,2}))?%");
  private static final Set<String> SPLIT_FIELDS = Set.of("stickyBy", "to");
  private static final Set<String> SHARE_FIELDS = Set.of("shape", "weight");
  private static final Set<String> SHAPE_FIELDS = Set.of("upstream", "policies");
  private static final String STICKY = "expected consumer, ip, header:<Name> or cookie:<Name>";
  private static final String WEIGHT_TEXT = "expected a percentage such as 5% or 0.5% (at most two decimals, 0% to 100%)";

  private final DefinitionValidator v;

  SplitValidator(DefinitionValidator v) {
    this.v = v;
  }

  Checked check(Map<?, ?> doc, String path) {
    Map<String, Shape> shapes = new LinkedHashMap<>();
    Set<String> named = new HashSet<>();
    if (doc.containsKey("shapes")) {
      shapes(doc.get("shapes"), Paths.field(path, "shapes"), shapes, named);
    }
    Split split = Split.NONE;
    if (doc.containsKey("split")) {
      Split s = split(doc.get("split"), Paths.field(path, "split"), named);
      if (s != null) {
        split = s;
      }
    }
    return new Checked(split, shapes);
  }

  private void shapes(Object value, String path, Map<String, Shape> out, Set<String> named) {
    if (!(value instanceof Map<?, ?> map)) {
      v.report(path, "expected an object of shapes by name");
      return;
    }
    map.forEach((k, shapeValue) -> {
      String name = String.valueOf(k);
      String shapePath = Paths.field(path, name);
      if (!NAME.matcher(name).matches() || name.equals("main")) {
        v.report(shapePath, "a shape name must match [a-z0-9][a-z0-9-]{0,63} and not be main (the API's own shape)");
        return;
      }
      named.add(name);
      if (!(shapeValue instanceof Map<?, ?> shape)) {
        v.report(shapePath, "expected an object with upstream and policies");
        return;
      }
      for (Object f : shape.keySet()) {
        if (!SHAPE_FIELDS.contains(String.valueOf(f))) {
          v.report(Paths.field(shapePath, String.valueOf(f)), "unknown field");
        }
      }
      String upstreamPath = Paths.field(shapePath, "upstream");
      if (!shape.containsKey("upstream")) {
        v.report(upstreamPath, "is required (a shape has its own upstream)");
        return;
      }
      Upstream upstream = v.shapeUpstream(shape.get("upstream"), upstreamPath);
      List<PolicySpec> policies = v.shapePolicies(shape.get("policies"), Paths.field(shapePath, "policies"));
      if (upstream != null) {
        out.put(name, new Shape(upstream, policies));
      }
    });
  }

  private Split split(Object value, String path, Set<String> named) {
    if (!(value instanceof Map<?, ?> map)) {
      v.report(path, "expected an object with stickyBy and to");
      return null;
    }
    int problems = v.problems().size();
    for (Object f : map.keySet()) {
      if (!SPLIT_FIELDS.contains(String.valueOf(f))) {
        v.report(Paths.field(path, String.valueOf(f)), "unknown field");
      }
    }
    String stickyPath = Paths.field(path, "stickyBy");
    Split.StickyBy by = null;
    String stickyName = "";
    Object sticky = map.get("stickyBy");
    if (!map.containsKey("stickyBy")) {
      v.report(stickyPath, "is required: " + STICKY);
    } else if (!(sticky instanceof String s)) {
      v.report(stickyPath, STICKY);
    } else if (s.equals("consumer")) {
      by = Split.StickyBy.CONSUMER;
    } else if (s.equals("ip")) {
      by = Split.StickyBy.IP;
    } else if ((s.startsWith("header:") || s.startsWith("cookie:"))
        && TOKEN.matcher(s.substring(7)).matches()) {
      by = s.startsWith("header:") ? Split.StickyBy.HEADER : Split.StickyBy.COOKIE;
      stickyName = s.substring(7);
    } else {
      v.report(stickyPath, STICKY);
    }

    String toPath = Paths.field(path, "to");
    List<Split.Share> shares = new ArrayList<>();
    Object to = map.get("to");
    if (!map.containsKey("to")) {
      v.report(toPath, "is required: a list of {shape, weight}");
    } else if (!(to instanceof List<?> list) || list.isEmpty()) {
      v.report(toPath, "expected a non-empty list of {shape, weight}");
    } else {
      Set<String> seen = new HashSet<>();
      int sum = 0;
      for (int i = 0; i < list.size(); i++) {
        String itemPath = Paths.index(toPath, i);
        if (!(list.get(i) instanceof Map<?, ?> entry)) {
          v.report(itemPath, "expected {shape, weight}");
          continue;
        }
        for (Object f : entry.keySet()) {
          if (!SHARE_FIELDS.contains(String.valueOf(f))) {
            v.report(Paths.field(itemPath, String.valueOf(f)), "unknown field");
          }
        }
        String shapePath = Paths.field(itemPath, "shape");
        Object shape = entry.get("shape");
        String shapeName = null;
        if (!(shape instanceof String s)) {
          v.report(shapePath, entry.containsKey("shape") ? "expected a shape name" : "is required");
        } else if (!named.contains(s)) {
          v.report(shapePath, "unknown shape '" + s + "'; define it under shapes");
        } else if (!seen.add(s)) {
          v.report(shapePath, "shape '" + s + "' is listed twice");
        } else {
          shapeName = s;
        }
        String weightPath = Paths.field(itemPath, "weight");
        Integer bp = entry.containsKey("weight") ? weight(entry.get("weight"), weightPath) : null;
        if (!entry.containsKey("weight")) {
          v.report(weightPath, "is required: " + WEIGHT_TEXT);
        }
        if (bp != null) {
          sum += bp;
        }
        if (shapeName != null && bp != null) {
          shares.add(new Split.Share(shapeName, bp));
        }
      }
      if (sum > Split.BUCKETS) {
        v.report(toPath, "weights add up to " + Split.formatWeight(sum) + "; at most 100%");
      }
    }
    if (v.problems().size() != problems || by == null) {
      return null;
    }
    return new Split(by, stickyName, shares);
  }

  /** Basis points of a weight such as {@code 5%} or {@code 0.25%}, or null after reporting. */
  private Integer weight(Object value, String path) {
    if (!(value instanceof String s)) {
      v.report(path, WEIGHT_TEXT);
      return null;
    }
    Matcher m = WEIGHT.matcher(s.trim());
    if (!m.matches()) {
      v.report(path, WEIGHT_TEXT);
      return null;
    }
    int whole = Integer.parseInt(m.group(1));
    String frac = m.group(2) == null ? "0" : m.group(2);
    int bp = whole * 100 + Integer.parseInt(frac.length() == 1 ? frac + "0" : frac);
    if (bp > Split.BUCKETS) {
      v.report(path, WEIGHT_TEXT);
      return null;
    }
    return bp;
  }
}
