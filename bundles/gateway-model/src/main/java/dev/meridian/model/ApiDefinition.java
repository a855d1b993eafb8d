package dev.meridian.model;

import dev.meridian.model.internal.Methods;
import dev.meridian.model.internal.Values;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One API, as validated from a YAML or JSON definition (CONTRACT §3).
 *
 * @param id {@code [a-z0-9][a-z0-9-]{0,63}}
 * @param basePath {@code /}-rooted, matched by whole segments
 * @param methods upper-case, in the order GET HEAD POST PUT DELETE PATCH OPTIONS TRACE CONNECT;
 *     empty means all
 * @param upstream where requests go
 * @param policies request phase in this order, response phase in reverse
 * @param cache the validated cache block (CONTRACT §6), durations in short form; empty when
 *     the API has no cache
 * @param split the traffic split ({@link Split#NONE} when none)
 * @param shapes the other shapes by name, sorted; every shape of {@code split} is one
 */
public record ApiDefinition(
    String id,
    String basePath,
    Set<String> methods,
    Upstream upstream,
    List<PolicySpec> policies,
    Map<String, Object> cache,
    Split split,
    Map<String, Shape> shapes) {

  public ApiDefinition {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(basePath, "basePath");
    Objects.requireNonNull(upstream, "upstream");
    methods = Methods.canonical(methods);
    policies = List.copyOf(policies);
    cache = Values.immutableObject(cache);
    Objects.requireNonNull(split, "split");
    shapes = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(shapes));
    for (Split.Share share : split.to()) {
      if (!shapes.containsKey(share.shape())) {
        throw new IllegalArgumentException("split names an unknown shape: " + share.shape());
      }
    }
  }

  /** An API without split or shapes. */
  public ApiDefinition(String id, String basePath, Set<String> methods, Upstream upstream, List<PolicySpec> policies,
      Map<String, Object> cache) {
    this(id, basePath, methods, upstream, policies, cache, Split.NONE, Map.of());
  }

  /** Whether this API serves {@code method} (any case). */
  public boolean allowsMethod(String method) {
    return methods.isEmpty() || methods.contains(method.toUpperCase(Locale.ROOT));
  }

  /**
   * The canonical JSON tree of this definition: fresh, mutable {@link LinkedHashMap}s and
   * {@link ArrayList}s of String, Long, Double and Boolean, fields in the order id, basePath,
   * methods (if any), upstream ({@link Upstream#toTree}), policies (if any),
   * cache (if any), split and shapes (if any, see {@link Split}). Defaults are written out and durations are in short form, so two
   * definitions that mean the same thing give equal trees. {@link
   * DefinitionParser#fromTree(Object)} reads it back.
   */
  public Map<String, Object> toTree() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("id", id);
    tree.put("basePath", basePath);
    if (!methods.isEmpty()) {
      tree.put("methods", new ArrayList<>(methods));
    }
    tree.put("upstream", upstream.toTree());
    if (!policies.isEmpty()) {
      List<Object> list = new ArrayList<>();
      for (PolicySpec policy : policies) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("type", policy.type());
        entry.putAll(Values.mutableObject(policy.config()));
        list.add(entry);
      }
      tree.put("policies", list);
    }
    if (!cache.isEmpty()) {
      tree.put("cache", Values.mutableObject(cache));
    }
    SplitTrees.put(this, tree);
    return tree;
  }
}
