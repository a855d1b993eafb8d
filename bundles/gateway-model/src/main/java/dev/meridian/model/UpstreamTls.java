package dev.meridian.model;

import java.util.Objects;

/**
 * How the gateway speaks TLS to an {@code https} upstream beyond the defaults (the JDK's trust
 * store, hostname verification on). Each value is PEM text or the absolute path of a PEM file
 * read on each node (a path, or a {@code ${secret:NAME}} reference, keeps a client key out of
 * revision files); {@code ""} when not set.
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

  /** Whether nothing is set. */
  public boolean isNone() {
    return ca.isEmpty() && cert.isEmpty();
  }
}
