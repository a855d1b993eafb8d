package dev.meridian.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One API key of a consumer (CONTRACT §8). As applied it carries either the SHA-256 of the key
 * ({@code hash: sha256:<hex>}) or the key itself ({@code secret}: the value or a
 * {@code ${secret:NAME}} reference); the manager {@linkplain #hashed hashes} a secret at apply, so
 * a stored or published key only ever carries its hash. {@link #toString()} never shows the
 * secret.
 *
 * @param id {@code [a-z0-9][a-z0-9-]{0,63}}, unique within its consumer
 * @param hash {@code sha256:} and 64 lower-case hex digits, or empty while the secret is not hashed
 * @param secret the key or a reference to it, empty once hashed
 * @param expiresAt the instant from which the key is refused, or empty for no expiry
 */
public record ConsumerKey(String id, Optional<String> hash, Optional<String> secret,
    Optional<Instant> expiresAt) {

  /** The prefix of a stored hash: the algorithm, so that another one can be added later. */
  public static final String SHA256 = "sha256:";

  public ConsumerKey {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (hash.isPresent() == secret.isPresent()) {
      throw new IllegalArgumentException("key '" + id + "': exactly one of hash and secret");
    }
  }

  /** A key known by its hash ({@code sha256:<hex>}). */
  public static ConsumerKey ofHash(String id, String hash, Optional<Instant> expiresAt) {
    return new ConsumerKey(id, Optional.of(hash), Optional.empty(), expiresAt);
  }

  /** Whether this key carries its hash only (what is stored and published). */
  public boolean isHashed() {
    return hash.isPresent();
  }

  /** This key with {@code value} (the resolved secret) replaced by its hash. */
  public ConsumerKey hashed(String value) {
    return ofHash(id, hashOf(value), expiresAt);
  }

  /** {@code sha256:} and the lower-case hex SHA-256 of the UTF-8 bytes of {@code key}. */
  public static String hashOf(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return SHA256 + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The 32 bytes of the hash. */
  public byte[] digest() {
    return HexFormat.of().parseHex(hash.orElseThrow(() ->
        new IllegalStateException("key '" + id + "' is not hashed")).substring(SHA256.length()));
  }

  /**
   * The stored form: {@code id}, {@code hash}, {@code expiresAt} (if any).
   *
   * @throws IllegalStateException when the key still carries its secret: it must be hashed first
   */
  public Map<String, Object> toTree() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("id", id);
    tree.put("hash", hash.orElseThrow(() ->
        new IllegalStateException("key '" + id + "' is hashed before it is stored")));
    expiresAt.ifPresent(at -> tree.put("expiresAt", at.toString()));
    return tree;
  }

  /** What the admin API shows: {@code id} and {@code expiresAt}, never the hash or the secret. */
  public Map<String, Object> toShown() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("id", id);
    expiresAt.ifPresent(at -> tree.put("expiresAt", at.toString()));
    return tree;
  }

  @Override
  public String toString() {
    return "ConsumerKey[id=" + id + ", " + (isHashed() ? "hashed" : "secret not hashed yet")
        + expiresAt.map(at -> ", expiresAt=" + at).orElse("") + "]";
  }
}
