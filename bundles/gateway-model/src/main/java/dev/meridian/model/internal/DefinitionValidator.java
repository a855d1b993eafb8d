package dev.meridian.model.internal;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.Durations;
import dev.meridian.model.PolicySpec;
import dev.meridian.model.Problem;
import dev.meridian.model.Sizes;
import dev.meridian.model.Upstream;
import dev.meridian.model.UpstreamTargets;
import dev.meridian.model.UpstreamTls;
import dev.meridian.model.UpstreamUrl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Walks a JSON-like JDK tree (see {@link Values}) against the definition schema of CONTRACT §3
 * and §6, collecting every problem with its path. Not thread-safe: one instance per parse.
 */
public final class DefinitionValidator {

  /** What was learnt about one document, even when it is not valid. */
  public record Checked(Optional<ApiDefinition> definition, Optional<String> id,
      Optional<String> basePath) {}

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  private static final Pattern STATUS = Pattern.compile("[1-5][0-9][0-9]");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
  private static final Pattern TEMPLATE =
      Pattern.compile("path\\.[0-9]+|query\\.[^{}]+|header\\.[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final String PATH_CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/%";
  private static final Duration MAX_TIMEOUT = Duration.ofHours(1);
  private static final long MAX_POOL = 10_000;
  private static final long MAX_CACHE_ENTRIES = 100_000_000;
  private static final long MIN_CACHE_BYTES = 1L << 20;
  private static final long MAX_CACHE_BYTES = 1L << 40;
  private static final Set<String> DEFINITION_FIELDS =
      Set.of("kind", "id", "basePath", "methods", "upstream", "policies", "cache", "split", "shapes");
  private static final Set<String> UPSTREAM_FIELDS = Set.of("url", "timeout", "pool", "tls", "targets", "balance",
      "healthCheck", "retries", "circuitBreaker");
  private static final Set<String> TLS_FIELDS = Set.of("ca", "cert", "key");
  private static final Set<String> POOL_FIELDS = Set.of("maxConnections", "warm");
  private static final List<String> CACHE_FIELDS = List.of("ttl", "respectCacheControl", "grace",
      "ttlByStatus", "key", "shared", "tags", "maxEntries", "maxBytes", "storeSetCookie");
  private static final Set<String> CACHE_FIELD_SET = Set.copyOf(CACHE_FIELDS);
  private static final Set<String> CACHE_KEY_PARTS = Set.of("method", "path", "query", "consumer");
  private static final String DURATION = "expected a duration such as 30s";
  static final Object ABSENT = new Object();

  private final List<Problem> problems = new ArrayList<>();

  /** Every problem found so far, in the order found. */
  public List<Problem> problems() {
    return List.copyOf(problems);
  }

  /** Adds a problem found by the caller (e.g. a duplicate across a set). */
  public void report(String path, String message) {
    problems.add(new Problem(path, message));
  }

  /** Checks one definition object whose fields live under {@code path}. */
  public Checked definition(Map<?, ?> doc, String path) {
    int before = problems.size();
    unknownFields(doc, DEFINITION_FIELDS, path);
    Object kind = optional(doc, "kind");
    if (kind != ABSENT && !"api".equals(kind)) {
      report(Paths.field(path, "kind"), "an API definition has no kind or kind: api");
    }

    String idPath = Paths.field(path, "id");
    String id = string(required(doc, "id", idPath), idPath);
    if (id != null && !NAME.matcher(id).matches()) {
      report(idPath, "must match [a-z0-9][a-z0-9-]{0,63}");
      id = null;
    }

    String basePathPath = Paths.field(path, "basePath");
    String basePath = string(required(doc, "basePath", basePathPath), basePathPath);
    if (basePath != null) {
      Optional<String> error = basePathError(basePath);
      if (error.isPresent()) {
        report(basePathPath, error.get());
        basePath = null;
      }
    }

    Set<String> methods = methods(optional(doc, "methods"), Paths.field(path, "methods"));
    String upstreamPath = Paths.field(path, "upstream");
    Upstream upstream = upstream(required(doc, "upstream", upstreamPath), upstreamPath);
    List<PolicySpec> policies = policies(optional(doc, "policies"), Paths.field(path, "policies"));
    Map<String, Object> cache = cache(optional(doc, "cache"), Paths.field(path, "cache"));
    SplitValidator.Checked split = new SplitValidator(this).check(doc, path);

    Optional<ApiDefinition> definition = problems.size() == before
        ? Optional.of(new ApiDefinition(id, basePath, methods, upstream, policies, cache, split.split(), split.shapes()))
        : Optional.empty();
    return new Checked(definition, Optional.ofNullable(id), Optional.ofNullable(basePath));
  }

  // ---- fields ----

  /** Why {@code p} is not a valid basePath, if it is not. */
  static Optional<String> basePathError(String p) {
    if (!p.startsWith("/")) {
      return Optional.of("must start with /");
    }
    if (p.length() > 1 && p.endsWith("/")) {
      return Optional.of("must not end with /");
    }
    if (p.indexOf('?') >= 0 || p.indexOf('#') >= 0) {
      return Optional.of("must not contain ? or #");
    }
    String lower = p.toLowerCase(Locale.ROOT);
    if (lower.contains("%2f")) {
      return Optional.of("must not contain an encoded slash (%2F)");
    }
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (PATH_CHARS.indexOf(c) < 0) {
        return Optional.of("must not contain '" + c + "'; percent-encode it");
      }
      if (c == '%' && (i + 2 >= p.length() || !hex(p.charAt(i + 1)) || !hex(p.charAt(i + 2)))) {
        return Optional.of("contains an invalid percent-encoding");
      }
    }
    if (p.length() > 1) {
      for (String segment : lower.substring(1).split("/", -1)) {
        if (segment.isEmpty()) {
          return Optional.of("must not contain empty segments (//)");
        }
        String decoded = segment.replace("%2e", ".");
        if (decoded.equals(".") || decoded.equals("..")) {
          return Optional.of("must not contain . or .. segments");
        }
      }
    }
    // Requests are routed on their normal form (CONTRACT §9: unreserved characters decoded,
    // other percent-encodings in upper case, ';' and encoded '\' or NUL refused): a basePath in
    // any other form could never match, so it is refused here rather than silently unreachable.
    if (p.indexOf(';') >= 0) {
      return Optional.of("must not contain ';' (requests with path parameters are refused)");
    }
    for (int i = p.indexOf('%'); i >= 0; i = p.indexOf('%', i + 1)) {
      String hex = p.substring(i + 1, i + 3);
      int b = Integer.parseInt(hex, 16);
      if (b == 0x5c || b == 0) {
        return Optional.of("must not contain an encoded \\ or NUL");
      }
      if (Character.isLetterOrDigit(b) && b < 0x80 || b == '-' || b == '.' || b == '_' || b == '~') {
        return Optional.of("write '" + (char) b + "' instead of %" + hex + " (requests are routed on their normal form)");
      }
      if (!hex.equals(hex.toUpperCase(Locale.ROOT))) {
        return Optional.of("write %" + hex.toUpperCase(Locale.ROOT) + " instead of %" + hex
            + " (requests are routed on their normal form)");
      }
    }
    return Optional.empty();
  }

