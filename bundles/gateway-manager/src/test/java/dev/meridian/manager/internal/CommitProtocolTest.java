package dev.meridian.manager.internal;

import static dev.meridian.manager.internal.TestDefinitions.api;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.core.Canary;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayState;
import dev.meridian.core.NodeState;
import dev.meridian.core.PluginInfo;
import dev.meridian.core.RouteTable;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;
import dev.meridian.manager.GatewayAdmin.Actor;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.CanaryPolicy;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.DefinitionException;

/**
 * The commit protocol over an in-memory revision log that keeps RevisionLog's contract (the
 * first to store a number commits it; the change is computed again on top of a newer one) and an
 * engine that publishes at once: a change computed again on a revision committed elsewhere keeps
 * both, a stale If-Match is refused, an equal apply makes no revision, and the committed
 * revision is the adopter's newest without being parsed back.
 */
class CommitProtocolTest {

    private static final Actor ACTOR = new Actor("admin", "test");

    @TempDir
    Path dir;

    private final MemoryLog log = new MemoryLog();
    private final AtomicReference<RouteTable> served = new AtomicReference<>(RouteTable.empty());
    private RevisionAdopter adopter;
    private DurableHistory history;
    private CommitProtocol protocol;

    @BeforeEach
    void wire() throws Exception {
        GatewayEngine engine = (GatewayEngine) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {GatewayEngine.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "publish" -> {
                    GatewayState s = (GatewayState) args[0];
                    served.set(new RouteTable(s.revision(), s.revision(), List.of()));
                    yield CompletableFuture.completedFuture(served.get());
                }
                case "current" -> served.get();
                case "validate", "checkSecrets", "addListener", "removeListener" -> null;
                case "typeStatus" -> GatewayEngine.TypeStatus.PROVIDED;
                case "awaitTypes" -> CompletableFuture.completedFuture(Set.of());
                case "plugins" -> List.of(new PluginInfo("set-headers", "b", "1", true));
                case "pendingPlugins" -> List.of();
                case "nodeState" -> NodeState.READY;
                default -> throw new UnsupportedOperationException(method.getName());
            });
        NodeStatusReporter status = new NodeStatusReporter();
        Field f = NodeStatusReporter.class.getDeclaredField("engine");
        f.setAccessible(true);
        f.set(status, engine);
        ManagerMetrics metrics = new ManagerMetrics();
        history = new DurableHistory(new RevisionStore(dir), log);
        adopter = new RevisionAdopter(engine, history, status, metrics, new LastServed());
        protocol = new CommitProtocol(log, adopter, new TypeChecks(engine, status, Duration.ofSeconds(1)), metrics);
    }

    private static UnaryOperator<GatewayState> put(ApiDefinition api) {
        return base -> {
            Map<String, ApiDefinition> next = new LinkedHashMap<>(base.apis());
            next.put(api.id(), api);
            return new GatewayState(base.revision(), next);
        };
    }

    /** A revision as another node would have committed it. */
    private static String elsewhere(long revision, ApiDefinition... apis) {
        return ParsedRevision.of(new RevisionInfo(revision, Instant.parse("2030-01-01T00:00:00Z"), "other", "node-2",
            List.of(), List.of(), List.of()), GatewayState.of(revision, List.of(apis))).committed().payload();
    }

    @Test
    void should_compute_again_on_top_of_a_revision_another_node_committed_first() throws Exception {
        ApiDefinition b = api("b", "/b");
        log.before = () -> log.revisions.putIfAbsent(1L, elsewhere(1, b)); // lands between compute and store

        Change change = protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());

        assertEquals(2, change.revision());
        assertEquals(List.of("a"), change.added());
        assertEquals(Set.of("a", "b"), adopter.newest().state().apis().keySet());
        assertEquals(2, served.get().revision());
        assertEquals(2, history.latest(), "revision 2 and the one it was computed from are on disk");
        assertTrue(history.load(1).isPresent());
        assertEquals(2, log.attempts);
    }

    @Test
    void should_refuse_a_stale_if_match_with_409_and_commit_nothing() throws Exception {
        protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());

        AdminException e = assertThrows(AdminException.class,
            () -> protocol.commit(put(api("b", "/b")), ACTOR, OptionalLong.of(7)));

        assertEquals(409, e.status());
        assertEquals(1, log.revisions.size());
    }

    @Test
    void should_refuse_with_507_and_commit_nothing_when_the_revision_dir_cannot_be_written_then_recover() throws Exception {
        protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());
        Path moved = dir.resolveSibling(dir.getFileName() + "-away");
        Files.move(dir, moved);
        Files.writeString(dir, "not a directory"); // every write under it fails

        AdminException e = assertThrows(AdminException.class,
            () -> protocol.commit(put(api("b", "/b")), ACTOR, OptionalLong.empty()));

        assertEquals(507, e.status());
        assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());
        assertEquals(1, log.revisions.size(), "nothing committed to the cluster");
        assertEquals(1, served.get().revision(), "nothing published to the engine");
        assertEquals(1, adopter.newest().number());

        Files.delete(dir);
        Files.move(moved, dir);
        Change change = protocol.commit(put(api("b", "/b")), ACTOR, OptionalLong.empty());

        assertEquals(2, change.revision(), "no gap");
        assertEquals(2, history.latest());
    }

    @Test
    void should_answer_the_current_revision_unchanged_when_nothing_changes() throws Exception {
        protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());

        Change again = protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());

        assertFalse(again.changed());
        assertEquals(1, again.revision());
        assertEquals(1, log.revisions.size());
    }

    @Test
    void should_hold_the_committed_revision_parsed_without_reading_it_back() throws Exception {
        protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());
        ParsedRevision newest = adopter.newest();

        assertSame(newest, adopter.read(new CommittedRevision(1, new String(log.revisions.get(1L)))),
            "the base of the next change is the object committed, not a parse of its payload");
        assertEquals(log.revisions.get(1L), newest.committed().payload());
    }

    /** RevisionLog's contract in memory: compute from the newest, the first to store a number wins. */
    // ---- canaries (CONTRACT §8)

    private static final Actor CANARY = ACTOR.asCanary(canaryPolicy("5%"));

    private static CanaryPolicy canaryPolicy(String share) {
        try {
            return CanaryPolicy.parse(Map.of("canary", share, "stickyBy", "header:X-User", "window", "30s"));
        } catch (DefinitionException e) {
            throw new AssertionError(e);
        }
    }

    private static UnaryOperator<GatewayState> consumer(String id) {
        return base -> {
            Map<String, ConsumerDefinition> next = new LinkedHashMap<>(base.consumers());
            next.put(id, new ConsumerDefinition(id, Set.of(), List.of()));
            return base.withConsumers(next);
        };
    }

    @Test
    void should_commit_a_canary_beside_the_newest_revision_and_read_it_back_from_its_payload() throws Exception {
        ApiDefinition v1 = api("a", "/a");
        ApiDefinition v2 = api("a", "/a2");
        protocol.commit(put(v1), ACTOR, OptionalLong.empty());

        Change c = protocol.commit(put(v2), CANARY, OptionalLong.empty());

        assertEquals(2, c.revision());
        assertEquals(List.of("a"), c.updated());
        GatewayState state = adopter.newest().state();
        Canary canary = state.canary();
        assertEquals(1, canary.stableRevision());
        assertEquals(Map.of("a", v1), canary.stableApis());
        assertEquals(Map.of("a", v2), state.apis());
        assertEquals(500, canary.policy().basisPoints());
        assertEquals("admin", canary.user());
        ParsedRevision read = ParsedRevision.parse(adopter.newest().committed());
        assertEquals(state, read.state(), "every node reads the canary, its stable side and parameters from the payload");
        assertEquals(new GatewayState(1, Map.of("a", v1), Map.of()), canary.stableState(state));
    }

    @Test
    void should_refuse_api_changes_and_a_second_canary_while_one_runs_but_take_consumers_on_both_sides() throws Exception {
        protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());
        protocol.commit(put(api("a", "/a2")), CANARY, OptionalLong.empty());

        AdminException plain = assertThrows(AdminException.class,
            () -> protocol.commit(put(api("b", "/b")), ACTOR, OptionalLong.empty()));
        AdminException second = assertThrows(AdminException.class,
            () -> protocol.commit(put(api("b", "/b")), CANARY, OptionalLong.empty()));
        Change consumers = protocol.commit(consumer("c1"), ACTOR, OptionalLong.empty());

        assertEquals(409, plain.status());
        assertTrue(plain.getMessage().contains("a canary of revision 2 is running"), plain.getMessage());
        assertEquals(409, second.status());
        assertEquals(3, consumers.revision());
        GatewayState state = adopter.newest().state();
        assertEquals(1, state.canary().stableRevision(), "still the same canary");
        assertEquals(Set.of("c1"), state.canary().stableState(state).consumers().keySet(), "the stable side has the consumer too");
    }

    @Test
    void should_refuse_a_canary_of_consumers_with_422_and_make_no_revision_for_a_canary_that_changes_nothing() throws Exception {
        protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());

        AdminException e = assertThrows(AdminException.class, () -> protocol.commit(consumer("c1"), CANARY, OptionalLong.empty()));
        Change same = protocol.commit(put(api("a", "/a")), CANARY, OptionalLong.empty());

        assertEquals(422, e.status());
        assertEquals("canary", e.details().get(0).path());
        assertFalse(same.changed());
        assertEquals(1, log.revisions.size());
        assertEquals(null, adopter.newest().state().canary());
    }

    @Test
    void should_end_a_canary_as_a_revision_of_its_own_even_when_its_apis_stay() throws Exception {
        protocol.commit(put(api("a", "/a")), ACTOR, OptionalLong.empty());
        protocol.commit(put(api("a", "/a2")), CANARY, OptionalLong.empty());

        Change promoted = protocol.commitCanaryEnd(base -> base.withCanary(null), ACTOR, OptionalLong.of(2));

        assertTrue(promoted.changed());
        assertEquals(3, promoted.revision());
        assertEquals(List.of(), promoted.updated());
        assertEquals(null, adopter.newest().state().canary());
        assertEquals(api("a", "/a2"), adopter.newest().state().apis().get("a"));
        AdminException stale = assertThrows(AdminException.class,
            () -> protocol.commitCanaryEnd(base -> base.withCanary(null), ACTOR, OptionalLong.of(2)));
        assertEquals(409, stale.status(), "a second end of the same canary (another node's watch) is refused");
    }

    private static final class MemoryLog implements RevisionLog {
        final ConcurrentSkipListMap<Long, String> revisions = new ConcurrentSkipListMap<>();
        Runnable before = () -> { };
        int attempts;

        @Override
        public Optional<CommittedRevision> latest() {
            Map.Entry<Long, String> e = revisions.lastEntry();
            return e == null ? Optional.empty() : Optional.of(new CommittedRevision(e.getKey(), e.getValue()));
        }

        @Override
        public Optional<CommittedRevision> get(long revision) {
            return Optional.ofNullable(revisions.get(revision)).map(p -> new CommittedRevision(revision, p));
        }

        @Override
        public Optional<CommittedRevision> commit(Function<Optional<CommittedRevision>, Optional<String>> change) {
            while (true) {
                Optional<CommittedRevision> base = latest();
                long next = base.map(CommittedRevision::revision).orElse(0L) + 1;
                attempts++;
                Optional<String> payload = change.apply(base);
                if (payload.isEmpty()) {
                    return Optional.empty();
                }
                Runnable interloper = before;
                before = () -> { };
                interloper.run();
                if (revisions.putIfAbsent(next, payload.get()) == null) {
                    return Optional.of(new CommittedRevision(next, payload.get()));
                }
            }
        }

        @Override
        public void seed(CommittedRevision revision) {
            revisions.putIfAbsent(revision.revision(), revision.payload());
        }

        @Override
        public AutoCloseable onCommitted(Consumer<CommittedRevision> listener) {
            return () -> { };
        }
    }
}
