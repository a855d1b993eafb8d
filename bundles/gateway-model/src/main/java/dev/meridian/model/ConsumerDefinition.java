package dev.meridian.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * One consumer, as applied with {@code kind: consumer} or {@code PUT /api/v1/consumers/{id}}
 * (CONTRACT §8): who calls, in which groups, with which keys. Immutable.
 *
 * @param id {@code [a-z0-9][a-z0-9-]{0,63}}
 * @param groups {@code [a-z0-9][a-z0-9-]{0,63}} each, sorted
 * @param keys its API keys in the order given; ids unique
 */
public record ConsumerDefinition(String id, Set<String> groups, List<ConsumerKey> keys) {

  /** The {@code kind} of a consumer document. */
  public static final String KIND = "consumer";

  public ConsumerDefinition {
    Objects.requireNonNull(id, "id");
    groups = java.util.Collections.unmodifiableSet(new TreeSet<>(groups));
    keys = List.copyOf(keys);
  }

  /** Whether every key carries its hash only (what may be stored). */
  public boolean isHashed() {
    return keys.stream().allMatch(ConsumerKey::isHashed);
  }

  /** This consumer with each key that carries a secret replaced by {@code hashing} (keys already hashed kept). */
  public ConsumerDefinition withKeys(UnaryOperator<ConsumerKey> hashing) {
    return new ConsumerDefinition(id, groups, keys.stream()
        .map(k -> k.isHashed() ? k : hashing.apply(k)).toList());
  }

  /**
   * The stored form: {@code kind}, {@code id}, {@code groups}, {@code keys} with their hashes;
   * equal trees mean equal consumers. {@link DefinitionParser#consumerFromTree} reads it back.
   *
   * @throws IllegalStateException when a key still carries its secret
   */
  public Map<String, Object> toTree() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("kind", KIND);
    tree.put("id", id);
    tree.put("groups", new ArrayList<>(groups));
    List<Object> list = new ArrayList<>();
    keys.forEach(k -> list.add(k.toTree()));
    tree.put("keys", list);
    return tree;
  }

  /** What the admin API shows: the stored form without any hash. */
  public Map<String, Object> toShown() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("kind", KIND);
    tree.put("id", id);
    tree.put("groups", new ArrayList<>(groups));
    List<Object> list = new ArrayList<>();
    keys.forEach(k -> list.add(k.toShown()));
    tree.put("keys", list);
    return tree;
  }
}
