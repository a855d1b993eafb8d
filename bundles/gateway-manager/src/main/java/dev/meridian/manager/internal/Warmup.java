package dev.meridian.manager.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.CommittedRevision;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayState;
import dev.meridian.core.ValidationException;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Json;
import dev.meridian.model.PolicySpec;

/**
 * Runs the apply path once at start, off to the side and before the node reports ready, so that
 * the first real apply after a boot does not pay for loading and linking its classes (measured:
 * the first YAML parse, the first payload read back and the first engine validation took about
 * half a second of a cold node's first apply). Commits, publishes and writes nothing.
 */
final class Warmup {

    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    private static final String YAML = """
        id: meridian-warmup
        basePath: /meridian-warmup
        methods: [GET, POST]
        upstream: { url: "http://127.0.0.1:9/warmup", timeout: 5s, pool: { maxConnections: 8, warm: 0 } }
        policies:
          - type: meridian-warmup-type
            request: { set: { X-Warmup: "1" }, remove: [X-Debug] }
            response: { set: { X-Warmup: "1" } }
        cache: { ttl: 30s, tags: ["warmup", "id:{path.1}"] }
        """;

    private Warmup() {
    }

    /** Parses, checks, writes and reads back one definition and asks the engine to validate it. Never throws. */
    static void run(GatewayEngine engine) {
        long start = System.nanoTime();
        try {
            ApiDefinition fromYaml = DefinitionParser.parseOne(YAML.getBytes(StandardCharsets.UTF_8), Format.YAML);
            byte[] json = Json.write(fromYaml.toTree());
            ApiDefinition fromJson = DefinitionParser.parseOne(json, Format.JSON);
            GatewayState base = GatewayState.EMPTY;
            GatewayState next = GatewayState.of(1, List.of(fromJson));
            var change = StateDiff.between(base, next.apis(), 1, true);
            Set<PolicySpec> specs = new HashSet<>(); // as the compile's map
            StateDiff.changedApis(base, next.apis()).forEach(api -> specs.addAll(api.policies()));
            RevisionInfo info = new RevisionInfo(1, Instant.now(), "warmup", "warmup", change.added(), change.updated(),
                change.removed());
            ParsedRevision written = ParsedRevision.of(info, next);
            ParsedRevision read = ParsedRevision.parse(new CommittedRevision(1, written.committed().payload()));
            TypeChecks.checkBasePaths(Map.copyOf(read.state().apis()));
            try {
                engine.validate(List.of(read.state().apis().values().iterator().next()));
            } catch (ValidationException expected) {
                // the warm-up's type exists nowhere: the problems are the point
            }
            LOG.debug("apply path warmed in {} ms", (System.nanoTime() - start) / 1_000_000);
        } catch (DefinitionException | RuntimeException | AdminException e) {
            LOG.warn("warming the apply path failed (the first apply will be slower): {}", e.toString());
        }
    }
}
