package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Redaction;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ShapeSplit;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Upstream;

/**
 * A split's shape whose upstream has targets: its group and its targets' state (health, ejection,
 * breaker) are kept by every table that has the shape, as a main route's are, so its health
 * checks run and an apply that keeps the target keeps its state.
 */
class SplitTargetsTest {

    private final HttpClient client = new HttpClient();
    private final Targets targets = new Targets(new HealthChecks(client));

    @AfterEach
    void stop() throws Exception {
        targets.stop();
        client.stop();
    }

    private static RouteTable table(long revision, String weight) throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(("id: p\nbasePath: /p\nupstream: {url: 'http://127.0.0.1:9'}\n"
            + "split: {stickyBy: ip, to: [{shape: v2, weight: " + weight + "}]}\n"
            + "shapes: {v2: {upstream: {targets: [{url: 'http://127.0.0.1:10'}, {url: 'http://127.0.0.1:11'}]}}}\n")
            .getBytes(StandardCharsets.UTF_8), Format.YAML);
        Route v2 = Route.forShape(api, "v2", api.shapes().get("v2").upstream(), Redaction.NONE, List.of(), List.of(),
            new ApiMetrics("p/v2"));
        Route main = new Route(api, api.upstream(), Redaction.NONE, List.of(), new ApiMetrics("p"),
            new ShapeSplit(api.id(), api.basePath(), api.split(), List.of(v2)));
        return new RouteTable(revision, revision, List.of(main));
    }

    @Test
    void should_keep_a_shapes_target_group_and_state_across_applies() throws Exception {
        client.start();
        RouteTable first = table(1, "5%");
        targets.retainUsedBy(first);
        Route v2 = first.routes().get(0).shapes().get(0);
        assertTrue(v2.upstream().hasTargets());
        assertEquals(1, targets.groups().size(), "the shape's group is kept (its health checks run)");
        assertSame(targets.group(v2), targets.groups().iterator().next());
        Upstream target = v2.upstream().targets().targets().get(0).upstream();
        TargetState state = targets.state(target);

        RouteTable raised = table(2, "20%"); // an apply that keeps the shape's targets
        targets.retainUsedBy(raised);
        assertEquals(1, targets.groups().size());
        assertSame(state, targets.state(target), "the target's state survives the apply");
    }
}
