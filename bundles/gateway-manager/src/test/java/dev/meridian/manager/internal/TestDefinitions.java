package dev.meridian.manager.internal;

import java.nio.charset.StandardCharsets;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

/** API definitions for the manager's tests. */
final class TestDefinitions {

    /** Every part of a definition: methods, pool, policies with nested config, cache. */
    static final String ORDERS_YAML = """
        id: orders
        basePath: /orders
        methods: [POST, GET]
        upstream:
          url: http://127.0.0.1:9000/v1
          timeout: 2500ms
          pool: { maxConnections: 16, warm: 2 }
        policies:
          - type: set-headers
            request:  { set: { X-Env: prod }, remove: [X-Debug] }
          - type: rate-limit
            limit: 100
            per: 1s
            ratio: 0.5
            strict: true
        cache:
          ttl: 30s
          tags: ["orders", "customer:{query.customer}"]
        """;

    private TestDefinitions() {
    }

    static ApiDefinition yaml(String yaml) throws DefinitionException {
        return DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
    }

    /** A minimal API; {@code extra} is appended as top-level YAML. */
    static ApiDefinition api(String id, String basePath, String extra) throws DefinitionException {
        return yaml("id: " + id + "\nbasePath: " + basePath + "\nupstream: {url: 'http://127.0.0.1:9000'}\n" + extra);
    }

    static ApiDefinition api(String id, String basePath) throws DefinitionException {
        return api(id, basePath, "");
    }
}
