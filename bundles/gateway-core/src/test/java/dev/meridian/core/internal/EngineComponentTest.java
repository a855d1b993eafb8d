package dev.meridian.core.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.framework.startlevel.BundleStartLevel;

import dev.meridian.core.GatewayEngine.TypeStatus;
import dev.meridian.core.GatewayState;
import dev.meridian.core.NodeState;
import dev.meridian.core.PluginInfo;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ValidationException;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Problem;
import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyFactory;

class EngineComponentTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private EngineComponent engine;
    private long nextServiceId = 1;

    @BeforeEach
    void start() {
        engine = new EngineComponent();
        engine.activate(null);
    }

    @AfterEach
    void stop() {
        engine.deactivate();
    }

    // ---- publish ---------------------------------------------------------------------------

    @Test
    void should_compile_and_swap_table_when_state_is_published() throws Exception {
        bind(new FakeFactory("limit"));
        GatewayState state = GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5")));

        RouteTable table = publish(state);

        assertSame(table, engine.current());
        assertEquals(1, engine.current().revision());
        assertEquals(state, engine.state());
        Route route = engine.current().match("/orders/1");
        assertEquals("orders", route.id());
        assertEquals(1, route.policyCount());
        assertInstanceOf(FakePolicy.class, route.policy(0));
        assertEquals(1, engine.stats().publishes());
    }

    @Test
    void should_increase_generation_on_every_publish() throws Exception {
        RouteTable first = publish(GatewayState.of(1, List.of(api("a", "/a"))));
        RouteTable second = publish(GatewayState.of(2, List.of(api("a", "/a"), api("b", "/b"))));

        assertTrue(second.generation() > first.generation());
        assertEquals(2, second.routes().size());
    }

    @Test
    void should_keep_newer_revision_when_older_revision_is_published_later() throws Exception {
        RouteTable newer = publish(GatewayState.of(2, List.of(api("b", "/b"))));

        RouteTable answer = publish(GatewayState.of(1, List.of(api("a", "/a"))));

        assertSame(newer, answer);
        assertSame(newer, engine.current());
        assertEquals(2, engine.state().revision());
        assertEquals(null, engine.current().match("/a"));
        assertEquals(1, engine.stats().publishes());
    }

    @Test
    void should_not_swap_when_same_state_is_published_again() throws Exception {
        GatewayState state = GatewayState.of(3, List.of(api("a", "/a")));
        RouteTable first = publish(state);

        RouteTable again = publish(GatewayState.of(3, List.of(api("a", "/a"))));

        assertSame(first, again);
        assertEquals(1, engine.stats().publishes());
    }

    @Test
    void should_fail_publish_and_keep_serving_when_policy_type_is_unknown() throws Exception {
        RouteTable serving = publish(GatewayState.of(1, List.of(api("a", "/a"))));

        CompletableFuture<RouteTable> failed =
            engine.publish(GatewayState.of(2, List.of(api("orders", "/orders", "missing", ""))));

        ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(5, TimeUnit.SECONDS));
        assertInstanceOf(ValidationException.class, e.getCause());
        assertSame(serving, engine.current());
        assertEquals(1, engine.state().revision());
    }

    @Test
    void should_locate_problem_in_publish_failure_when_policy_type_is_unknown() throws Exception {
        CompletableFuture<RouteTable> failed =
            engine.publish(GatewayState.of(1, List.of(api("orders", "/orders", "missing", ""))));

        ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(5, TimeUnit.SECONDS));
        List<Problem> problems = ((ValidationException) e.getCause()).problems();
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).path().endsWith("policies[0].type"), problems.get(0).path());
        assertTrue(problems.get(0).path().contains("orders"), problems.get(0).path());
    }

    // ---- validate --------------------------------------------------------------------------

    @Test
    void should_report_unknown_policy_type_with_its_path() throws Exception {
        List<ApiDefinition> apis = List.of(api("orders", "/orders", "missing", ""));

        ValidationException e = assertThrows(ValidationException.class, () -> engine.validate(apis));

        assertEquals(List.of("policies[0].type"), paths(e));
        assertTrue(e.problems().get(0).message().contains("missing"), e.problems().get(0).message());
    }

    @Test
    void should_append_policy_relative_path_when_factory_rejects_config() throws Exception {
        bind(new FakeFactory("limit"));
        List<ApiDefinition> apis = List.of(api("orders", "/orders", "limit", "max: many\nbad: true"));

        ValidationException e = assertThrows(ValidationException.class, () -> engine.validate(apis));

        assertEquals(List.of("policies[0].max", "policies[0]"), paths(e));
        assertEquals("must be an integer", e.problems().get(0).message());
    }

    @Test
    void should_prefix_api_index_when_several_apis_are_validated() throws Exception {
        bind(new FakeFactory("limit"));
        List<ApiDefinition> apis = List.of(api("a", "/a", "limit", "max: 1"), api("b", "/b", "limit", "max: x"),
            api("c", "/c", "nope", ""));

        ValidationException e = assertThrows(ValidationException.class, () -> engine.validate(apis));

        assertEquals(List.of("[1].policies[0].max", "[2].policies[0].type"), paths(e));
    }

    @Test
    void should_compile_each_shape_of_a_split_as_its_own_upstream_chain_and_counters() throws Exception {
        bind(new FakeFactory("limit"));
        ApiDefinition api = parse("""
            id: pricing
            basePath: /pricing
            upstream: {url: 'http://127.0.0.1:9000/v1'}
            policies: [{type: limit, max: 1}]
            split: {stickyBy: ip, to: [{shape: v2, weight: 5%}]}
            shapes: {v2: {upstream: {url: 'http://127.0.0.1:9002'}, policies: [{type: limit, max: 2}]}}
            """);
        publish(GatewayState.of(1, List.of(api)));

        Route main = engine.current().match("/pricing");
        assertEquals("main", main.shape());
        assertEquals(1, main.policyCount());
        Route v2 = main.split().shapes().get(0);
        assertEquals("v2", v2.shape());
        assertEquals(9002, v2.upstream().port());
        assertEquals(2, v2.policyCount());
        assertSame(main.policy(0), v2.policy(0)); // the API's own instance, shared
        assertEquals(2L, ((FakePolicy) v2.policy(1)).config.get("max"));
        assertNotSame(main.metrics(), v2.metrics());
        assertEquals("v2", v2.metrics().shape());
        assertEquals("", main.metrics().shape());
        assertEquals(2, engine.apiMetrics().size());
        assertEquals(List.of(main), engine.current().routes());

        // an API without split: no shape stamped, nothing to choose
        publish(GatewayState.of(2, List.of(api("pricing", "/pricing"))));
        assertNull(engine.current().match("/pricing").shape());
        assertNull(engine.current().match("/pricing").split());
    }

    @Test
    void should_report_a_shape_policy_or_upstream_problem_at_its_path() throws Exception {
        bind(new FakeFactory("limit"));
        ApiDefinition api = parse("""
            id: pricing
            basePath: /pricing
            upstream: {url: 'http://127.0.0.1:9000/v1'}
            split: {stickyBy: ip, to: [{shape: v2, weight: 5%}]}
            shapes: {v2: {upstream: {url: 'http://127.0.0.1:9002'}, policies: [{type: limit, max: x}, {type: nope}]}}
            """);

        ValidationException e = assertThrows(ValidationException.class, () -> engine.validate(List.of(api)));

        assertEquals(List.of("shapes.v2.policies[0].max", "shapes.v2.policies[1].type"), paths(e));
    }

    @Test
    void should_accept_valid_policies() throws Exception {
        bind(new FakeFactory("limit"));

        engine.validate(List.of(api("a", "/a", "limit", "max: 1"), api("b", "/b")));
    }

    @Test
    void should_report_factory_failure_as_problem_at_the_policy() throws Exception {
        FakeFactory factory = new FakeFactory("limit");
        factory.explode = true;
        bind(factory);

        ValidationException e = assertThrows(ValidationException.class,
            () -> engine.validate(List.of(api("a", "/a", "limit", "max: 1"))));

        assertEquals(List.of("policies[0]"), paths(e));
    }

    // ---- policy instances ------------------------------------------------------------------

    @Test
    void should_reuse_policy_instance_when_spec_and_factory_are_unchanged() throws Exception {
        bind(new FakeFactory("limit"));
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5"))));
        Policy before = engine.current().match("/orders").policy(0);

        publish(GatewayState.of(2, List.of(api("orders", "/orders", "limit", "max: 5"), api("b", "/b", "limit", "max: 6"))));

        assertSame(before, engine.current().match("/orders").policy(0));
        assertNotSame(before, engine.current().match("/b").policy(0));
    }

    @Test
    void should_create_new_policy_instance_when_spec_changes() throws Exception {
        bind(new FakeFactory("limit"));
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5"))));
        Policy before = engine.current().match("/orders").policy(0);

        publish(GatewayState.of(2, List.of(api("orders", "/orders", "limit", "max: 7"))));

        Policy after = engine.current().match("/orders").policy(0);
        assertNotSame(before, after);
        assertEquals(7L, ((FakePolicy) after).config.get("max"));
    }

    @Test
    void should_keep_old_policy_serving_and_degrade_when_factory_unbinds() throws Exception {
        FakeFactory factory = new FakeFactory("limit");
        ServiceReference<PolicyFactory> ref = bind(factory);
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5"))));
        ready();
        assertEquals(NodeState.READY, engine.nodeState());
        Policy serving = engine.current().match("/orders").policy(0);
        long generation = engine.current().generation();

        engine.unbindPolicyFactory(factory, ref);

        await().atMost(WAIT).until(() -> engine.nodeState() == NodeState.DEGRADED);
        assertTrue(engine.current().generation() > generation);
        assertEquals(1, engine.current().revision());
        assertSame(serving, engine.current().match("/orders").policy(0));
        assertTrue(engine.plugins().contains(new PluginInfo("limit", "(removed, last instance serving)", "", false)),
            engine.plugins()::toString);
    }

    @Test
    void should_recompile_with_new_instance_and_be_ready_when_new_factory_binds() throws Exception {
        FakeFactory oldFactory = new FakeFactory("limit");
        ServiceReference<PolicyFactory> oldRef = bind(oldFactory);
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5"))));
        ready();
        Policy old = engine.current().match("/orders").policy(0);
        engine.unbindPolicyFactory(oldFactory, oldRef);
        await().atMost(WAIT).until(() -> engine.nodeState() == NodeState.DEGRADED);

        FakeFactory newFactory = new FakeFactory("limit");
        bind(newFactory);

        await().atMost(WAIT).until(() -> engine.nodeState() == NodeState.READY);
        Policy replacement = engine.current().match("/orders").policy(0);
        assertNotSame(old, replacement);
        assertSame(newFactory, ((FakePolicy) replacement).factory);
        assertEquals(List.of(new PluginInfo("limit", "unknown", "0", true)), engine.plugins());
    }

    @Test
    void should_switch_to_higher_ranked_factory_when_it_binds() throws Exception {
        FakeFactory low = new FakeFactory("limit");
        bind(low);
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5"))));
        long generation = engine.current().generation();

        FakeFactory high = new FakeFactory("limit");
        bind(high, 10);

        await().atMost(WAIT).until(() -> engine.current().generation() > generation);
        assertSame(high, ((FakePolicy) engine.current().match("/orders").policy(0)).factory);
    }

    @Test
    void should_ignore_factory_changes_of_types_no_api_uses() throws Exception {
        publish(GatewayState.of(1, List.of(api("a", "/a"))));
        RouteTable serving = engine.current();
        FakeFactory factory = new FakeFactory("limit");

        ServiceReference<PolicyFactory> ref = bind(factory);
        engine.unbindPolicyFactory(factory, ref);
        publish(GatewayState.of(1, List.of(api("a", "/a")))); // runs after both rebuild tasks

        assertSame(serving, engine.current());
    }

    // ---- policy types being replaced -------------------------------------------------------

    @Test
    void should_report_a_type_pending_after_its_factory_unbinds_and_provided_once_it_binds_again() {
        FakeFactory factory = new FakeFactory("limit");
        ServiceReference<PolicyFactory> ref = bind(factory);
        assertEquals(TypeStatus.PROVIDED, engine.typeStatus("limit"));

        engine.unbindPolicyFactory(factory, ref);

        assertEquals(TypeStatus.PENDING, engine.typeStatus("limit"));
        assertEquals(List.of("limit"), engine.pendingPlugins().stream().map(PluginInfo::type).toList());
        assertTrue(engine.plugins().isEmpty(), engine.plugins()::toString);
        bind(new FakeFactory("limit"));
        assertEquals(TypeStatus.PROVIDED, engine.typeStatus("limit"));
        assertEquals(List.of(), engine.pendingPlugins());
    }

    @Test
    void should_not_wait_for_a_type_that_was_never_provided() throws Exception {
        long start = System.nanoTime();

        Set<String> missing = engine.awaitTypes(List.of("typo"), Duration.ofSeconds(10)).get(1, TimeUnit.SECONDS);
        ValidationException e = assertThrows(ValidationException.class,
            () -> engine.validate(List.of(api("orders", "/orders", "typo", ""))));

        assertEquals(Set.of("typo"), missing);
        assertEquals(TypeStatus.ABSENT, engine.typeStatus("typo"));
        assertEquals("no installed bundle provides policy type 'typo'", e.problems().get(0).message());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "a typo is refused at once");
    }

    @Test
    void should_say_in_a_validation_problem_that_a_type_is_being_replaced() throws Exception {
        FakeFactory factory = new FakeFactory("limit");
        engine.unbindPolicyFactory(factory, bind(factory));

        ValidationException e = assertThrows(ValidationException.class,
            () -> engine.validate(List.of(api("orders", "/orders", "limit", "max: 1"))));

        assertTrue(e.problems().get(0).message().contains("being installed or replaced"), e.problems()::toString);
    }

    @Test
    void should_complete_a_wait_for_a_pending_type_once_it_binds() throws Exception {
        FakeFactory factory = new FakeFactory("limit");
        engine.unbindPolicyFactory(factory, bind(factory));
        CompletableFuture<Set<String>> wait = engine.awaitTypes(List.of("limit"), Duration.ofSeconds(10));

        await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> !wait.isDone());
        bind(new FakeFactory("limit"));

        assertEquals(Set.of(), wait.get(1, TimeUnit.SECONDS));
    }

    @Test
    void should_publish_a_revision_that_needs_a_pending_type_once_the_type_is_back() throws Exception {
        FakeFactory old = new FakeFactory("limit");
        ServiceReference<PolicyFactory> ref = bind(old);
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5"))));
        engine.unbindPolicyFactory(old, ref);

        CompletableFuture<RouteTable> waiting = engine.publish(GatewayState.of(2, List.of(api("orders", "/orders", "limit", "max: 7"))));

        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !waiting.isDone());
        assertEquals(1, engine.current().revision());
        FakeFactory replacement = new FakeFactory("limit");
        bind(replacement);
        RouteTable table = waiting.get(5, TimeUnit.SECONDS);
        assertEquals(2, table.revision());
        assertEquals(2, engine.current().revision());
        assertSame(replacement, ((FakePolicy) table.match("/orders").policy(0)).factory);
        assertEquals(7L, ((FakePolicy) table.match("/orders").policy(0)).config.get("max"));
    }

    @Test
    void should_fail_a_publish_when_a_pending_type_does_not_come_back_within_the_wait() throws Exception {
        EngineComponent shortWait = new EngineComponent(Duration.ofMillis(400));
        shortWait.activate(null);
        try {
            FakeFactory factory = new FakeFactory("limit");
            shortWait.unbindPolicyFactory(factory, bind(shortWait, factory, null, null));
            long start = System.nanoTime();

            CompletableFuture<RouteTable> failed = shortWait.publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", ""))));

            ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(5, TimeUnit.SECONDS));
            assertInstanceOf(ValidationException.class, e.getCause());
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs >= 300 && tookMs < 4000, "failed after " + tookMs + " ms");
            assertEquals(TypeStatus.ABSENT, shortWait.typeStatus("limit"));
        } finally {
            shortWait.deactivate();
        }
    }

    @Test
    void should_report_a_type_absent_at_once_when_its_bundle_is_stopped_on_purpose() {
        FakeFactory factory = new FakeFactory("limit");
        ServiceReference<PolicyFactory> ref = bind(engine, factory, null, stoppingBundle(false));

        engine.unbindPolicyFactory(factory, ref);

        assertEquals(TypeStatus.ABSENT, engine.typeStatus("limit"));
    }

    @Test
    void should_report_a_type_pending_when_its_bundle_is_stopped_for_an_update() {
        FakeFactory factory = new FakeFactory("limit");
        ServiceReference<PolicyFactory> ref = bind(engine, factory, null, stoppingBundle(true));

        engine.unbindPolicyFactory(factory, ref);

        assertEquals(TypeStatus.PENDING, engine.typeStatus("limit"));
        assertEquals(List.of(new PluginInfo("limit", "dev.example.limit", "1.2.3", false)), engine.pendingPlugins());
    }

    // ---- retire and node state -------------------------------------------------------------

    @Test
    void should_retire_replaced_table_only_after_its_requests_finished() throws Exception {
        publish(GatewayState.of(1, List.of(api("a", "/a"))));
        await().atMost(WAIT).until(() -> engine.stats().retired() == 1 && engine.stats().tablesInFlight() == 0);
        RouteTable old = engine.current();
        old.acquire();

        publish(GatewayState.of(2, List.of(api("a", "/a"), api("b", "/b"))));

        await().atMost(WAIT).during(Duration.ofMillis(400))
            .until(() -> engine.stats().retired() == 1 && engine.stats().tablesInFlight() == 1);
        old.release();
        await().atMost(WAIT).until(() -> engine.stats().retired() == 2 && engine.stats().tablesInFlight() == 0);
    }

    @Test
    void should_forget_the_counters_and_series_of_deleted_apis_and_shapes_once_their_tables_drained() throws Exception {
        ApiDefinition split = parse("""
            id: pricing
            basePath: /pricing
            upstream: {url: 'http://127.0.0.1:9000/v1'}
            split: {stickyBy: ip, to: [{shape: v2, weight: 5%}]}
            shapes: {v2: {upstream: {url: 'http://127.0.0.1:9002'}}}
            """);
        publish(GatewayState.of(1, List.of(api("a", "/a"), api("b", "/b"), split)));
        assertEquals(java.util.Set.of("a", "b", "pricing"), apiIds());
        assertEquals(4, engine.series().keys().size(), engine.series().keys().toString()); // a, b, pricing, pricing/v2
        RouteTable old = engine.current();
        old.acquire(); // a request still running on the table that serves b

        // b deleted, pricing's v2 shape removed
        publish(GatewayState.of(2, List.of(api("a", "/a"), api("pricing", "/pricing"))));
        await().atMost(WAIT).during(Duration.ofMillis(300)).until(() -> apiIds().contains("b"));
        old.release();
        await().atMost(WAIT).until(() -> apiIds().equals(java.util.Set.of("a", "pricing")));
        assertEquals(List.of(new dev.meridian.core.series.Key("a", ""), new dev.meridian.core.series.Key("pricing", "")),
            engine.series().keys());
        assertEquals(2, engine.apiMetrics().size());

        // past the series' bound over time: each API replacing the last, once the last's table
        // drained (an API compiled while 32 are kept shares "other" until it goes; README)
        for (int i = 0; i < dev.meridian.core.series.SeriesBook.MAX_SERIES + 8; i++) {
            publish(GatewayState.of(3 + i, List.of(api("a", "/a"), api("api-" + i, "/x" + i))));
            await().atMost(WAIT).until(() -> engine.series().keys().size() == 2);
        }
        assertEquals(List.of(new dev.meridian.core.series.Key("a", ""),
            new dev.meridian.core.series.Key("api-" + (dev.meridian.core.series.SeriesBook.MAX_SERIES + 7), "")),
            engine.series().keys());
        assertSame(engine.current().match("/x" + (dev.meridian.core.series.SeriesBook.MAX_SERIES + 7)).metrics().series(),
            engine.series().series("api-" + (dev.meridian.core.series.SeriesBook.MAX_SERIES + 7), ""),
            "the newest API records into a series of its own, not the shared one");
    }

    private java.util.Set<String> apiIds() {
        return engine.apiMetrics().stream().map(dev.meridian.core.ApiMetrics::apiId)
            .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void should_be_starting_until_marked_ready_and_traffic_port_is_open() {
        assertEquals(NodeState.STARTING, engine.nodeState());

        engine.markReady();
        assertEquals(NodeState.STARTING, engine.nodeState());

        engine.trafficPortOpen(true);
        assertEquals(NodeState.READY, engine.nodeState());
    }

    @Test
    void should_turn_ready_only_once_every_step_before_readiness_completed_with_the_published_table() throws Exception {
        publish(GatewayState.of(1, List.of(api("a", "/a"))));
        engine.trafficPortOpen(true);
        CompletableFuture<Void> pools = new CompletableFuture<>();
        List<RouteTable> seen = new ArrayList<>();
        Runnable removal = engine.beforeReady(table -> {
            seen.add(table);
            return pools;
        });

        engine.markReady();
        assertEquals(NodeState.STARTING, engine.nodeState(), "held while the step runs");
        assertEquals(1, seen.size());
        assertSame(engine.current(), seen.get(0), "the step sees the table the node serves");

        pools.completeExceptionally(new IllegalStateException("upstream down")); // however it ends
        await().atMost(WAIT).until(() -> engine.nodeState() == NodeState.READY);

        removal.run();
        engine.markReady();
        assertEquals(1, seen.size(), "a removed step is not run");
    }

    @Test
    void should_be_starting_when_traffic_port_closes_again() {
        ready();

        engine.trafficPortOpen(false);

        assertEquals(NodeState.STARTING, engine.nodeState());
    }

    @Test
    void should_be_draining_once_draining_started() {
        ready();

        engine.startDraining();
        engine.markReady();
        engine.trafficPortOpen(true);

        assertEquals(NodeState.DRAINING, engine.nodeState());
    }

    @Test
    void should_count_unmatched_requests_and_keep_metrics_per_api() throws Exception {
        publish(GatewayState.of(1, List.of(api("a", "/a"))));
        engine.countUnmatched();
        engine.countUnmatched();

        assertEquals(2, engine.stats().unmatched());
        assertSame(engine.current().match("/a").metrics(), engine.apiMetrics().iterator().next());
        publish(GatewayState.of(2, List.of(api("a", "/a"), api("b", "/b"))));
        assertEquals(2, engine.apiMetrics().size());
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** Startup complete and the data plane listening. */
    private void ready() {
        engine.markReady();
        engine.trafficPortOpen(true);
    }

    // ---- listeners and building once ----------------------------------------------------------

    @Test
    void should_tell_a_listener_of_the_current_table_then_of_every_swap_on_the_engine_thread() throws Exception {
        bind(new FakeFactory("limit"));
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 1"))));
        java.util.concurrent.BlockingQueue<String> told = new java.util.concurrent.LinkedBlockingQueue<>();
        dev.meridian.core.TableListener listener = (table, state) ->
            told.add(table.revision() + "/" + state.revision() + "@" + Thread.currentThread().getName());

        engine.addListener(listener);
        assertEquals("1/1@meridian-engine", told.poll(5, TimeUnit.SECONDS));
        publish(GatewayState.of(2, List.of(api("orders", "/orders", "limit", "max: 2"))));
        assertEquals("2/2@meridian-engine", told.poll(5, TimeUnit.SECONDS));

        engine.removeListener(listener);
        publish(GatewayState.of(3, List.of(api("orders", "/orders", "limit", "max: 3"))));
        assertEquals(null, told.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    void should_tell_listeners_when_the_node_state_or_the_policy_types_change() throws Exception {
        java.util.concurrent.atomic.AtomicInteger changes = new java.util.concurrent.atomic.AtomicInteger();
        engine.addListener(new dev.meridian.core.TableListener() {
            @Override
            public void swapped(RouteTable table, GatewayState state) {
            }

            @Override
            public void nodeChanged() {
                changes.incrementAndGet();
            }
        });
        engine.markReady();
        await().atMost(WAIT).until(() -> changes.get() >= 1);
        bind(new FakeFactory("limit"));
        await().atMost(WAIT).until(() -> changes.get() >= 2);
        engine.startDraining();
        await().atMost(WAIT).until(() -> changes.get() >= 3);
    }

    @Test
    void should_keep_telling_other_listeners_when_one_throws() throws Exception {
        java.util.concurrent.BlockingQueue<Long> told = new java.util.concurrent.LinkedBlockingQueue<>();
        engine.addListener((table, state) -> {
            throw new IllegalStateException("listener bug");
        });
        engine.addListener((table, state) -> told.add(table.revision()));
        assertEquals(0L, told.poll(5, TimeUnit.SECONDS));
        publish(GatewayState.of(1, List.of(api("a", "/a"))));
        assertEquals(1L, told.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void should_build_each_policy_once_when_a_validated_state_is_published() throws Exception {
        CountingFactory factory = new CountingFactory("limit");
        bind(factory);
        ApiDefinition orders = api("orders", "/orders", "limit", "max: 5");

        engine.validate(List.of(orders));
        RouteTable table = publish(GatewayState.of(1, List.of(orders)));

        assertEquals(1, factory.created.get(), "validate built it, the publish took that instance");
        assertSame(factory.last, table.match("/orders").policy(0));
    }

    @Test
    void should_build_again_when_the_factory_changed_between_validate_and_publish() throws Exception {
        CountingFactory first = new CountingFactory("limit");
        ServiceReference<PolicyFactory> ref = bind(first);
        ApiDefinition orders = api("orders", "/orders", "limit", "max: 5");
        engine.validate(List.of(orders));
        engine.unbindPolicyFactory(first, ref);
        CountingFactory second = new CountingFactory("limit");
        bind(second);

        RouteTable table = publish(GatewayState.of(1, List.of(orders)));

        assertSame(second.last, table.match("/orders").policy(0), "never an instance of a factory that went away");
    }

    // ---- the factories' contexts (SPI 1.2)

    @Test
    void should_create_with_the_factory_context_at_validate_and_at_publish() throws Exception {
        engine.deactivate();
        Clock clock = Clock.fixed(Instant.parse("2026-12-03T05:00:00Z"), ZoneOffset.UTC);
        engine = new EngineComponent(WAIT, SecretResolver.NONE, clock, "node-7");
        engine.activate(null);
        ContextFactory limit = new ContextFactory("limit");
        ContextFactory other = new ContextFactory("other");
        bind(limit);
        bind(other);

        engine.validate(List.of(api("orders", "/orders", "limit", "max: 5")));
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 6"), api("b", "/b", "other", "max: 1"))));

        assertEquals(2, limit.contexts.size(), "the dry run and the publish");
        assertSame(limit.contexts.get(0), limit.contexts.get(1), "one context per factory, dry runs included");
        assertNotSame(limit.contexts.get(0), other.contexts.get(0));
        PolicyContext context = limit.contexts.get(0);
        assertSame(clock, context.clock());
        assertEquals("node-7", context.nodeName());
        assertEquals(0, context.consumers().size(), "a state without consumers");
    }

    @Test
    void should_cancel_the_timers_of_a_factory_when_it_unbinds_and_give_its_successor_a_new_context() throws Exception {
        ContextFactory first = new ContextFactory("limit");
        ServiceReference<PolicyFactory> ref = bind(first);
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5"))));
        Future<?> timer = first.contexts.get(0).scheduler().every(Duration.ofMillis(5), () -> { });

        engine.unbindPolicyFactory(first, ref); // its bundle is being updated
        ContextFactory second = new ContextFactory("limit");
        bind(second);
        await().atMost(WAIT).until(() -> second.contexts.size() == 1); // the chain is rebuilt with the new factory

        assertTrue(timer.isCancelled(), "a replaced bundle leaves no timer");
        assertNotSame(first.contexts.get(0), second.contexts.get(0));
        assertTrue(second.contexts.get(0).scheduler().every(Duration.ofHours(1), () -> { }).cancel(false),
            "the successor's scheduler schedules");
    }

    @Test
    void should_fail_a_context_call_clearly_until_the_services_are_bound() throws Exception {
        ContextFactory factory = new ContextFactory("limit");
        bind(factory);
        publish(GatewayState.of(1, List.of(api("orders", "/orders", "limit", "max: 5"))));
        PolicyContext context = factory.contexts.get(0);
        OutboundRequest get = OutboundRequest.get(URI.create("https://idp.example/jwks"));

        ExecutionException noHttp = assertThrows(ExecutionException.class,
            () -> context.http().send(get).toCompletableFuture().get(5, TimeUnit.SECONDS));
        ExecutionException noState = assertThrows(ExecutionException.class,
            () -> context.state("limit.counters").get("k").toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertTrue(noHttp.getCause().getMessage().contains("gateway-http is not running"), noHttp.getCause().getMessage());
        assertTrue(noState.getCause().getMessage().contains("gateway-cluster is not running"), noState.getCause().getMessage());

        OutboundHttp http = request -> CompletableFuture.completedFuture(new OutboundResponse(200, Map.of(), new byte[0]));
        engine.bindOutboundHttp(http);
        assertEquals(200, context.http().send(get).toCompletableFuture().get(5, TimeUnit.SECONDS).status());
        engine.unbindOutboundHttp(http);
        assertThrows(ExecutionException.class, () -> context.http().send(get).toCompletableFuture().get(5, TimeUnit.SECONDS));
    }

    @Test
    void should_refuse_at_validation_a_policy_whose_order_throws() throws Exception {
        ContextFactory factory = new ContextFactory("limit");
        factory.brokenOrder = true;
        bind(factory);

        ValidationException e = assertThrows(ValidationException.class,
            () -> engine.validate(List.of(api("orders", "/orders", "limit", "max: 5"))));

        assertEquals(List.of("policies[0]"), paths(e));
        assertTrue(e.problems().get(0).message().contains("failed to build"), e.problems().get(0).message());
    }

    /** A 1.2 factory: records the context of every create. */
    private static final class ContextFactory extends FakeFactory {
        final List<PolicyContext> contexts = new CopyOnWriteArrayList<>();
        volatile boolean brokenOrder;

        ContextFactory(String type) {
            super(type);
        }

        @Override
        public Policy create(Map<String, Object> config, PolicyContext context) throws PolicyConfigException {
            contexts.add(context);
            Policy p = create(config);
            if (!brokenOrder) {
                return p;
            }
            return new Policy() {
                @Override
                public int order() {
                    throw new IllegalStateException("no order");
                }
            };
        }
    }

    private static final class CountingFactory extends FakeFactory {
        final java.util.concurrent.atomic.AtomicInteger created = new java.util.concurrent.atomic.AtomicInteger();
        volatile Policy last;

        CountingFactory(String type) {
            super(type);
        }

        @Override
        public Policy create(Map<String, Object> config) throws PolicyConfigException {
            created.incrementAndGet();
            Policy p = super.create(config);
            last = p;
            return p;
        }
    }

    private RouteTable publish(GatewayState state) throws Exception {
        return engine.publish(state).get(5, TimeUnit.SECONDS);
    }

    private ServiceReference<PolicyFactory> bind(FakeFactory factory) {
        return bind(factory, null);
    }

    private ServiceReference<PolicyFactory> bind(FakeFactory factory, Integer ranking) {
        return bind(engine, factory, ranking, null);
    }

    private ServiceReference<PolicyFactory> bind(EngineComponent target, FakeFactory factory, Integer ranking, Bundle bundle) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(PolicyFactory.TYPE_PROPERTY, factory.type());
        props.put(Constants.SERVICE_ID, nextServiceId++);
        if (ranking != null) {
            props.put(Constants.SERVICE_RANKING, ranking);
        }
        FakeReference ref = new FakeReference(props, bundle);
        target.bindPolicyFactory(factory, ref);
        return ref;
    }

    /** A bundle in STOPPING: {@code persistentlyStarted} false is {@code bundle:stop}, true an update or refresh. */
    private static Bundle stoppingBundle(boolean persistentlyStarted) {
        BundleStartLevel level = (BundleStartLevel) Proxy.newProxyInstance(EngineComponentTest.class.getClassLoader(),
            new Class<?>[] {BundleStartLevel.class}, (proxy, method, args) -> switch (method.getName()) {
                case "isPersistentlyStarted" -> persistentlyStarted;
                default -> throw new UnsupportedOperationException(method.getName());
            });
        return (Bundle) Proxy.newProxyInstance(EngineComponentTest.class.getClassLoader(), new Class<?>[] {Bundle.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "getState" -> Bundle.STOPPING;
                case "getSymbolicName" -> "dev.example.limit";
                case "getVersion" -> new Version(1, 2, 3);
                case "adapt" -> args[0] == BundleStartLevel.class ? level : null;
                case "hashCode" -> 1;
                case "equals" -> proxy == args[0];
                case "toString" -> "dev.example.limit";
                default -> throw new UnsupportedOperationException(method.getName());
            });
    }

    private static List<String> paths(ValidationException e) {
        return e.problems().stream().map(Problem::path).toList();
    }

    private static ApiDefinition api(String id, String basePath) throws DefinitionException {
        return parse("id: " + id + "\nbasePath: " + basePath + "\nupstream: {url: 'http://127.0.0.1:9000/v1'}\n");
    }

    /** One API with one policy; {@code config} is YAML lines of the policy entry besides its type. */
    private static ApiDefinition api(String id, String basePath, String type, String config) throws DefinitionException {
        StringBuilder yaml = new StringBuilder("id: " + id + "\nbasePath: " + basePath
            + "\nupstream: {url: 'http://127.0.0.1:9000/v1'}\npolicies:\n  - type: " + type + "\n");
        config.lines().filter(l -> !l.isBlank()).forEach(l -> yaml.append("    ").append(l).append('\n'));
        return parse(yaml.toString());
    }

    private static ApiDefinition parse(String yaml) throws DefinitionException {
        return DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
    }

    /** Accepts an optional integer {@code max}; {@code bad} is a problem of the whole entry. */
    private static class FakeFactory implements PolicyFactory {
        private final String type;
        volatile boolean explode;

        FakeFactory(String type) {
            this.type = type;
        }

        @Override
        public String type() {
            return type;
        }

        @Override
        public Policy create(Map<String, Object> config) throws PolicyConfigException {
            if (explode) {
                throw new IllegalStateException("boom");
            }
            List<PolicyConfigException.Problem> problems = new ArrayList<>();
            Object max = config.get("max");
            if (max != null && !(max instanceof Long)) {
                problems.add(new PolicyConfigException.Problem("max", "must be an integer"));
            }
            if (config.containsKey("bad")) {
                problems.add(new PolicyConfigException.Problem("", "this entry is bad"));
            }
            if (!problems.isEmpty()) {
                throw new PolicyConfigException(problems);
            }
            return new FakePolicy(this, config);
        }
    }

    private static final class FakePolicy implements Policy {
        final FakeFactory factory;
        final Map<String, Object> config;

        FakePolicy(FakeFactory factory, Map<String, Object> config) {
            this.factory = factory;
            this.config = config;
        }
    }

    /** The service properties DS hands to a bind method, and the providing bundle (or none). */
    private static final class FakeReference implements ServiceReference<PolicyFactory> {
        private final Hashtable<String, Object> props;
        private final Bundle bundle;

        FakeReference(Hashtable<String, Object> props, Bundle bundle) {
            this.props = props;
            this.bundle = bundle;
        }

        @Override
        public Object getProperty(String key) {
            return props.get(key);
        }

        @Override
        public String[] getPropertyKeys() {
            return props.keySet().toArray(new String[0]);
        }

        @Override
        public Bundle getBundle() {
            return bundle;
        }

        @Override
        public Bundle[] getUsingBundles() {
            return null;
        }

        @Override
        public boolean isAssignableTo(Bundle bundle, String className) {
            return true;
        }

        @Override
        public int compareTo(Object other) {
            return Long.compare((Long) ((FakeReference) other).props.get(Constants.SERVICE_ID),
                (Long) props.get(Constants.SERVICE_ID));
        }

        @Override
        public Dictionary<String, Object> getProperties() {
            return new Hashtable<>(props);
        }

        @Override
        public <A> A adapt(Class<A> type) {
            return null;
        }
    }
}
