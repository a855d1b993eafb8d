package dev.meridian.manager.internal;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.meridian.cache.ResponseCache;
import dev.meridian.cluster.ClusterNode;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayState;
import dev.meridian.core.SharedStates;
import dev.meridian.core.RouteTable;
import dev.meridian.core.PluginInfo;
import dev.meridian.core.Settings;
import dev.meridian.core.ValidationException;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.AuditEntry;
import dev.meridian.manager.Change;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Problem;

/**
 * The manager as a DS component: wires its parts and answers {@link GatewayAdmin} by handing each
 * call to the part that owns it — {@link CommitProtocol} (changes), {@link TypeChecks}
 * (validation), {@link RevisionAdopter} (publish and the current state), {@link DurableHistory}
 * (history on disk), {@link Restorer} (start), {@link CatchUp} (revisions from other nodes),
 * {@link CacheAdmin} (the response cache) and {@link NodeStatusReporter} (the cluster listing).
 */
@Component(service = GatewayAdmin.class, immediate = true)
public final class ManagerComponent implements GatewayAdmin {

    @Reference
    private GatewayEngine engine;

    @Reference
    private NodeStatusReporter status;

    @Reference
    private RevisionLog log;

    @Reference
    private ManagerMetrics metrics;

    @Reference
    private AuditLog auditLog;

    @Reference
    private LastServed lastServed;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ResponseCache cache;