  private Set<String> methods(Object value, String path) {
    if (value == ABSENT) {
      return Set.of();
    }
    List<?> list = list(value, path);
    Set<String> methods = new LinkedHashSet<>();
    if (list == null) {
      return methods;
    }
    for (int i = 0; i < list.size(); i++) {
      String itemPath = Paths.index(path, i);
      String method = string(list.get(i), itemPath);
      if (method == null) {
        continue;
      }
      String upper = method.toUpperCase(Locale.ROOT);
      if (!Methods.ALL.contains(upper)) {
        report(itemPath, "unknown HTTP method '" + method + "'; expected one of "
            + String.join(", ", Methods.ALL));
      } else if (!methods.add(upper)) {
        report(itemPath, "duplicate method " + upper);
      }
    }
    return methods;
  }

  /** A shape's {@code upstream}, parsed as the API's (null after a problem). */
  Upstream shapeUpstream(Object value, String path) {
    return upstream(value, path);
  }

  /** A shape's {@code policies}, parsed as the API's. */
  List<PolicySpec> shapePolicies(Object value, String path) {
    return value == null ? List.of() : policies(value, path);
  }

  /**
   * An {@code upstream} block at {@code path} (an API's, or a shape's): {@code url} or
   * {@code targets} with their settings ({@link UpstreamTargetsValidator}), timeout, pool, tls.
   * Null after a problem (reported).
   */
  public Upstream upstream(Object value, String path) {
    Map<?, ?> map = object(value, path);
    if (map == null) {
      return null;
    }
    unknownFields(map, UPSTREAM_FIELDS, path);
    String urlPath = Paths.field(path, "url");
    boolean withTargets = map.containsKey("targets");
    if (withTargets && map.containsKey("url")) {
      report(urlPath, "give url or targets, not both");
    }
    String url = withTargets ? null : string(required(map, "url", urlPath), urlPath);
    UpstreamTargetsValidator targetsCheck = new UpstreamTargetsValidator(this);
    if (!withTargets) {
      targetsCheck.onlyWithTargets(map, path);
    }

    Duration timeout = Upstream.DEFAULT_TIMEOUT;
    String timeoutPath = Paths.field(path, "timeout");
    Object timeoutValue = optional(map, "timeout");
    if (timeoutValue != ABSENT) {
      timeout = duration(timeoutValue, timeoutPath);
      if (timeout != null && timeout.isZero()) {
        report(timeoutPath, "must be greater than 0s");
        timeout = null;
      } else if (timeout != null && timeout.compareTo(MAX_TIMEOUT) > 0) {
        report(timeoutPath, "must be at most 1h");
        timeout = null;
      }
    }

    long maxConnections = Upstream.DEFAULT_MAX_CONNECTIONS;
    long warm = Upstream.DEFAULT_WARM;
    boolean poolValid = true;
    Object poolValue = optional(map, "pool");
    if (poolValue != ABSENT) {
      String poolPath = Paths.field(path, "pool");
      Map<?, ?> pool = object(poolValue, poolPath);
      int before = problems.size();
      if (pool != null) {
        unknownFields(pool, POOL_FIELDS, poolPath);
        Long max = integer(pool, "maxConnections", poolPath, 1, MAX_POOL);
        if (max != null) {
          maxConnections = max;
        }
        Long w = integer(pool, "warm", poolPath, 0, MAX_POOL);
        if (w != null) {
          warm = w;
          boolean maxKnown = max != null || !pool.containsKey("maxConnections");
          if (maxKnown && warm > maxConnections) {
            report(Paths.field(poolPath, "warm"),
                "must not exceed maxConnections (" + maxConnections + ")");
          }
        }
      }
      poolValid = pool != null && problems.size() == before;
    }

    Target target = url == null ? null : target(url, urlPath);
    UpstreamTls tls = UpstreamTls.NONE;
    Object tlsValue = optional(map, "tls");
    if (tlsValue != ABSENT) {
      tls = tls(tlsValue, Paths.field(path, "tls"), target);
    }
    if (withTargets) {
      UpstreamTargets targets = targetsCheck.targets(map, path, tlsValue != ABSENT);
      if (targets == null || timeout == null || !poolValid || tls == null) {
        return null;
      }
      return Upstream.ofTargets(targets.withTargets(targetsCheck.withSettings(targets.targets(), timeout,
          (int) maxConnections, (int) warm, tls)));
    }
    if (target == null || timeout == null || !poolValid || tls == null) {
      return null;
    }
    UpstreamUrl u = target.url();
    return new Upstream(u.uri(), u.scheme(), u.host(), u.port(), u.path(),
        timeout, (int) maxConnections, (int) warm, tls, target.template());
  }

