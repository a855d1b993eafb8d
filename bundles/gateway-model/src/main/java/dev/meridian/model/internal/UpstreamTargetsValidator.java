package dev.meridian.model.internal;

import dev.meridian.model.Upstream;
import dev.meridian.model.UpstreamTargets;
import dev.meridian.model.UpstreamTargets.Balance;
import dev.meridian.model.UpstreamTargets.CircuitBreaker;
import dev.meridian.model.UpstreamTargets.HealthCheck;
import dev.meridian.model.UpstreamTargets.Retries;
import dev.meridian.model.UpstreamTargets.Target;
import dev.meridian.model.UpstreamTls;
import dev.meridian.model.UpstreamUrl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code upstream.targets} block and its settings (CONTRACT §8): {@code targets},
 * {@code balance}, {@code healthCheck}, {@code retries}, {@code circuitBreaker}. Reports through
 * the {@link DefinitionValidator} it belongs to, with the field's path. One instance per upstream
 * block.
 */
final class UpstreamTargetsValidator {

  static final int MAX_TARGETS = 64;
  private static final Set<String> TARGET_FIELDS = Set.of("url", "weight");
  private static final Set<String> HEALTH_FIELDS = Set.of("path", "interval", "unhealthyAfter", "healthyAfter");
  private static final Set<String> RETRY_FIELDS = Set.of("attempts", "on", "budget");
  private static final Set<String> BREAKER_FIELDS = Set.of("failureRatio", "window", "openFor", "minRequests");
  private static final List<String> SETTINGS = List.of("balance", "healthCheck", "retries", "circuitBreaker");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern PERCENT = Pattern.compile("([0-9]{1,3})%");
  private static final Pattern HEALTH_PATH = Pattern.compile("/[A-Za-z0-9\\-._~!$&'()*+,;=:@/%?]*");
  private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
  private static final Duration MAX_INTERVAL = Duration.ofMinutes(5);
  private static final Duration MAX_BREAKER = Duration.ofMinutes(10);

  private final DefinitionValidator v;

  UpstreamTargetsValidator(DefinitionValidator v) {
    this.v = v;
  }

  /** An upstream with a {@code url}: the target settings have nothing to act on. */
  void onlyWithTargets(Map<?, ?> map, String path) {
    for (String field : SETTINGS) {
      if (map.containsKey(field)) {
        v.report(Paths.field(path, field), "only with upstream.targets (a single url has nothing to balance)");
      }
    }
  }

  /**
   * The targets (each with the default timeout and pool and no tls: {@link #withSettings} gives
   * them the block's) and their settings; null after a problem.
   *
   * @param tlsSet whether the block has {@code tls}: then every target must be {@code https}
   */
  UpstreamTargets targets(Map<?, ?> map, String path, boolean tlsSet) {
    int before = v.problems().size();
    List<Target> targets = targetList(map.get("targets"), Paths.field(path, "targets"), tlsSet);
    Balance balance = balance(DefinitionValidator.optional(map, "balance"), Paths.field(path, "balance"));
    HealthCheck health = healthCheck(DefinitionValidator.optional(map, "healthCheck"), Paths.field(path, "healthCheck"));
    Retries retries = retries(DefinitionValidator.optional(map, "retries"), Paths.field(path, "retries"));
    CircuitBreaker breaker = breaker(DefinitionValidator.optional(map, "circuitBreaker"),
        Paths.field(path, "circuitBreaker"));
    if (v.problems().size() != before || targets == null || balance == null || health == null
        || retries == null || breaker == null) {
      return null;
    }
    return new UpstreamTargets(targets, balance, health, retries, breaker);
  }

  /** {@code targets} each with the block's timeout, pool and tls. */
  List<Target> withSettings(List<Target> targets, Duration timeout, int maxConnections, int warm, UpstreamTls tls) {
    List<Target> out = new ArrayList<>(targets.size());
    for (Target t : targets) {
      Upstream u = t.upstream();
      out.add(new Target(new Upstream(u.url(), u.scheme(), u.host(), u.port(), u.path(), timeout, maxConnections,
          warm, tls, u.template()), t.weight()));
    }
    return out;
  }

