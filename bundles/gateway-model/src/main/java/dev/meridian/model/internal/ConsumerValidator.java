package dev.meridian.model.internal;

import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.ConsumerKey;
import dev.meridian.model.Problem;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Checks one consumer document (CONTRACT §8) and collects every problem with its path. Not
 * thread-safe: one instance per parse, sharing the problem list of the whole set.
 */
public final class ConsumerValidator {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  private static final Pattern HASH = Pattern.compile("sha256:[0-9a-fA-F]{64}");
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{secret:[A-Za-z0-9._-]{1,128}}");
  private static final Set<String> FIELDS = Set.of("kind", "id", "groups", "keys");
  private static final Set<String> KEY_FIELDS = Set.of("id", "secret", "hash", "expiresAt");
  /** A plain key shorter than this is guessable; a generated one is much longer. */
  static final int MIN_SECRET = 16;
  static final int MAX_SECRET = 1024;
  static final int MAX_KEYS = 64;

  private final List<Problem> problems;

  /** @param problems where every problem found is added */
  public ConsumerValidator(List<Problem> problems) {
    this.problems = problems;
  }

  /** The consumer under {@code path}, or empty when it has a problem. */
  public Optional<ConsumerDefinition> consumer(Map<?, ?> doc, String path) {
    int before = problems.size();
    for (Object key : doc.keySet()) {
      if (!FIELDS.contains(String.valueOf(key))) {
        report(Paths.field(path, String.valueOf(key)),
            "unknown field (a consumer has kind, id, groups and keys)");
      }
    }
    if (doc.containsKey("kind") && !ConsumerDefinition.KIND.equals(doc.get("kind"))) {
      report(Paths.field(path, "kind"), "expected consumer");
    }
    String id = name(doc.get("id"), Paths.field(path, "id"), true);
    Set<String> groups = new TreeSet<>();
    String groupsPath = Paths.field(path, "groups");
    if (doc.get("groups") instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        String g = name(list.get(i), Paths.index(groupsPath, i), true);
        if (g != null && !groups.add(g)) {
          report(Paths.index(groupsPath, i), "duplicate group '" + g + "'");
        }
      }
    } else if (doc.containsKey("groups")) {
      report(groupsPath, "expected a list of group names");
    }
    List<ConsumerKey> keys = new ArrayList<>();
    String keysPath = Paths.field(path, "keys");
    if (doc.get("keys") instanceof List<?> list) {
      if (list.size() > MAX_KEYS) {
        report(keysPath, "at most " + MAX_KEYS + " keys per consumer");
      }
      Set<String> ids = new HashSet<>();
      Set<String> hashes = new HashSet<>();
      for (int i = 0; i < list.size(); i++) {
        String at = Paths.index(keysPath, i);
        if (!(list.get(i) instanceof Map<?, ?> k)) {
          report(at, "expected a key object {id, secret | hash, expiresAt}");
          continue;
        }
        key(k, at).ifPresent(key -> {
          if (!ids.add(key.id())) {
            report(Paths.field(at, "id"), "duplicate key id '" + key.id() + "'");
          } else if (key.hash().isPresent() && !hashes.add(key.hash().get())) {
            report(Paths.field(at, "hash"), "the same key twice");
          } else {
            keys.add(key);
          }
        });
      }
    } else if (doc.containsKey("keys")) {
      report(keysPath, "expected a list of keys");
    }
    return problems.size() == before ? Optional.of(new ConsumerDefinition(id, groups, keys))
        : Optional.empty();
  }

  private Optional<ConsumerKey> key(Map<?, ?> k, String path) {
    int before = problems.size();
    for (Object field : k.keySet()) {
      if (!KEY_FIELDS.contains(String.valueOf(field))) {
        report(Paths.field(path, String.valueOf(field)),
            "unknown field (a key has id, secret or hash, and expiresAt)");
      }
    }
    String id = name(k.get("id"), Paths.field(path, "id"), true);
    Optional<String> hash = Optional.empty();
    Optional<String> secret = Optional.empty();
    if (k.containsKey("secret") == k.containsKey("hash")) {
      report(path, "give exactly one of secret (the key, or ${secret:NAME}) and hash (sha256:<hex>)");
    } else if (k.containsKey("hash")) {
      if (k.get("hash") instanceof String h && HASH.matcher(h).matches()) {
        hash = Optional.of(h.toLowerCase(Locale.ROOT));
      } else {
        report(Paths.field(path, "hash"), "expected sha256: and 64 hex digits (the SHA-256 of the key)");
      }
    } else if (k.get("secret") instanceof String s) {
      if (s.contains("${secret:") && !REFERENCE.matcher(s).matches()) {
        report(Paths.field(path, "secret"), "expected the key itself or one whole ${secret:NAME} reference");
      } else if (!REFERENCE.matcher(s).matches() && (s.length() < MIN_SECRET || s.length() > MAX_SECRET)) {
        report(Paths.field(path, "secret"), "a key has " + MIN_SECRET + " to " + MAX_SECRET
            + " characters (" + s.length() + " given)");
      } else if (!printable(s)) {
        report(Paths.field(path, "secret"), "a key has printable ASCII characters only (it travels in a header)");
      } else {
        secret = Optional.of(s);
      }
    } else {
      report(Paths.field(path, "secret"), "expected a string");
    }
    Optional<Instant> expiresAt = Optional.empty();
    if (k.containsKey("expiresAt")) {
      expiresAt = instant(k.get("expiresAt"), Paths.field(path, "expiresAt"));
    }
    if (problems.size() != before) {
      return Optional.empty();
    }
    return Optional.of(new ConsumerKey(id, hash, secret, expiresAt));
  }

  private Optional<Instant> instant(Object value, String path) {
    if (value instanceof String s) {
      try {
        return Optional.of(OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
      } catch (DateTimeParseException e) {
        // fall through
      }
    }
    report(path, "expected an RFC 3339 date-time with an offset, e.g. 2027-01-31T00:00:00Z");
    return Optional.empty();
  }

  private static boolean printable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private String name(Object value, String path, boolean required) {
    if (value == null) {
      if (required) {
        report(path, "is required");
      }
      return null;
    }
    if (value instanceof String s && NAME.matcher(s).matches()) {
      return s;
    }
    report(path, "must match [a-z0-9][a-z0-9-]{0,63}");
    return null;
  }

  private void report(String path, String message) {
    problems.add(new Problem(path, message));
  }
}
