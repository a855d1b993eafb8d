package dev.meridian.model;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where an API's requests go.
 *
 * @param url the canonical upstream URL: lower-case scheme and host, no default port, no
 *     trailing slash
 * @param scheme {@code http} or {@code https}
 * @param host the host name or address ({@code [..]} for IPv6)
 * @param port the explicit port, or 80/443 by scheme
 * @param path the URL's raw path without trailing slash, {@code ""} for the root
 * @param timeout until the upstream's response headers (default 30s)
 * @param maxConnections connection pool size per node (default 256)
 * @param warm connections opened ahead of traffic (default 0, at most {@code maxConnections})
 * @param tls trust and client certificate for an {@code https} upstream ({@link UpstreamTls#NONE}
 *     when not set; always NONE for {@code http})
 */
public record Upstream(
    URI url,
    String scheme,
    String host,
    int port,
    String path,
    Duration timeout,
    int maxConnections,
    int warm,
    UpstreamTls tls) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_CONNECTIONS = 256;
  public static final int DEFAULT_WARM = 0;

  public Upstream {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(tls, "tls");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (path.endsWith("/")) {
      throw new IllegalArgumentException("path must not end with /: " + path);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    if (maxConnections < 1 || warm < 0 || warm > maxConnections) {
      throw new IllegalArgumentException(
          "pool out of range: maxConnections=" + maxConnections + ", warm=" + warm);
    }
  }

  /** An upstream without TLS settings. */
  public Upstream(URI url, String scheme, String host, int port, String path, Duration timeout,
      int maxConnections, int warm) {
    this(url, scheme, host, port, path, timeout, maxConnections, warm, UpstreamTls.NONE);
  }

  /** Port 80 for http, 443 otherwise. */
  public boolean defaultPort() {
    return port == ("http".equals(scheme) ? 80 : 443);
  }
}