  /**
   * The {@code upstream.tls} block: strings of PEM text, absolute PEM file paths or
   * {@code ${secret:NAME}} (the whole value); PEM text is parsed here, files and secrets are read
   * and parsed by the engine on each node at every compile (422 on the node that takes the apply).
   */
  private UpstreamTls tls(Object value, String path, Target target) {
    Map<?, ?> map = object(value, path);
    if (map == null) {
      return null;
    }
    int before = problems.size();
    unknownFields(map, TLS_FIELDS, path);
    if (target != null && !target.scheme().equals("https")) {
      report(path, "only for an https upstream url");
    }
    String ca = pemValue(map, "ca", path);
    String cert = pemValue(map, "cert", path);
    String key = pemValue(map, "key", path);
    if (cert != null && key != null && cert.isEmpty() != key.isEmpty()) {
      report(Paths.field(path, cert.isEmpty() ? "cert" : "key"), "is required with "
          + Paths.field(path, cert.isEmpty() ? "key" : "cert"));
    }
    if (ca != null && Pem.isInline(ca)) {
      checkPem(Paths.field(path, "ca"), () -> dev.meridian.tls.Pem.certificates(ca));
    }
    if (cert != null && key != null && Pem.isInline(cert) && Pem.isInline(key)) {
      checkPem(path, () -> dev.meridian.tls.CertifiedKey.of(cert, key));
    } else if (cert != null && Pem.isInline(cert)) {
      checkPem(Paths.field(path, "cert"), () -> dev.meridian.tls.Pem.certificates(cert));
    }
    if (problems.size() != before || ca == null || cert == null || key == null) {
      return null;
    }
    return new UpstreamTls(ca, cert, key);
  }

