package dev.meridian.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Definitions shared by the tests. */
final class Samples {

  /** The example of CONTRACT §3. */
  static final String ORDERS_YAML = """
      id: orders                       # [a-z0-9][a-z0-9-]{0,63}
      basePath: /orders                # unique; matches whole segments; longest match wins
      methods: [GET, POST]             # optional; default: all
      upstream:
        url: http://127.0.0.1:9000/v1  # http or https only
        timeout: 30s                   # until the upstream's response headers, then 504
        pool: { maxConnections: 256, warm: 8 }
      policies:                        # request phase in order, response phase in reverse
        - type: set-headers
          request:  { set: { X-Env: prod }, remove: [X-Debug] }
          response: { set: { X-Frame-Options: DENY } }
        - type: rate-limit
          limit: 100
          per: 1s
          key: ip                      # ip | consumer | header:<Name>
          scope: cluster               # cluster | node
      cache:                           # see §6
        ttl: 30s
        tags: ["orders", "customer:{query.customer}"]
      """;

  static final String ORDERS_JSON = """
      {
        "id": "orders",
        "basePath": "/orders",
        "methods": ["GET", "POST"],
        "upstream": {
          "url": "http://127.0.0.1:9000/v1",
          "timeout": "30s",
          "pool": {"maxConnections": 256, "warm": 8}
        },
        "policies": [
          {"type": "set-headers",
           "request": {"set": {"X-Env": "prod"}, "remove": ["X-Debug"]},
           "response": {"set": {"X-Frame-Options": "DENY"}}},
          {"type": "rate-limit", "limit": 100, "per": "1s", "key": "ip", "scope": "cluster"}
        ],
        "cache": {"ttl": "30s", "tags": ["orders", "customer:{query.customer}"]}
      }
      """;

  /** A minimal valid definition, one top-level field per line. */
  static final String MINIMAL_YAML = """
      id: a
      basePath: /a
      upstream: {url: 'http://h'}
      """;

  private Samples() {}

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static ApiDefinition yaml(String text) throws DefinitionException {
    return DefinitionParser.parseOne(bytes(text), Format.YAML);
  }

  static List<ApiDefinition> yamlSet(String text) throws DefinitionException {
    return DefinitionParser.parse(bytes(text), Format.YAML);
  }

  static ApiDefinition json(String text) throws DefinitionException {
    return DefinitionParser.parseOne(bytes(text), Format.JSON);
  }

  /**
   * {@link #MINIMAL_YAML} with top-level lines replaced by key ({@code "basePath: /b"}),
   * removed ({@code "-basePath"}) or added.
   */
  static String minimalWith(String... lines) {
    StringBuilder out = new StringBuilder();
    List<String> base = MINIMAL_YAML.lines().toList();
    for (String baseLine : base) {
      String key = baseLine.substring(0, baseLine.indexOf(':'));
      boolean replaced = false;
      for (String line : lines) {
        if (line.equals("-" + key)) {
          replaced = true;
        } else if (line.startsWith(key + ":")) {
          out.append(line).append('\n');
          replaced = true;
        }
      }
      if (!replaced) {
        out.append(baseLine).append('\n');
      }
    }
    for (String line : lines) {
      boolean known = base.stream().anyMatch(b -> {
        String key = b.substring(0, b.indexOf(':'));
        return line.equals("-" + key) || line.startsWith(key + ":");
      });
      if (!known) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  static DefinitionException invalid(String yaml) {
    DefinitionException e = assertThrows(DefinitionException.class, () -> yamlSet(yaml));
    assertEquals(DefinitionException.Kind.INVALID, e.kind(), e::getMessage);
    return e;
  }

  static DefinitionException malformed(byte[] body, Format format) {
    DefinitionException e =
        assertThrows(DefinitionException.class, () -> DefinitionParser.parse(body, format));
    assertEquals(DefinitionException.Kind.MALFORMED, e.kind(), e::getMessage);
    return e;
  }

  static List<String> paths(DefinitionException e) {
    return e.problems().stream().map(Problem::path).toList();
  }
}
