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
 * @param template the URL as written when it holds {@code ${secret:NAME}} references, else
 *     {@code ""}. A definition with a template has a stand-in {@code url} (host and path segments
 *     {@code secret.invalid}, never connected to); the engine {@linkplain #resolved resolves} it on
 *     each node into the upstream it calls, which keeps the template so that what it shows (its
 *     {@link #shown} form, {@link #toString}) never holds a value
 * @param targets several targets with weights, balancing, health checks, retries and a breaker
 *     (CONTRACT §8), or {@link UpstreamTargets#NONE} for a single {@code url}. With targets,
 *     {@code url} and the fields derived from it are the first target's (what a message shows
 *     first); each target is an {@code Upstream} of its own with this one's timeout, pool and tls
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
    UpstreamTls tls,
    String template,
    UpstreamTargets targets) {

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
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(targets, "targets");
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

  /** An upstream with a single url (no targets). */
  public Upstream(URI url, String scheme, String host, int port, String path, Duration timeout,
      int maxConnections, int warm, UpstreamTls tls, String template) {
    this(url, scheme, host, port, path, timeout, maxConnections, warm, tls, template, UpstreamTargets.NONE);
  }

  /**
   * An upstream of several targets: its url is the first target's (each target an upstream of its
   * own, with the same timeout, pool and tls).
   */
  public static Upstream ofTargets(UpstreamTargets targets) {
    if (targets.isNone()) {
      throw new IllegalArgumentException("no targets");
    }
    Upstream first = targets.targets().get(0).upstream();
    return new Upstream(first.url, first.scheme, first.host, first.port, first.path, first.timeout,
        first.maxConnections, first.warm, first.tls, first.template, targets);
  }

  /** Whether this upstream has several {@link #targets} (else its {@code url} is called). */
  public boolean hasTargets() {
    return !targets.isNone();
  }

  /** An upstream whose URL holds no secret. */
  public Upstream(URI url, String scheme, String host, int port, String path, Duration timeout,
      int maxConnections, int warm, UpstreamTls tls) {
    this(url, scheme, host, port, path, timeout, maxConnections, warm, tls, "");
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

  /** The URL as the definition has it: the template with its references, else the canonical URL. */
  public String shown() {
    return template.isEmpty() ? url.toString() : template;
  }

  /**
   * The canonical JSON tree of this {@code upstream} block: {@code url} or {@code targets
   * [{url, weight}]}, {@code balance}, {@code healthCheck}, {@code retries},
   * {@code circuitBreaker} (those set), then {@code timeout}, {@code pool {maxConnections, warm}},
   * {@code tls} (if any); defaults written out, durations in short form. Fresh mutable maps and
   * lists (see {@link ApiDefinition#toTree}).
   */
  public java.util.Map<String, Object> toTree() {
    java.util.Map<String, Object> up = new java.util.LinkedHashMap<>();
    if (targets.isNone()) {
      up.put("url", shown());
    } else {
      java.util.List<Object> list = new java.util.ArrayList<>();
      for (UpstreamTargets.Target t : targets.targets()) {
        java.util.Map<String, Object> entry = new java.util.LinkedHashMap<>();
        entry.put("url", t.upstream().shown());
        entry.put("weight", (long) t.weight());
        list.add(entry);
      }
      up.put("targets", list);
      targets.writeSettings(up);
    }
    java.util.Map<String, Object> pool = new java.util.LinkedHashMap<>();
    pool.put("maxConnections", (long) maxConnections);
    pool.put("warm", (long) warm);
    up.put("timeout", Durations.format(timeout));
    up.put("pool", pool);
    if (!tls.isNone()) {
      java.util.Map<String, Object> t = new java.util.LinkedHashMap<>();
      if (!tls.ca().isEmpty()) {
        t.put("ca", tls.ca());
      }
      if (!tls.cert().isEmpty()) {
        t.put("cert", tls.cert());
        t.put("key", tls.key());
      }
      up.put("tls", t);
    }
    return up;
  }

  /**
   * This upstream with its URL resolved to {@code url} (this one's template with each reference
   * replaced by its value) and its TLS material read ({@code tls}: PEM text); timeout, pool and
   * template kept.
   *
   * @throws IllegalArgumentException what is wrong with {@code url}, never quoting it
   */
  public Upstream resolved(String url, UpstreamTls tls) {
    UpstreamUrl u = UpstreamUrl.parse(url);
    if (!u.scheme().equals(scheme)) {
      throw new IllegalArgumentException("resolves to another scheme");
    }
    return new Upstream(u.uri(), u.scheme(), u.host(), u.port(), u.path(), timeout, maxConnections, warm, tls,
        template, targets);
  }

  /**
   * The {@link #shown} URL and the settings, never a resolved value: a resolved upstream holds a
   * secret's value in its URL and PEM text in {@code tls}.
   */
  @Override
  public String toString() {
    return "Upstream[" + shown() + ", timeout=" + timeout + ", maxConnections=" + maxConnections + ", warm=" + warm
        + ", tls=" + tls + (targets.isNone() ? "" : ", " + targets) + "]";
  }
}