  /** A tls field: "" when absent, null after a problem; PEM text, an absolute path or a secret. */
  private String pemValue(Map<?, ?> map, String name, String base) {
    Object v = optional(map, name);
    if (v == ABSENT) {
      return "";
    }
    String p = Paths.field(base, name);
    String s = string(v, p);
    if (s == null) {
      return null;
    }
    if (s.isBlank()) {
      report(p, "must not be empty");
      return null;
    }
    if (UpstreamTls.isReference(s) && !UpstreamUrl.REFERENCE.matcher(s).matches()) {
      report(p, "a secret is the whole value: ${secret:NAME}, NAME of 1-128 of A-Z a-z 0-9 . _ -");
      return null;
    }
    if (!Pem.isInline(s) && !UpstreamTls.isReference(s) && !s.startsWith("/")) {
      report(p, "expected PEM text (-----BEGIN ...), the absolute path of a PEM file or ${secret:NAME}");
      return null;
    }
    return s;
  }

  private void checkPem(String path, Runnable parse) {
    try {
      parse.run();
    } catch (IllegalArgumentException e) {
      report(path, e.getMessage());
    }
  }

  /** What tells PEM text from a path. */
  private static final class Pem {
    static boolean isInline(String value) {
      return UpstreamTls.isPem(value);
    }
  }

  /** The URL checked (a template with references: with stand-ins), or null after a problem. */
  Target target(String url, String path) {
    try {
      if (UpstreamUrl.mentionsSecret(url)) {
        String template = UpstreamUrl.checkTemplate(url);
        UpstreamUrl standIn = UpstreamUrl.parse(UpstreamUrl.REFERENCE.matcher(template).replaceAll(UpstreamUrl.STAND_IN));
        return new Target(standIn, template);
      }
      return new Target(UpstreamUrl.parse(url), "");
    } catch (IllegalArgumentException e) {
      report(path, e.getMessage());
      return null;
    }
  }

  record Target(UpstreamUrl url, String template) {
    String scheme() {
      return url.scheme();
    }
  }

  private List<PolicySpec> policies(Object value, String path) {
    if (value == ABSENT) {
      return List.of();
    }
    List<?> list = list(value, path);
    List<PolicySpec> policies = new ArrayList<>();
    if (list == null) {
      return policies;
    }
    for (int i = 0; i < list.size(); i++) {
      String itemPath = Paths.index(path, i);
      Map<?, ?> entry = object(list.get(i), itemPath);
      if (entry == null) {
        continue;
      }
      String typePath = Paths.field(itemPath, "type");
      String type = string(required(entry, "type", typePath), typePath);
      if (type != null && !NAME.matcher(type).matches()) {
        report(typePath, "must match [a-z0-9][a-z0-9-]{0,63}");
        type = null;
      }
      int before = problems.size();
      Map<String, Object> config = new LinkedHashMap<>();
      entry.forEach((k, v) -> {
        String key = String.valueOf(k);
        if (!key.equals("type")) {
          config.put(key, freeform(v, Paths.field(itemPath, key)));
        }
      });
      if (type != null && problems.size() == before) {
        policies.add(new PolicySpec(type, config));
      }
    }
    return policies;
  }

