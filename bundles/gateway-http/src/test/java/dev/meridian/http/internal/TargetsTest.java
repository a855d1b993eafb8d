package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Redaction;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ShapeSplit;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

/** What {@link Targets} keeps across route tables: target state by URL, groups by upstream instance, shapes' targets too. */
class TargetsTest {

    private HttpClient client;
    private Targets targets;

    @BeforeEach
    void start() throws Exception {
        client = new HttpClient();
        client.start();
        targets = new Targets(new HealthChecks(client));
    }

    @AfterEach
    void stop() throws Exception {
        targets.stop();
        client.stop();
    }

    private static ApiDefinition parse(String yaml) throws Exception {
        return DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
    }

    private static Route plain(ApiDefinition api) {
        return new Route(api, List.of(), new ApiMetrics(api.id()));
    }

    @Test
    void should_keep_a_kept_targets_state_across_tables_and_drop_a_removed_ones() throws Exception {
        ApiDefinition one = parse("id: t\nbasePath: /t\nupstream: {targets: [{url: 'http://a:1'}, {url: 'http://b:1'}]}\n");
        ApiDefinition two = parse("id: t\nbasePath: /t\nupstream: {targets: [{url: 'http://a:1', weight: 2}, {url: 'http://c:1'}]}\n");
        Route r1 = plain(one);
        targets.retainUsedBy(new RouteTable(1, 1, List.of(r1)));
        TargetGroup g1 = targets.group(r1);
        TargetState a = g1.members[0].state();
        TargetState b = g1.members[1].state();
        assertSame(g1, targets.group(r1), "one group per upstream instance");

        Route r2 = plain(two);
        targets.retainUsedBy(new RouteTable(2, 2, List.of(r2)));
        TargetGroup g2 = targets.group(r2);
        assertNotSame(g1, g2);
        assertSame(a, g2.members[0].state(), "a kept: its state (health, ejection, breaker) kept");
        StringBuilder metrics = new StringBuilder();
        targets.metrics(metrics);
        assertTrue(metrics.toString().contains("{target=\"http://c:1\"}"), metrics.toString());
        assertTrue(!metrics.toString().contains("{target=\"http://b:1\"}"), metrics.toString());
        assertNotSame(b, targets.state(one.upstream().targets().targets().get(1).upstream()), "b removed: its state dropped");
    }

    @Test
    void should_keep_the_targets_of_a_split_shape() throws Exception {
        ApiDefinition api = parse("id: s\nbasePath: /s\nupstream: {url: 'http://main:1'}\n"
            + "split: {stickyBy: ip, to: [{shape: v2, weight: 5%}]}\n"
            + "shapes: {v2: {upstream: {targets: [{url: 'http://x:1'}, {url: 'http://y:1'}]}}}\n");
        ApiMetrics m = new ApiMetrics("s");
        Route shape = Route.forShape(api, "v2", api.shapes().get("v2").upstream(), Redaction.NONE, List.of(), List.of(), m);
        Route main = new Route(api, api.upstream(), Redaction.NONE, List.of(), m,
            new ShapeSplit(api.id(), api.basePath(), api.split(), List.of(shape)));
        targets.retainUsedBy(new RouteTable(1, 1, List.of(main)));
        assertEquals(1, targets.groups().size(), "the shape's upstream of targets has its group");
        TargetState x = targets.group(shape).members[0].state();
        targets.retainUsedBy(new RouteTable(2, 2, List.of(main)));
        assertSame(x, targets.group(shape).members[0].state(), "and keeps its targets' state");
    }
}
