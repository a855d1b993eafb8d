package dev.meridian.manager.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import dev.meridian.model.Problem;

/**
 * The single-node manager: every change is validated against this node's policy types, written
 * durably as the next revision, then published to the engine and awaited, all under one lock
 * so revisions are strictly increasing. On start it publishes the last durable revision before
 * the node reports ready.
 */
@Component(service = GatewayAdmin.class, immediate = true)
public final class ManagerComponent implements GatewayAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(ManagerComponent.class);
    private static final long PUBLISH_TIMEOUT_SECONDS = 30;

    @Reference
    private GatewayEngine engine;

    @Reference
    private NodeStatusReporter status;

    private RevisionStore store;
    private volatile GatewayState current = GatewayState.EMPTY;

    @Activate
    void activate() throws Exception {
        AdminIdentity.ensure(dataDir());
        store = new RevisionStore(dataDir().resolve("revisions"));
        long latest = store.latest();
        if (latest == 0) {
            engine.markReady();
            return;
        }
        Revision r = store.load(latest).orElseThrow();
        current = GatewayState.of(latest, r.apis());
        Thread restore = new Thread(() -> restore(current, r.apis().size()), "meridian-restore");
        restore.setDaemon(true);
        restore.start();
    }

    /**
     * Publishes the last durable revision, retrying while the policy bundles it needs are still
     * starting; the node reports ready only once it serves it (CONTRACT §2).
     */
    private void restore(GatewayState state, int apis) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (true) {
            try {
                engine.publish(state).get(PUBLISH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                engine.markReady();
                LOG.info("restored revision {} ({} APIs) from {}", state.revision(), apis, dataDir());
                return;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    LOG.error("revision {} cannot be served on this node; staying not ready", state.revision(), e.getCause());
                    return;
                }
                LOG.debug("revision {} not servable yet, retrying: {}", state.revision(), e.getCause().getMessage());
            } catch (TimeoutException e) {
                LOG.warn("publishing restored revision {} is slow, retrying", state.revision());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
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
        synchronized (this) {
            checkIfMatch(ifMatch);
            Map<String, ApiDefinition> next = new LinkedHashMap<>(current.apis());
            next.put(api.id(), api);
            return commit(next, List.of(api), actor);
        }
    }

    @Override
    public Change applySet(List<ApiDefinition> apis, boolean prune, Actor actor, OptionalLong ifMatch) throws AdminException {
        synchronized (this) {
            checkIfMatch(ifMatch);
            return commit(merge(apis, prune), apis, actor);
        }
    }

    @Override
    public Change validate(List<ApiDefinition> apis, boolean prune) throws AdminException {
        GatewayState base = current;
        Map<String, ApiDefinition> next = merge(base, apis, prune);
        checkBasePaths(next);
        validateOnEngine(apis);
        return diff(base, next, base.revision(), false);
    }

    @Override
    public Change delete(String id, Actor actor, OptionalLong ifMatch) throws AdminException {
        synchronized (this) {
            checkIfMatch(ifMatch);
            if (!current.apis().containsKey(id)) {
                throw new AdminException(404, "no API with id '" + id + "'");
            }
            Map<String, ApiDefinition> next = new LinkedHashMap<>(current.apis());
            next.remove(id);
            return commit(next, List.of(), actor);
        }
    }

    @Override
    public Change rollback(long to, Actor actor, OptionalLong ifMatch) throws AdminException {
        Revision target = revision(to).orElseThrow(() -> new AdminException(404, "no revision " + to));
        synchronized (this) {
            checkIfMatch(ifMatch);
            Map<String, ApiDefinition> next = new LinkedHashMap<>();
            target.apis().forEach(api -> next.put(api.id(), api));
            return commit(next, target.apis(), new Actor(actor.user(), actor.source() + " rollback to " + to));
        }
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
        return store.load(n);
    }

    @Override
    public List<PluginInfo> plugins() {
        return engine.plugins();
    }

    @Override
    public List<dev.meridian.cluster.ClusterNode> cluster() {
        return status.cluster();
    }

    private Map<String, ApiDefinition> merge(List<ApiDefinition> apis, boolean prune) {
        return merge(current, apis, prune);
    }

    private static Map<String, ApiDefinition> merge(GatewayState base, List<ApiDefinition> apis, boolean prune) {
        Map<String, ApiDefinition> next = new LinkedHashMap<>(prune ? Map.of() : base.apis());
        apis.forEach(api -> next.put(api.id(), api));
        return next;
    }

    /** Caller holds the lock. Validates, stores durably, publishes, then answers. */
    private Change commit(Map<String, ApiDefinition> next, Collection<ApiDefinition> touched, Actor actor) throws AdminException {
        GatewayState base = current;
        long revision = Math.max(base.revision(), store.latest()) + 1;
        Change change = diff(base, next, revision, true);
        if (!change.changed()) {
            return new Change(base.revision(), false, List.of(), List.of(), List.of());
        }
        checkBasePaths(next);
        List<ApiDefinition> toValidate = touched.stream()
            .filter(api -> !api.equals(base.apis().get(api.id())))
            .toList();
        validateOnEngine(toValidate);
        GatewayState state = new GatewayState(revision, next);
        RevisionInfo info = new RevisionInfo(revision, Instant.now().truncatedTo(ChronoUnit.MILLIS), actor.user(),
            actor.source(), change.added(), change.updated(), change.removed());
        try {
            store.append(info, List.copyOf(state.apis().values()));
        } catch (IOException e) {
            LOG.error("writing revision {} failed; nothing changed", revision, e);
            throw new AdminException(500, "revision could not be stored: " + e.getMessage());
        }
        current = state;
        await(engine.publish(state), revision);
        LOG.info("revision {} by {} via {}: added {} updated {} removed {}", revision, actor.user(), actor.source(),
            change.added(), change.updated(), change.removed());
        return change;
    }

    private void await(java.util.concurrent.CompletableFuture<?> publish, long revision) throws AdminException {
        try {
            publish.get(PUBLISH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
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

    private void validateOnEngine(List<ApiDefinition> apis) throws AdminException {
        try {
            engine.validate(apis);
        } catch (ValidationException e) {
            throw new AdminException(422, "invalid definition", e.problems());
        }
    }

    private void checkIfMatch(OptionalLong ifMatch) throws AdminException {
        if (ifMatch.isPresent() && ifMatch.getAsLong() != current.revision()) {
            throw new AdminException(409, "revision " + ifMatch.getAsLong() + " is stale; current is " + current.revision());
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