  private List<Target> targetList(Object value, String path, boolean tlsSet) {
    List<?> list = v.list(value, path);
    if (list == null) {
      return null;
    }
    if (list.isEmpty() || list.size() > MAX_TARGETS) {
      v.report(path, "must hold 1 to " + MAX_TARGETS + " targets");
      return null;
    }
    int before = v.problems().size();
    List<Target> targets = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      String itemPath = Paths.index(path, i);
      Map<?, ?> entry = v.object(list.get(i), itemPath);
      if (entry == null) {
        continue;
      }
      v.unknownFields(entry, TARGET_FIELDS, itemPath);
      String urlPath = Paths.field(itemPath, "url");
      String url = v.string(v.required(entry, "url", urlPath), urlPath);
      Long weight = v.integer(entry, "weight", itemPath, 1, UpstreamTargets.MAX_WEIGHT);
      if (url == null) {
        continue;
      }
      DefinitionValidator.Target t = v.target(url, urlPath);
      if (t == null) {
        continue;
      }
      UpstreamUrl u = t.url();
      if (tlsSet && !u.scheme().equals("https")) {
        v.report(urlPath, "must be https with upstream.tls (tls is for https targets)");
        continue;
      }
      String key = t.template().isEmpty() ? u.uri().toString() : t.template();
      Integer first = seen.putIfAbsent(key, i);
      if (first != null) {
        v.report(urlPath, "the same URL as " + Paths.index(path, first) + "; give one target a higher weight instead");
        continue;
      }
      int w = weight == null ? 1 : weight.intValue();
      targets.add(new Target(new Upstream(u.uri(), u.scheme(), u.host(), u.port(), u.path(), Upstream.DEFAULT_TIMEOUT,
          Upstream.DEFAULT_MAX_CONNECTIONS, Upstream.DEFAULT_WARM, UpstreamTls.NONE, t.template()), w));
    }
    return v.problems().size() == before ? targets : null;
  }

  private Balance balance(Object value, String path) {
    if (value == DefinitionValidator.ABSENT) {
      return Balance.ROUND_ROBIN;
    }
    String s = v.string(value, path);
    if (s == null) {
      return null;
    }
    switch (s) {
      case "round-robin":
        return Balance.ROUND_ROBIN;
      case "least-requests":
        return Balance.LEAST_REQUESTS;
      case "hash:consumer", "hash:ip":
        return new Balance(Balance.Kind.HASH, s.substring("hash:".length()));
      default:
        break;
    }
    if (s.startsWith("hash:header:") && TOKEN.matcher(s.substring("hash:header:".length())).matches()) {
      return new Balance(Balance.Kind.HASH, s.substring("hash:".length()));
    }
    v.report(path, "expected round-robin, least-requests, hash:consumer, hash:ip or hash:header:<Name>");
    return null;
  }

  private HealthCheck healthCheck(Object value, String path) {
    if (value == DefinitionValidator.ABSENT) {
      return HealthCheck.NONE;
    }
    Map<?, ?> map = v.object(value, path);
    if (map == null) {
      return null;
    }
    int before = v.problems().size();
    v.unknownFields(map, HEALTH_FIELDS, path);
    String pathPath = Paths.field(path, "path");
    String probe = v.string(v.required(map, "path", pathPath), pathPath);
    if (probe != null && !HEALTH_PATH.matcher(probe).matches()) {
      v.report(pathPath, "expected a path starting with / (URL characters only, percent-encode others)");
    }
    Duration interval = duration(map, "interval", path, HealthCheck.DEFAULT_INTERVAL, MIN_INTERVAL, MAX_INTERVAL);
    Long unhealthy = v.integer(map, "unhealthyAfter", path, 1, 100);
    Long healthy = v.integer(map, "healthyAfter", path, 1, 100);
    if (v.problems().size() != before || probe == null || interval == null) {
      return null;
    }
    return new HealthCheck(probe, interval,
        unhealthy == null ? HealthCheck.DEFAULT_THRESHOLD : unhealthy.intValue(),
        healthy == null ? HealthCheck.DEFAULT_THRESHOLD : healthy.intValue());
  }

  private Retries retries(Object value, String path) {
    if (value == DefinitionValidator.ABSENT) {
      return Retries.NONE;
    }
    Map<?, ?> map = v.object(value, path);
    if (map == null) {
      return null;
    }
    int before = v.problems().size();
    v.unknownFields(map, RETRY_FIELDS, path);
    Long attempts = v.integer(map, "attempts", path, 1, 5);
    boolean connect = true;
    boolean timeout = false;
    Set<Integer> statuses = new LinkedHashSet<>();
    Object on = DefinitionValidator.optional(map, "on");
    if (on != DefinitionValidator.ABSENT) {
      String onPath = Paths.field(path, "on");
      List<?> list = v.list(on, onPath);
      connect = false;
      if (list != null && list.isEmpty()) {
        v.report(onPath, "must not be empty");
      }
      for (int i = 0; list != null && i < list.size(); i++) {
        String itemPath = Paths.index(onPath, i);
        Object item = list.get(i);
        Optional<Long> status = item instanceof String s && s.matches("[0-9]{3}")
            ? Optional.of(Long.parseLong(s)) : Values.integral(item);
        if ("connect-failure".equals(item)) {
          connect = true;
        } else if ("timeout".equals(item)) {
          timeout = true;
        } else if (status.isPresent() && status.get() >= 500 && status.get() <= 599) {
          statuses.add(status.get().intValue());
        } else {
          v.report(itemPath, "expected connect-failure, timeout or a 5xx status such as 503");
        }
      }
    }
    Integer budget = percent(map, "budget", path, Retries.DEFAULT_BUDGET, 0);
    if (v.problems().size() != before || budget == null) {
      return null;
    }
    return new Retries(attempts == null ? 1 : attempts.intValue(), connect, timeout, statuses, budget);
  }

  private CircuitBreaker breaker(Object value, String path) {
    if (value == DefinitionValidator.ABSENT) {
      return CircuitBreaker.NONE;
    }
    Map<?, ?> map = v.object(value, path);
    if (map == null) {
      return null;
    }
    int before = v.problems().size();
    v.unknownFields(map, BREAKER_FIELDS, path);
    Integer ratio = percent(map, "failureRatio", path, 50, 1);
    Duration window = duration(map, "window", path, CircuitBreaker.DEFAULT_WINDOW, MIN_INTERVAL, MAX_BREAKER);
    Duration openFor = duration(map, "openFor", path, CircuitBreaker.DEFAULT_OPEN_FOR, MIN_INTERVAL, MAX_BREAKER);
    Long min = v.integer(map, "minRequests", path, 1, 10_000);
    if (v.problems().size() != before || ratio == null || window == null || openFor == null) {
      return null;
    }
    return new CircuitBreaker(ratio, window, openFor, min == null ? CircuitBreaker.DEFAULT_MIN_REQUESTS : min.intValue());
  }

  /** A share written {@code 20%} (or the number 20) within {@code [min, 100]}; null after a problem. */
  private Integer percent(Map<?, ?> map, String key, String base, int dflt, int min) {
    if (!map.containsKey(key)) {
      return dflt;
    }
    String path = Paths.field(base, key);
    Object value = map.get(key);
    Long n = null;
    if (value instanceof String s) {
      Matcher m = PERCENT.matcher(s.trim());
      if (m.matches()) {
        n = Long.parseLong(m.group(1));
      }
    } else {
      n = Values.integral(value).orElse(null);
    }
    if (n == null) {
      v.report(path, "expected a whole percentage such as 20%");
      return null;
    }
    if (n < min || n > 100) {
      v.report(path, "must be between " + min + "% and 100%");
      return null;
    }
    return n.intValue();
  }

  private Duration duration(Map<?, ?> map, String key, String base, Duration dflt, Duration min, Duration max) {
    if (!map.containsKey(key)) {
      return dflt;
    }
    String path = Paths.field(base, key);
    Duration d = v.duration(map.get(key), path);
    if (d == null) {
      return null;
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      v.report(path, "must be between " + dev.meridian.model.Durations.format(min) + " and "
          + dev.meridian.model.Durations.format(max));
      return null;
    }
    return d;
  }
}
