package dev.meridian.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Several targets behind one upstream (CONTRACT §8 "Upstream targets"): how a request picks one,
 * how targets are checked, retried and broken. {@link #NONE} for an upstream with a single
 * {@code url}. Immutable; a final class rather than a record so that its hash is computed once
 * (an {@link Upstream} is a connection-pool key hashed per request on the single-url path, and
 * {@code NONE} is part of every such key).
 */
public final class UpstreamTargets {

  /** No targets: the upstream's own {@code url} is called (the path as before targets existed). */
  public static final UpstreamTargets NONE =
      new UpstreamTargets(List.of(), Balance.ROUND_ROBIN, HealthCheck.NONE, Retries.NONE, CircuitBreaker.NONE);

  private final List<Target> targets;
  private final Balance balance;
  private final HealthCheck healthCheck;
  private final Retries retries;
  private final CircuitBreaker circuitBreaker;
  private final int hash;

  /**
   * @param targets each target's upstream (its own url; the timeout, pool and tls of the
   *     {@code upstream} block) and weight, in the definition's order; no two with the same URL
   */
  public UpstreamTargets(List<Target> targets, Balance balance, HealthCheck healthCheck, Retries retries,
      CircuitBreaker circuitBreaker) {
    this.targets = List.copyOf(targets);
    this.balance = Objects.requireNonNull(balance, "balance");
    this.healthCheck = Objects.requireNonNull(healthCheck, "healthCheck");
    this.retries = Objects.requireNonNull(retries, "retries");
    this.circuitBreaker = Objects.requireNonNull(circuitBreaker, "circuitBreaker");
    this.hash = Objects.hash(this.targets, balance, healthCheck, retries, circuitBreaker);
  }

  public List<Target> targets() {
    return targets;
  }

  public boolean isNone() {
    return targets.isEmpty();
  }

  public Balance balance() {
    return balance;
  }

  public HealthCheck healthCheck() {
    return healthCheck;
  }

  public Retries retries() {
    return retries;
  }

  public CircuitBreaker circuitBreaker() {
    return circuitBreaker;
  }

  /** The same settings with {@code resolved} targets (one per target, same order). */
  public UpstreamTargets withTargets(List<Target> resolved) {
    return new UpstreamTargets(resolved, balance, healthCheck, retries, circuitBreaker);
  }

  @Override
  public boolean equals(Object o) {
    return o == this || o instanceof UpstreamTargets t && hash == t.hash && targets.equals(t.targets)
        && balance.equals(t.balance) && healthCheck.equals(t.healthCheck) && retries.equals(t.retries)
        && circuitBreaker.equals(t.circuitBreaker);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return isNone() ? "UpstreamTargets[none]" : "UpstreamTargets[" + targets + ", " + balance + ", " + healthCheck
        + ", " + retries + ", " + circuitBreaker + "]";
  }

  /** The canonical tree of the fields beside {@code targets}: balance, healthCheck, retries, circuitBreaker (if set). */
  void writeSettings(Map<String, Object> up) {
    up.put("balance", balance.toString());
    if (healthCheck.enabled()) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("path", healthCheck.path());
      h.put("interval", Durations.format(healthCheck.interval()));
      h.put("unhealthyAfter", (long) healthCheck.unhealthyAfter());
      h.put("healthyAfter", (long) healthCheck.healthyAfter());
      up.put("healthCheck", h);
    }
    if (retries.enabled()) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("attempts", (long) retries.attempts());
      List<Object> on = new ArrayList<>();
      if (retries.connectFailure()) {
        on.add("connect-failure");
      }
      if (retries.timeout()) {
        on.add("timeout");
      }
      for (int status : retries.statuses()) {
        on.add((long) status);
      }
      r.put("on", on);
      r.put("budget", retries.budgetPercent() + "%");
      up.put("retries", r);
    }
    if (circuitBreaker.enabled()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("failureRatio", circuitBreaker.failureRatioPercent() + "%");
      c.put("window", Durations.format(circuitBreaker.window()));
      c.put("openFor", Durations.format(circuitBreaker.openFor()));
      c.put("minRequests", (long) circuitBreaker.minRequests());
      up.put("circuitBreaker", c);
    }
  }

  /** One target: its upstream (never itself with targets) and its weight (1..1000). */
  public record Target(Upstream upstream, int weight) {
    public Target {
      Objects.requireNonNull(upstream, "upstream");
      if (!upstream.targets().isNone()) {
        throw new IllegalArgumentException("a target has no targets of its own");
      }
      if (weight < 1 || weight > MAX_WEIGHT) {
        throw new IllegalArgumentException("weight out of range: " + weight);
      }
    }
  }

  public static final int MAX_WEIGHT = 1000;

  /** How a request picks a target. */
  public record Balance(Kind kind, String hashBy) {
    public static final Balance ROUND_ROBIN = new Balance(Kind.ROUND_ROBIN, "");
    public static final Balance LEAST_REQUESTS = new Balance(Kind.LEAST_REQUESTS, "");

    /** Round-robin: smooth weighted (nginx); least-requests: power of two choices; hash: a consistent ring. */
    public enum Kind { ROUND_ROBIN, LEAST_REQUESTS, HASH }

    public Balance {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(hashBy, "hashBy");
      if ((kind == Kind.HASH) == hashBy.isEmpty()) {
        throw new IllegalArgumentException("hashBy is set for hash balancing only");
      }
    }

    /** {@code consumer}, {@code ip} or {@code header:<Name>} (hash only). */
    @Override
    public String hashBy() {
      return hashBy;
    }

    /** As written in a definition: {@code round-robin}, {@code least-requests}, {@code hash:<by>}. */
    @Override
    public String toString() {
      return switch (kind) {
        case ROUND_ROBIN -> "round-robin";
        case LEAST_REQUESTS -> "least-requests";
        case HASH -> "hash:" + hashBy;
      };
    }
  }

  /**
   * Active health checks: {@code GET path} to every target every {@code interval} from every node.
   * {@link #NONE} (path "") when not set.
   */
  public record HealthCheck(String path, Duration interval, int unhealthyAfter, int healthyAfter) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final int DEFAULT_THRESHOLD = 2;
    public static final HealthCheck NONE = new HealthCheck("", DEFAULT_INTERVAL, DEFAULT_THRESHOLD, DEFAULT_THRESHOLD);

    public HealthCheck {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(interval, "interval");
      if (unhealthyAfter < 1 || healthyAfter < 1) {
        throw new IllegalArgumentException("thresholds must be at least 1");
      }
    }

    public boolean enabled() {
      return !path.isEmpty();
    }
  }

  /**
   * Retries of idempotent requests: up to {@code attempts} more tries (to another target when
   * there is one) after a connect failure, a timeout ({@code timeout} in {@code on}) or one of
   * {@code statuses}; at most {@code budgetPercent} of the recent requests are retries.
   * {@link #NONE} (0 attempts) when not set.
   */
  public record Retries(int attempts, boolean connectFailure, boolean timeout, Set<Integer> statuses,
      int budgetPercent) {
    public static final int DEFAULT_BUDGET = 20;
    public static final Retries NONE = new Retries(0, false, false, Set.of(), DEFAULT_BUDGET);

    public Retries {
      statuses = java.util.Collections.unmodifiableSet(new TreeSet<>(statuses));
      if (attempts < 0 || budgetPercent < 0 || budgetPercent > 100) {
        throw new IllegalArgumentException("retries out of range");
      }
    }

    public boolean enabled() {
      return attempts > 0;
    }
  }

  /**
   * A breaker per target: open once at least {@code minRequests} requests were counted over
   * {@code window} and {@code failureRatioPercent} of them failed; half-open after
   * {@code openFor}. {@link #NONE} (ratio 0) when not set.
   */
  public record CircuitBreaker(int failureRatioPercent, Duration window, Duration openFor, int minRequests) {
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
    public static final Duration DEFAULT_OPEN_FOR = Duration.ofSeconds(5);
    public static final int DEFAULT_MIN_REQUESTS = 10;
    public static final CircuitBreaker NONE = new CircuitBreaker(0, DEFAULT_WINDOW, DEFAULT_OPEN_FOR, DEFAULT_MIN_REQUESTS);

    public CircuitBreaker {
      Objects.requireNonNull(window, "window");
      Objects.requireNonNull(openFor, "openFor");
      if (failureRatioPercent < 0 || failureRatioPercent > 100 || minRequests < 1) {
        throw new IllegalArgumentException("circuit breaker out of range");
      }
    }

    public boolean enabled() {
      return failureRatioPercent > 0;
    }
  }
}
