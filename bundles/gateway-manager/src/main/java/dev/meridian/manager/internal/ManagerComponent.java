package dev.meridian.manager.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.ClusterNode;
import dev.meridian.cluster.ClusterUnavailableException;
import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayState;
import dev.meridian.core.PluginInfo;
import dev.meridian.core.Settings;
import dev.meridian.core.ValidationException;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Problem;

/**
 * The manager: every change is computed from the cluster's newest revision under the
 * cluster-wide commit lock ({@link RevisionLog}), validated against this node's policy types,
 * committed as the next revision number, written durably on this node, published to the
 * engine and awaited. Revisions committed by other nodes arrive through the log's listener and
 * are written and published the same way. On start the node offers its newest durable revision
 * to the cluster, adopts the cluster's newest, and reports ready once it serves it.
 */
@Component(service = GatewayAdmin.class, immediate = true)
public final class ManagerComponent implements GatewayAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(ManagerComponent.class);
    private static final long PUBLISH_TIMEOUT_SECONDS = 30;

    @Reference
    private GatewayEngine engine;

    @Reference
    private NodeStatusReporter status;

    @Reference
    private RevisionLog log;

    @Reference
    private ManagerMetrics metrics;

    private RevisionStore store;
    /** How long an apply waits for a policy type being replaced, here or on a live node ({@code MERIDIAN_TYPE_WAIT}). */
    private Duration typeWait = Duration.ofSeconds(10);
    private volatile GatewayState current = GatewayState.EMPTY;
    private final java.util.concurrent.ScheduledExecutorService sync = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meridian-revision-sync");
        t.setDaemon(true);
        return t;
    });
    private AutoCloseable subscription;

    @Activate
    void activate() throws Exception {
        typeWait = Settings.duration("MERIDIAN_TYPE_WAIT", "10s");
        AdminIdentity.ensure(dataDir());
        store = new RevisionStore(dataDir().resolve("revisions"));
        subscription = log.onCommitted(revision -> sync.execute(() -> adoptQuietly(revision)));
        long local = store.latest();
        if (local > 0) {
            store.payload(local).ifPresent(p -> log.seed(new CommittedRevision(local, p)));
        }
        Thread restore = new Thread(this::restore, "meridian-restore");
        restore.setDaemon(true);
        restore.start();
        // Events can be missed (a node frozen or cut off past the heartbeat timeout is dropped
        // and rejoins later): compare with the cluster's newest revision every second.
        sync.scheduleWithFixedDelay(this::catchUp, 1, 1, TimeUnit.SECONDS);
    }

    private void catchUp() {
        try {
            Optional<CommittedRevision> newest = log.latest();
            // what the engine serves, not what was handed to it: a revision that failed to
            // compile (a policy type missing here, say) is retried every second until it serves
            long served = engine.current().revision();
            if (newest.isPresent() && newest.get().revision() > served && store != null) {
                if (newest.get().revision() > current.revision()) {
                    LOG.info("catching up from revision {} to the cluster's {}", served, newest.get().revision());
                }
                adoptQuietly(newest.get());
            }
        } catch (RuntimeException e) {
            LOG.debug("cluster not readable for catch-up: {}", e.getMessage());
        }
    }

    @Deactivate
    void deactivate() throws Exception {
        if (subscription != null) {
            subscription.close();
        }
        sync.shutdownNow();
    }

    /**
     * Adopts the newest revision the cluster (or, without it, this node's disk) knows, retrying
     * while the policy bundles it needs are still starting; the node reports ready only once it
     * serves it (CONTRACT §2).
     */
    private void restore() {
        long pauseMs = 200;
        String lastReason = null;
        while (true) {
            try {
                Optional<CommittedRevision> newest = clusterLatest();
                if (newest.isPresent()) {
                    adopt(newest.get(), true);
                } else if (store.latest() > 0) {
                    adopt(new CommittedRevision(store.latest(), store.payload(store.latest()).orElseThrow()), true);
                }
                engine.markReady();
                LOG.info("node serves revision {}", current.revision());
                return;
            } catch (AdminException | IOException | DefinitionException | RuntimeException e) {
                // Policy bundles may still be starting: retry quietly at first. A node that still
                // cannot serve the newest revision says why (log, cluster listing) and keeps
                // trying, so installing the missing plugin makes it ready without a restart.
                String reason = reason(e);
                if (pauseMs >= 2000 && !reason.equals(lastReason)) {
                    LOG.error("the newest revision cannot be served on this node; not ready until it can: {}", reason);
                    lastReason = reason;
                } else {
                    LOG.debug("newest revision not servable yet, retrying: {}", reason);
                }
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            pauseMs = Math.min(2000, pauseMs + 100);
        }
    }

    /** One line: the message and, for a definition the engine refused, each problem with its path. */
    static String reason(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof java.util.concurrent.CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        List<Problem> problems = t instanceof ValidationException v ? v.problems()
            : t instanceof AdminException a ? a.details() : List.of();
        String message = t instanceof ValidationException ? "" : t.getMessage() == null ? t.toString() : t.getMessage();
        StringBuilder sb = new StringBuilder(message);
        for (Problem p : problems) {
            sb.append(sb.length() == 0 ? "" : "; ").append(p.path()).append(": ").append(p.message());
        }
        return sb.toString();
    }

    private Optional<CommittedRevision> clusterLatest() {
        try {
            return log.latest();
        } catch (RuntimeException e) {
            LOG.warn("the cluster's newest revision cannot be read ({}); serving this node's own", e.getMessage());
            return Optional.empty();
        }
    }

    private void adoptQuietly(CommittedRevision revision) {
        try {
            adopt(revision, false);
        } catch (AdminException | IOException | DefinitionException | RuntimeException e) {
            LOG.error("revision {} from the cluster could not be adopted: {}", revision.revision(), e.getMessage(), e);
        }
    }

    /**
     * Writes a committed revision durably (with any missing older ones the cluster still holds)
     * and publishes it unless a newer one is served. Serialized: local commits and the cluster
     * listener both come here.
     */
    private synchronized void adopt(CommittedRevision revision, boolean await)
        throws AdminException, IOException, DefinitionException {
        // Publish first, then write: serving a revision newer than the durable one is allowed, and
        // the fsync (milliseconds) then overlaps the compile instead of delaying it. The caller of
        // a local change still gets its answer only once both are done.
        java.util.concurrent.CompletableFuture<?> published = null;
        GatewayState state = current;
        long committedAt = 0;
        boolean fresh = revision.revision() > current.revision();
        if (fresh) {
            Revision parsed = RevisionStore.parse(revision.payload());
            committedAt = parsed.info().time().toEpochMilli();
            state = GatewayState.of(revision.revision(), parsed.apis());
            current = state;
            published = engine.publish(state);
        } else if (await || engine.current().revision() < current.revision()) {
            published = engine.publish(current); // waiting for it, or it failed before: again
        }
        for (long missing = store.latest() + 1; missing < revision.revision(); missing++) {
            Optional<CommittedRevision> older = log.get(missing);
            if (older.isPresent()) {
                store.appendPayload(missing, older.get().payload());
            }
        }
        if (revision.revision() > store.latest()) {
            store.appendPayload(revision.revision(), revision.payload());
        }
        if (published == null) {
            return;
        }
        long served = state.revision();
        if (await) {
            await(published, served);
        } else {
            // committed by another node (or missed and caught up): count it and its propagation time
            if (fresh) {
                metrics.adopted.increment();
            }
            long since = committedAt;
            published.whenComplete((table, failure) -> {
                if (failure != null) {
                    String why = reason(failure);
                    status.failed(served, why);
                    LOG.error("revision {} cannot be served on this node: {}", served, why);
                } else if (fresh) {
                    metrics.propagation(System.currentTimeMillis() - since);
                }
            });
        }
    }

    /** {@code MERIDIAN_DATA}, else the Karaf data dir, plus {@code meridian/}. */
    static Path dataDir() {
        String configured = Settings.string("MERIDIAN_DATA", null);
        if (configured != null) {
            return Paths.get(configured);
        }
        return Paths.get(System.getProperty("karaf.data", "data"), "meridian");
    }

    @Override
    public Change apply(ApiDefinition api, Actor actor, OptionalLong ifMatch) throws AdminException {
        return commit(base -> {
            Map<String, ApiDefinition> next = new LinkedHashMap<>(base.apis());
            next.put(api.id(), api);
            return new GatewayState(base.revision(), next);
        }, actor, ifMatch);
    }

    @Override
    public Change applySet(List<ApiDefinition> apis, boolean prune, Actor actor, OptionalLong ifMatch) throws AdminException {
        return commit(base -> new GatewayState(base.revision(), merge(base, apis, prune)), actor, ifMatch);
    }

    @Override
    public Change validate(List<ApiDefinition> apis, boolean prune) throws AdminException {
        // a dry run answers what the apply would: types being replaced are waited for, here and on live nodes
        awaitTypes(typesOf(apis), System.nanoTime() + typeWait.toNanos());
        GatewayState base = current;
        Map<String, ApiDefinition> next = merge(base, apis, prune);
        checkBasePaths(next);
        validateOnEngine(apis);
        checkTypesOnLiveNodes(apis);
        return diff(base, next, base.revision(), false);
    }

    @Override
    public Change delete(String id, Actor actor, OptionalLong ifMatch) throws AdminException {
        return commit(base -> {
            if (!base.apis().containsKey(id)) {
                throw new Refusal(new AdminException(404, "no API with id '" + id + "'"));
            }
            Map<String, ApiDefinition> next = new LinkedHashMap<>(base.apis());
            next.remove(id);
            return new GatewayState(base.revision(), next);
        }, actor, ifMatch);
    }

    @Override
    public Change rollback(long to, Actor actor, OptionalLong ifMatch) throws AdminException {
        Revision target = revision(to).orElseThrow(() -> new AdminException(404, "no revision " + to));
        Actor rolling = new Actor(actor.user(), actor.source() + " rollback to " + to);
        return commit(base -> GatewayState.of(base.revision(), target.apis()), rolling, ifMatch);
    }

    @Override
    public GatewayState current() {
        return current;
    }

    @Override
    public List<RevisionInfo> revisions(int limit, long before) {
        return store.list(limit, before);
    }

    @Override
    public Optional<Revision> revision(long n) {
        Optional<Revision> local = store.load(n);
        if (local.isPresent()) {
            return local;
        }
        return log.get(n).map(c -> {
            try {
                return RevisionStore.parse(c.payload());
            } catch (DefinitionException e) {
                throw new IllegalStateException("revision " + n + " from the cluster is unreadable", e);
            }
        });
    }

    @Override
    public List<PluginInfo> plugins() {
        return engine.plugins();
    }

    @Override
    public List<PluginInfo> pendingPlugins() {
        return engine.pendingPlugins();
    }

    @Override
    public List<ClusterNode> cluster() {
        return status.cluster();
    }

    private static Map<String, ApiDefinition> merge(GatewayState base, List<ApiDefinition> apis, boolean prune) {
        Map<String, ApiDefinition> next = new LinkedHashMap<>(prune ? Map.of() : base.apis());
        apis.forEach(api -> next.put(api.id(), api));
        return next;
    }

    /** Carries an {@link AdminException} out of the commit function. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(AdminException cause) {
            super(cause.getMessage(), cause, false, false);
        }

        AdminException refusal() {
            return (AdminException) getCause();
        }
    }

    /** Leaves the commit function (and so the cluster's lock) when a policy type the change needs is on its way. */
    private static final class TypesPending extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Set<String> types;

        TypesPending(Set<String> types) {
            super("policy types being replaced: " + types, null, false, false);
            this.types = types;
        }
    }

    /**
     * Computes the next state from the cluster's newest one under the commit lock, validates it,
     * commits it, writes it durably here, publishes it and waits until this node serves it.
     *
     * <p>A policy type the change needs that is being replaced (here or on a live node) is waited
     * for, within one deadline ({@code MERIDIAN_TYPE_WAIT}), never while holding the cluster-wide
     * lock (every other apply of the cluster would queue behind it): first before taking it; and
     * if under the lock a type turns out pending, the attempt leaves, waits, and tries again. At
     * the deadline the checks decide, and a type still missing is refused with 422.
     */
    private Change commit(UnaryOperator<GatewayState> mutation, Actor actor, OptionalLong ifMatch) throws AdminException {
        long deadline = System.nanoTime() + typeWait.toNanos();
        awaitTypes(typesChangedBy(mutation), deadline);
        while (true) {
            try {
                return commitOnce(mutation, actor, ifMatch, deadline);
            } catch (TypesPending p) {
                LOG.info("{} waits for policy types being installed or replaced: {}", actor.source(), p.types);
                awaitTypes(p.types, deadline);
            }
        }
    }

    /** The policy types of the APIs {@code mutation} would add or change in this node's current state (a guess: the lock decides). */
    private Set<String> typesChangedBy(UnaryOperator<GatewayState> mutation) {
        GatewayState base = current;
        try {
            GatewayState next = mutation.apply(base);
            return typesOf(next.apis().values().stream().filter(api -> !api.equals(base.apis().get(api.id()))).toList());
        } catch (RuntimeException refusedOrDecidedUnderTheLock) {
            return Set.of();
        }
    }

    private static Set<String> typesOf(List<ApiDefinition> apis) {
        Set<String> types = new TreeSet<>();
        apis.forEach(api -> api.policies().forEach(p -> types.add(p.type())));
        return types;
    }

    /** Those of the types of {@code apis} that are on their way here or on a live node. */
    private Set<String> pendingTypes(List<ApiDefinition> apis) {
        Set<String> named = typesOf(apis);
        if (named.isEmpty()) {
            return Set.of();
        }
        Set<String> pending = new TreeSet<>(status.pendingOnLiveNodes(named));
        named.stream().filter(t -> engine.typeStatus(t) == GatewayEngine.TypeStatus.PENDING).forEach(pending::add);
        return pending;
    }

    /**
     * Waits, until {@code deadline} ({@link System#nanoTime()}) at the latest, until none of
     * {@code types} is pending on this node or on a live node. Returns at once when none is.
     */
    private void awaitTypes(Set<String> types, long deadline) throws AdminException {
        if (types.isEmpty()) {
            return;
        }
        try {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                engine.awaitTypes(types, Duration.ofNanos(left)).get(left + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
            }
            left = deadline - System.nanoTime();
            if (left > 0) {
                status.awaitTypesOnLiveNodes(types, deadline).get(left + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(500, "interrupted while waiting for policy types " + types);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("waiting for policy types {} ended early ({}); the checks decide", types, e.toString());
        }
    }

    private Change commitOnce(UnaryOperator<GatewayState> mutation, Actor actor, OptionalLong ifMatch, long deadline)
        throws AdminException {
        Change[] outcome = new Change[1];
        Optional<CommittedRevision> committed;
        try {
            committed = log.commit(latest -> {
                GatewayState base = parseState(latest);
                if (ifMatch.isPresent() && ifMatch.getAsLong() != base.revision()) {
                    throw new Refusal(new AdminException(409, "revision " + ifMatch.getAsLong() + " is stale; current is "
                        + base.revision()));
                }
                GatewayState nextState = mutation.apply(base);
                Map<String, ApiDefinition> next = nextState.apis();
                long revision = base.revision() + 1;
                Change change = diff(base, next, revision, true);
                if (!change.changed()) {
                    outcome[0] = new Change(base.revision(), false, List.of(), List.of(), List.of());
                    return Optional.empty();
                }
                try {
                    checkBasePaths(next);
                    List<ApiDefinition> changedApis = next.values().stream().filter(api -> !api.equals(base.apis().get(api.id()))).toList();
                    Set<String> pending = pendingTypes(changedApis);
                    if (!pending.isEmpty() && System.nanoTime() - deadline < 0) {
                        throw new TypesPending(pending); // releases the lock; commit() waits and comes back
                    }
                    validateOnEngine(changedApis);
                    checkTypesOnLiveNodes(changedApis);
                } catch (AdminException e) {
                    throw new Refusal(e);
                }
                outcome[0] = change;
                RevisionInfo info = new RevisionInfo(revision, Instant.now().truncatedTo(ChronoUnit.MILLIS), actor.user(),
                    actor.source(), change.added(), change.updated(), change.removed());
                return Optional.of(RevisionStore.payload(info, List.copyOf(new GatewayState(revision, next).apis().values())));
            });
        } catch (Refusal r) {
            throw r.refusal();
        } catch (ClusterUnavailableException e) {
            metrics.refused.increment();
            throw new AdminException(503, e.getMessage());
        }
        if (committed.isEmpty()) {
            return outcome[0];
        }
        try {
            adopt(committed.get(), true);
        } catch (IOException e) {
            LOG.error("revision {} is committed in the cluster but could not be written here", committed.get().revision(), e);
            throw new AdminException(500, "revision " + committed.get().revision() + " could not be stored: " + e.getMessage());
        } catch (DefinitionException e) {
            throw new AdminException(500, "revision " + committed.get().revision() + " is unreadable: " + e.getMessage());
        }
        metrics.committed.increment();
        Change change = outcome[0];
        LOG.info("revision {} by {} via {}: added {} updated {} removed {}", change.revision(), actor.user(), actor.source(),
            change.added(), change.updated(), change.removed());
        return change;
    }

    private GatewayState parseState(Optional<CommittedRevision> latest) {
        if (latest.isEmpty()) {
            return GatewayState.EMPTY;
        }
        CommittedRevision c = latest.get();
        if (c.revision() == current.revision()) {
            return current;
        }
        try {
            return GatewayState.of(c.revision(), RevisionStore.parse(c.payload()).apis());
        } catch (DefinitionException e) {
            throw new IllegalStateException("the cluster's revision " + c.revision() + " is unreadable", e);
        }
    }

    private void await(java.util.concurrent.CompletableFuture<?> publish, long revision) throws AdminException {
        try {
            publish.get(PUBLISH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            status.failed(revision, reason(e));
            if (e.getCause() instanceof ValidationException v) {
                throw new AdminException(422, "revision " + revision + " is stored but cannot be served on this node",
                    v.problems());
            }
            throw new AdminException(500, "publishing revision " + revision + " failed: " + e.getCause());
        } catch (TimeoutException e) {
            throw new AdminException(500, "publishing revision " + revision + " timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(500, "interrupted while publishing revision " + revision);
        }
    }

    /**
     * CONTRACT §3: an apply naming a policy type that some live node lacks is rejected, naming the
     * nodes. A node where the type is still on its way (the caller waited for it) is named as such.
     */
    private void checkTypesOnLiveNodes(List<ApiDefinition> apis) throws AdminException {
        List<Problem> problems = new ArrayList<>();
        List<ClusterNode> nodes = status.cluster();
        for (int i = 0; i < apis.size(); i++) {
            ApiDefinition api = apis.get(i);
            for (int j = 0; j < api.policies().size(); j++) {
                String type = api.policies().get(j).type();
                List<ClusterNode> lacking = nodes.stream()
                    .filter(n -> !n.state().equals("unreachable"))
                    .filter(n -> !n.provides(type))
                    .toList();
                if (!lacking.isEmpty()) {
                    String prefix = apis.size() > 1 ? "[" + api.id() + "]." : "";
                    List<String> absent = lacking.stream().filter(n -> !n.awaits(type)).map(ClusterNode::name).toList();
                    List<String> replacing = lacking.stream().filter(n -> n.awaits(type)).map(ClusterNode::name).toList();
                    List<String> parts = new ArrayList<>();
                    if (!absent.isEmpty()) {
                        parts.add("is not installed on node(s) " + String.join(", ", absent));
                    }
                    if (!replacing.isEmpty()) {
                        parts.add("is still being installed or replaced after " + typeWait.toMillis() + " ms on node(s) "
                            + String.join(", ", replacing));
                    }
                    problems.add(new Problem(prefix + "policies[" + j + "].type",
                        "policy type '" + type + "' " + String.join("; ", parts)));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new AdminException(422, "policy types missing on live nodes", problems);
        }
    }

    private void validateOnEngine(List<ApiDefinition> apis) throws AdminException {
        try {
            engine.validate(apis);
        } catch (ValidationException e) {
            throw new AdminException(422, "invalid definition", e.problems());
        }
    }

    /** basePath is unique across the whole state, not only within one request. */
    private static void checkBasePaths(Map<String, ApiDefinition> next) throws AdminException {
        Map<String, String> seen = new LinkedHashMap<>();
        List<Problem> problems = new ArrayList<>();
        for (ApiDefinition api : next.values()) {
            String other = seen.putIfAbsent(api.basePath(), api.id());
            if (other != null) {
                problems.add(new Problem("basePath", "basePath " + api.basePath() + " of '" + api.id()
                    + "' is already used by '" + other + "'"));
            }
        }
        if (!problems.isEmpty()) {
            throw new AdminException(422, "invalid definition", problems);
        }
    }

    static Change diff(GatewayState base, Map<String, ApiDefinition> next, long revision, boolean forCommit) {
        List<String> added = new ArrayList<>();
        List<String> updated = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        next.forEach((id, api) -> {
            ApiDefinition old = base.apis().get(id);
            if (old == null) {
                added.add(id);
            } else if (!old.toTree().equals(api.toTree())) {
                updated.add(id);
            }
        });
        base.apis().keySet().forEach(id -> {
            if (!next.containsKey(id)) {
                removed.add(id);
            }
        });
        boolean changed = !added.isEmpty() || !updated.isEmpty() || !removed.isEmpty();
        return new Change(changed || !forCommit ? revision : base.revision(), changed, added.stream().sorted().toList(),
            updated.stream().sorted().toList(), removed.stream().sorted().toList());
    }
}