    /** Where the canary watch publishes and merges each node's counts. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SharedStates states;

    private DurableHistory history;
    private RevisionAdopter adopter;
    private TypeChecks checks;
    private CommitProtocol protocol;
    private CatchUp catchUp;
    private Thread restore;
    private ConsumerKeys consumerKeys;
    private CanaryWatch canaryWatch;

    @Activate
    void activate() throws Exception {
        AdminIdentity.ensure(dataDir());
        consumerKeys = ConsumerKeys.fromSettings();
        history = new DurableHistory(new RevisionStore(dataDir().resolve("revisions")), log);
        adopter = new RevisionAdopter(engine, history, status, metrics, lastServed);
        checks = new TypeChecks(engine, status, Settings.duration("MERIDIAN_TYPE_WAIT", "10s"));
        protocol = new CommitProtocol(log, adopter, checks, metrics);
        catchUp = new CatchUp(log, adopter);
        catchUp.start();
        engine.addListener(catchUp);
        canaryWatch = new CanaryWatch(engine, () -> states, status::cluster, status.localName(), this::rollbackCanary);
        engine.addListener(canaryWatch);
        Restorer restorer = new Restorer(log, history, adopter, engine);
        restorer.seed();
        restore = new Thread(restorer, "meridian-restore");
        restore.setDaemon(true);
        restore.start();
    }

    @Deactivate
    void deactivate() throws Exception {
        engine.removeListener(catchUp);
        engine.removeListener(canaryWatch);
        canaryWatch.stop();
        restore.interrupt();
        catchUp.stop();
        history.stop();
    }

    /** {@code MERIDIAN_DATA}, else the Karaf data dir, plus {@code meridian/}. */
    static Path dataDir() {
        String configured = Settings.string("MERIDIAN_DATA", null);
        if (configured != null) {
            return Paths.get(configured);
        }
        return Paths.get(System.getProperty("karaf.data", "data"), "meridian");
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

    // ---- changes

    @Override
    public Change apply(ApiDefinition api, Actor actor, OptionalLong ifMatch) throws AdminException {
        return audited(actor, "apply " + api.id(), protocol.commit(base -> {
            Map<String, ApiDefinition> next = new LinkedHashMap<>(base.apis());
            next.put(api.id(), api);
            return base.withApis(next);
        }, actor, ifMatch));
    }

    @Override
    public Change applySet(List<ApiDefinition> apis, boolean prune, Actor actor, OptionalLong ifMatch) throws AdminException {
        return audited(actor, "apply " + apis.stream().map(ApiDefinition::id).toList() + (prune ? " with prune" : ""),
            protocol.commit(base -> base.withApis(merge(base, apis, prune)), actor, ifMatch));
    }

    @Override
    public Change applyAll(List<ApiDefinition> apis, List<ConsumerDefinition> consumers, boolean prune, Actor actor,
                           OptionalLong ifMatch) throws AdminException {
        List<ConsumerDefinition> hashed = hashed(consumers);
        List<String> ids = new ArrayList<>(apis.stream().map(ApiDefinition::id).toList());
        hashed.forEach(c -> ids.add(StateDiff.CONSUMER + c.id()));
        return audited(actor, "apply " + ids + (prune ? " with prune" : ""),
            protocol.commit(base -> mergeAll(base, apis, hashed, prune), actor, ifMatch));
    }

    @Override
    public Change validateAll(List<ApiDefinition> apis, List<ConsumerDefinition> consumers, boolean prune) throws AdminException {
        List<ConsumerDefinition> hashed = hashed(consumers);
        checks.await(TypeChecks.typesOf(apis), checks.deadline());
        GatewayState base = adopter.newest().state();
        GatewayState next = mergeAll(base, apis, hashed, prune);
        TypeChecks.checkBasePaths(next.apis());
        if (!apis.isEmpty()) {
            checks.validateHere(apis);
            checks.checkLiveNodes(apis);
        }
        ConsumerKeys.checkUnique(next.consumers());
        return StateDiff.between(base, next, base.revision(), false);
    }

    @Override
    public Change applyConsumer(ConsumerDefinition consumer, Actor actor, OptionalLong ifMatch) throws AdminException {
        ConsumerDefinition hashed = consumerKeys.hashed(List.of(consumer), List.of("")).get(0);
        return audited(actor, "apply " + StateDiff.CONSUMER + consumer.id(), protocol.commit(base -> {
            Map<String, ConsumerDefinition> next = new LinkedHashMap<>(base.consumers());
            next.put(hashed.id(), hashed);
            return base.withConsumers(next);
        }, actor, ifMatch));
    }

    @Override
    public Change deleteConsumer(String id, Actor actor, OptionalLong ifMatch) throws AdminException {
        return audited(actor, "delete " + StateDiff.CONSUMER + id, protocol.commit(base -> {
            if (!base.consumers().containsKey(id)) {
                throw new CommitProtocol.Refusal(new AdminException(404, "no consumer with id '" + id + "'"));
            }
            Map<String, ConsumerDefinition> next = new LinkedHashMap<>(base.consumers());
            next.remove(id);
            return base.withConsumers(next);
        }, actor, ifMatch));
    }

    /** The consumers of a set with their keys hashed; problem paths start {@code consumer:<id>.}. */
    private List<ConsumerDefinition> hashed(List<ConsumerDefinition> consumers) throws AdminException {
        if (consumers.isEmpty()) {
            return List.of();
        }
        List<String> paths = new ArrayList<>();
        consumers.forEach(c -> paths.add(StateDiff.CONSUMER + c.id()));
        return consumerKeys.hashed(consumers, paths);
    }

    /** {@code base} with the set applied; with {@code prune}, each kind the set holds keeps only the set's. */
    private static GatewayState mergeAll(GatewayState base, List<ApiDefinition> apis, List<ConsumerDefinition> consumers,
                                         boolean prune) {
        Map<String, ApiDefinition> nextApis = apis.isEmpty() ? base.apis() : merge(base, apis, prune);
        Map<String, ConsumerDefinition> nextConsumers = new LinkedHashMap<>(prune && !consumers.isEmpty() ? Map.of()
            : base.consumers());
        consumers.forEach(c -> nextConsumers.put(c.id(), c));
        return new GatewayState(base.revision(), nextApis, nextConsumers);
    }

    /** Every change in the audit, with the revision it made (the revision history keeps who and through which door). */
    private Change audited(Actor actor, String call, Change c) {
        String summary = !c.changed() ? "no change"
            : ("added " + c.added() + " updated " + c.updated() + " removed " + c.removed());
        if (actor.canary() != null && c.changed()) {
            call = call + " as a canary of " + actor.canary().share();
            summary = summary + "; canary " + actor.canary().describe() + " beside revision " + (c.revision() - 1);
        }
        audit(actor, call, c.changed() ? c.revision() : 0, summary);
        return c;
    }

    // ---- canary (CONTRACT §8)

    @Override
    public Change promoteCanary(Actor actor, OptionalLong ifMatch) throws AdminException {
        long[] canary = {0};
        Change c = protocol.commitCanaryEnd(base -> {
            canary[0] = runningCanary(base);
            return base.withCanary(null);
        }, actor.withSource(actor.source() + " canary promote"), ifMatch);
        String reason = "revision " + canary[0] + "'s APIs serve every request";
        audit(actor, "canary promote " + canary[0], c.revision(), "promoted: " + reason);
        canaryWatch.ended("promoted", canary[0], c.revision(), actor.auditUser(), reason);
        return c;
    }

    @Override
    public Change abortCanary(Actor actor, OptionalLong ifMatch) throws AdminException {
        long[] canary = {0};
        long[] stable = {0};
        Change c = protocol.commitCanaryEnd(base -> {
            canary[0] = runningCanary(base);
            stable[0] = base.canary().stableRevision();
            return backToStable(base);
        }, actor.withSource(actor.source() + " canary abort"), ifMatch);
        String reason = "revision " + stable[0] + "'s APIs serve every request again";
        audit(actor, "canary abort " + canary[0], c.revision(), "aborted: " + reason);
        canaryWatch.ended("aborted", canary[0], c.revision(), actor.auditUser(), reason);
        return c;
    }

    /** The canary watch's rollback of a breaching canary: a commit naming its revision, so one node's wins. */
    private void rollbackCanary(long canaryRevision, String reason) throws AdminException {
        String door = "canary-watch " + status.localName();
        Actor watch = new Actor("meridian", door, "system", door);
        long[] stable = {0};
        Change c = protocol.commitCanaryEnd(base -> {
            runningCanary(base);
            stable[0] = base.canary().stableRevision();
            return backToStable(base);
        }, watch, OptionalLong.of(canaryRevision));
        String summary = "rolled back by itself to revision " + stable[0] + "'s APIs: " + reason;
        audit(watch, "canary rollback " + canaryRevision, c.revision(), summary);
        canaryWatch.ended("rolled-back", canaryRevision, c.revision(), "meridian", reason);
    }

    /** What an abort or a rollback of the canary {@code base} runs commits: its stable APIs, the consumers as they are. */
    private static GatewayState backToStable(GatewayState base) {
        return new GatewayState(base.revision(), base.canary().stableApis(), base.consumers());
    }

    /** The revision of the canary {@code base} runs; refuses with 409 when it runs none. */
    private static long runningCanary(GatewayState base) {
        if (base.canary() == null) {
            throw new CommitProtocol.Refusal(new AdminException(409, "no canary is running (revision " + base.revision()
                + " is served whole)"));
        }
        return base.revision();
    }

    @Override
    public Map<String, Object> canary() {
        return canaryWatch.status();
    }

    @Override
    public List<AuditEntry> audit(int limit) {
        return auditLog.newest(limit);
    }

    @Override
    public void audit(Actor actor, String call, long revision, String summary) {
        auditLog.record(new AuditEntry(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
            actor.auditUser(), actor.role(), actor.address(), call, revision, summary));
    }

    @Override
    public Change validate(List<ApiDefinition> apis, boolean prune) throws AdminException {
        // a dry run answers what the apply would: types being replaced are waited for, here and on live nodes
        checks.await(TypeChecks.typesOf(apis), checks.deadline());
        GatewayState base = adopter.newest().state();
        Map<String, ApiDefinition> next = merge(base, apis, prune);
        TypeChecks.checkBasePaths(next);
        checks.validateHere(apis);
        checks.checkLiveNodes(apis);
        return StateDiff.between(base, next, base.revision(), false);
    }

    @Override
    public Change delete(String id, Actor actor, OptionalLong ifMatch) throws AdminException {
        return audited(actor, "delete " + id, protocol.commit(base -> {
            if (!base.apis().containsKey(id)) {
                throw new CommitProtocol.Refusal(new AdminException(404, "no API with id '" + id + "'"));
            }
            Map<String, ApiDefinition> next = new LinkedHashMap<>(base.apis());
            next.remove(id);
            return base.withApis(next);
        }, actor, ifMatch));
    }

    @Override
    public Change rollback(long to, Actor actor, OptionalLong ifMatch) throws AdminException {
        Revision target = revision(to).orElseThrow(() -> new AdminException(404, "no revision " + to));
        Actor rolling = actor.withSource(actor.source() + " rollback to " + to);
        return audited(actor, "rollback to " + to, protocol.commit(base -> {
            if (base.canary() != null) {
                throw new CommitProtocol.Refusal(new AdminException(409, CommitProtocol.runningMessage(base)));
            }
            return GatewayState.of(base.revision(), target.apis(), target.consumers());
        }, rolling, ifMatch));
    }

    private static Map<String, ApiDefinition> merge(GatewayState base, List<ApiDefinition> apis, boolean prune) {
        Map<String, ApiDefinition> next = new LinkedHashMap<>(prune ? Map.of() : base.apis());
        apis.forEach(api -> next.put(api.id(), api));
        return next;
    }

    // ---- reads

    @Override
    public State current() {
        GatewayState s = adopter.newest().state();
        return new State(s.revision(), s.apis(), s.consumers());
    }

    @Override
    public List<RevisionInfo> revisions(int limit, long before) {
        return history.list(limit, before);
    }

    @Override
    public Optional<Revision> revision(long n) {
        Optional<Revision> local = history.load(n);
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
    public Reload reloadSecrets() throws AdminException {
        RouteTable table = adopter.reload();
        return new Reload(table.revision(), table.generation());
    }

    @Override
    public List<Plugin> plugins() {
        List<Plugin> out = new ArrayList<>();
        for (PluginInfo p : engine.plugins()) {
            out.add(new Plugin(p.type(), p.bundle(), p.version(), p.active(), false));
        }
        for (PluginInfo p : engine.pendingPlugins()) {
            out.add(new Plugin(p.type(), p.bundle(), p.version(), false, true));
        }
        return out;
    }

    @Override
    public List<Node> cluster() {
        return status.cluster().stream().map(ManagerComponent::node).toList();
    }

    @Override
    public boolean clusterSafe() {
        return status.safe();
    }

    static Node node(ClusterNode n) {
        List<Plugin> plugins = n.plugins().stream().map(p -> {
            boolean pending = ClusterNode.PENDING.equals(p.get(ClusterNode.PLUGIN_STATUS));
            return new Plugin(p.get("type"), p.get("bundle"), p.get("version"), !pending, pending);
        }).toList();
        String error = n.error() == null ? "" : "cannot serve revision " + n.error().revision() + ": " + n.error().reason();
        return new Node(n.name(), n.region(), n.address(), n.revision(), n.state(), plugins, error);
    }

    @Override
    public Map<String, Object> cacheStats(String by) throws AdminException {
        return CacheAdmin.stats(responseCache(), by);
    }

    @Override
    public Invalidation invalidateCache(String api, List<String> keys, List<String> tags) throws AdminException {
        return CacheAdmin.invalidate(responseCache(), api, keys == null ? List.of() : keys, tags == null ? List.of() : tags,
            id -> adopter.newest().state().apis().containsKey(id));
    }

    private ResponseCache responseCache() throws AdminException {
        ResponseCache c = cache;
        if (c == null) {
            throw new AdminException(503, "the response cache is not running on this node (no cluster store)");
        }
        return c;
    }
}