  /** A policy's own configuration: any JSON value except null and non-finite numbers. */
  private Object freeform(Object value, String path) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> {
        String key = String.valueOf(k);
        copy.put(key, freeform(v, Paths.field(path, key)));
      });
      return copy;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        copy.add(freeform(list.get(i), Paths.index(path, i)));
      }
      return copy;
    }
    if (value instanceof String || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Number n) {
      Optional<Object> number = Values.number(n);
      if (number.isEmpty()) {
        report(path, "expected a finite number");
      }
      return number.orElse(0L);
    }
    report(path, value == null ? "must not be null" : "unsupported value");
    return "";
  }

  private Map<String, Object> cache(Object value, String path) {
    if (value == ABSENT) {
      return Map.of();
    }
    Map<?, ?> map = object(value, path);
    if (map == null) {
      return Map.of();
    }
    unknownFields(map, CACHE_FIELD_SET, path);
    Map<String, Object> cache = new LinkedHashMap<>();
    for (String field : CACHE_FIELDS) {
      if (!map.containsKey(field)) {
        continue;
      }
      Object v = map.get(field);
      String fieldPath = Paths.field(path, field);
      Object checked = switch (field) {
        case "ttl", "grace" -> formatted(duration(v, fieldPath));
        case "respectCacheControl", "shared", "storeSetCookie" -> bool(v, fieldPath);
        case "maxBytes" -> size(v, fieldPath, MIN_CACHE_BYTES, MAX_CACHE_BYTES);
        case "ttlByStatus" -> ttlByStatus(v, fieldPath);
        case "key" -> cacheKey(v, fieldPath);
        case "tags" -> tags(v, fieldPath);
        default -> integer(map, field, path, 1, MAX_CACHE_ENTRIES);
      };
      boolean emptyMeansAbsent = checked instanceof Map<?, ?> m && m.isEmpty()
          || field.equals("tags") && checked instanceof List<?> l && l.isEmpty();
      if (checked != null && !emptyMeansAbsent) {
        cache.put(field, checked);
      }
    }
    return cache;
  }

  private Map<String, Object> ttlByStatus(Object value, String path) {
    Map<?, ?> map = object(value, path);
    if (map == null) {
      return null;
    }
    Map<String, Object> sorted = new TreeMap<>();
    map.forEach((k, v) -> {
      String status = String.valueOf(k);
      String statusPath = Paths.field(path, status);
      if (!STATUS.matcher(status).matches()) {
        report(statusPath, "expected an HTTP status code such as 404");
      }
      String ttl = formatted(duration(v, statusPath));
      if (ttl != null) {
        sorted.put(status, ttl);
      }
    });
    return new LinkedHashMap<>(sorted);
  }

  private List<String> cacheKey(Object value, String path) {
    List<?> list = list(value, path);
    if (list == null) {
      return null;
    }
    if (list.isEmpty()) {
      report(path, "must not be empty");
      return null;
    }
    List<String> parts = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String itemPath = Paths.index(path, i);
      String part = string(list.get(i), itemPath);
      if (part == null) {
        continue;
      }
      boolean header = part.startsWith("header:")
          && TOKEN.matcher(part.substring("header:".length())).matches();
      if (!header && !CACHE_KEY_PARTS.contains(part)) {
        report(itemPath, "expected method, path, query, consumer or header:<Name>");
      } else if (!seen.add(header ? part.toLowerCase(Locale.ROOT) : part)) {
        report(itemPath, "duplicate key part " + part);
      } else {
        parts.add(part);
      }
    }
    return parts;
  }

  private List<String> tags(Object value, String path) {
    List<?> list = list(value, path);
    if (list == null) {
      return null;
    }
    List<String> tags = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String itemPath = Paths.index(path, i);
      String tag = string(list.get(i), itemPath);
      if (tag == null) {
        continue;
      }
      Optional<String> error = tagError(tag);
      if (error.isPresent()) {
        report(itemPath, error.get());
      } else {
        tags.add(tag);
      }
    }
    return tags;
  }

  private static Optional<String> tagError(String tag) {
    if (tag.isEmpty()) {
      return Optional.of("must not be empty");
    }
    Matcher m = PLACEHOLDER.matcher(tag);
    StringBuilder rest = new StringBuilder();
    int last = 0;
    while (m.find()) {
      if (!TEMPLATE.matcher(m.group(1)).matches()) {
        return Optional.of("unknown template {" + m.group(1)
            + "}; expected {path.N}, {query.name} or {header.Name}");
      }
      rest.append(tag, last, m.start());
      last = m.end();
    }
    rest.append(tag.substring(last));
    if (rest.indexOf("{") >= 0 || rest.indexOf("}") >= 0) {
      return Optional.of("unbalanced { or }");
    }
    return Optional.empty();
  }

  // ---- typed access; each returns null after reporting a problem ----

  Object required(Map<?, ?> map, String key, String path) {
    if (!map.containsKey(key)) {
      report(path, "is required");
      return ABSENT;
    }
    return map.get(key);
  }

  static Object optional(Map<?, ?> map, String key) {
    return map.containsKey(key) ? map.get(key) : ABSENT;
  }

  void unknownFields(Map<?, ?> map, Set<String> known, String path) {
    for (Object key : map.keySet()) {
      String name = String.valueOf(key);
      if (!known.contains(name)) {
        report(Paths.field(path, name), "unknown field");
      }
    }
  }

  String string(Object value, String path) {
    if (value == ABSENT) {
      return null;
    }
    if (value instanceof String s) {
      return s;
    }
    report(path, "expected a string");
    return null;
  }

  private Boolean bool(Object value, String path) {
    if (value instanceof Boolean b) {
      return b;
    }
    report(path, "expected true or false");
    return null;
  }

  Map<?, ?> object(Object value, String path) {
    if (value == ABSENT) {
      return null;
    }
    if (value instanceof Map<?, ?> map) {
      return map;
    }
    report(path, "expected an object");
    return null;
  }

  List<?> list(Object value, String path) {
    if (value instanceof List<?> list) {
      return list;
    }
    report(path, "expected a list");
    return null;
  }

  Duration duration(Object value, String path) {
    if (value instanceof String s) {
      try {
        return Durations.parse(s);
      } catch (IllegalArgumentException e) {
        report(path, DURATION);
        return null;
      }
    }
    report(path, DURATION);
    return null;
  }

  /** An optional integer field {@code key} of {@code map} within {@code [min, max]}. */
  Long integer(Map<?, ?> map, String key, String base, long min, long max) {
    if (!map.containsKey(key)) {
      return null;
    }
    String path = Paths.field(base, key);
    Optional<Long> value = Values.integral(map.get(key));
    if (value.isEmpty()) {
      report(path, "expected an integer");
      return null;
    }
    if (value.get() < min || value.get() > max) {
      report(path, "must be between " + min + " and " + max);
      return null;
    }
    return value.get();
  }

  /**
   * A size within {@code [min, max]} bytes: an integer number of bytes or a string such as
   * {@code 64m} ({@link Sizes}); answered in {@link Sizes#format canonical form}.
   */
  private String size(Object value, String path, long min, long max) {
    long bytes;
    if (value instanceof String s) {
      try {
        bytes = Sizes.parse(s);
      } catch (IllegalArgumentException e) {
        report(path, "expected a size such as 64m (bytes, or a whole number of k, m or g)");
        return null;
      }
    } else {
      Optional<Long> integral = Values.integral(value);
      if (integral.isEmpty()) {
        report(path, "expected a size such as 64m (bytes, or a whole number of k, m or g)");
        return null;
      }
      bytes = integral.get();
    }
    if (bytes < min || bytes > max) {
      report(path, "must be between " + Sizes.format(min) + " and " + Sizes.format(max));
      return null;
    }
    return Sizes.format(bytes);
  }

  private static String formatted(Duration d) {
    return d == null ? null : Durations.format(d);
  }

  private static boolean hex(char c) {
    return Character.digit(c, 16) >= 0 && c < 128;
  }
}
