package dev.meridian.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * How the gateway speaks TLS to an {@code https} upstream beyond the defaults (the JDK's trust
 * store, hostname verification on). In a definition each value is PEM text, the absolute path of
 * a PEM file, or {@code ${secret:NAME}} (the whole value: the secret file holds the PEM); a path
 * or a reference keeps a client key out of revision files. The engine reads paths and secrets on
 * each node at every compile (every apply, every secrets reload) into an {@code UpstreamTls} of
 * PEM text, the one the data plane uses: equal material, equal records, same connection pool.
 * {@code ""} when not set.
 *
 * @param ca certificates trusted in addition to the JDK's (a private CA)
 * @param cert the client certificate chain for mutual TLS
 * @param key the client certificate's private key (unencrypted)
 */
public record UpstreamTls(String ca, String cert, String key) {

  /** No TLS settings: the JDK trust store, no client certificate. */
  public static final UpstreamTls NONE = new UpstreamTls("", "", "");

  public UpstreamTls {
    Objects.requireNonNull(ca, "ca");
    Objects.requireNonNull(cert, "cert");
    Objects.requireNonNull(key, "key");
    if (cert.isEmpty() != key.isEmpty()) {
      throw new IllegalArgumentException("tls.cert and tls.key go together");
    }
  }

  /** Whether {@code value} is a reference to a secret (the whole value). */
  public static boolean isReference(String value) {
    return value.startsWith("${secret:");
  }

  /** Whether {@code value} is PEM text (rather than a path or a reference). */
  public static boolean isPem(String value) {
    return value.contains("-----BEGIN ");
  }

  /**
   * Paths and references as they are, PEM text as its length and the start of its SHA-256: a
   * resolved setting holds a client key.
   */
  @Override
  public String toString() {
    return "UpstreamTls[ca=" + shown(ca) + ", cert=" + shown(cert) + ", key=" + shown(key) + "]";
  }

  private static String shown(String value) {
    if (!isPem(value)) {
      return value;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(value.getBytes(StandardCharsets.UTF_8));
      return "pem(" + value.length() + " chars, sha256:" + HexFormat.of().formatHex(digest, 0, 6) + ")";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is in every JDK", e);
    }
  }

  /** Whether nothing is set. */
  public boolean isNone() {
    return ca.isEmpty() && cert.isEmpty();
  }
}
