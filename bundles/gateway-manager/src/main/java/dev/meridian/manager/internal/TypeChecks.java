package dev.meridian.manager.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.ClusterNode;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.ValidationException;
import dev.meridian.manager.AdminException;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.Problem;

/**
 * Whether a change can be served: unique base paths across the whole state, policy types and
 * configurations valid on this node (the engine builds each policy here, once: the publish that
 * follows uses those instances), and every type present on each live node (CONTRACT §3). A type
 * on its way (its bundle updating, refreshing, upgrading, here or on a live node) is waited for,
 * within one deadline per call ({@code MERIDIAN_TYPE_WAIT}); only one that stays absent is refused.
 */
final class TypeChecks {

    private static final Logger LOG = LoggerFactory.getLogger(TypeChecks.class);

    private final GatewayEngine engine;
    private final NodeStatusReporter status;
    private final Duration typeWait;

    TypeChecks(GatewayEngine engine, NodeStatusReporter status, Duration typeWait) {
        this.engine = engine;
        this.status = status;
        this.typeWait = typeWait;
    }

    /** The deadline ({@link System#nanoTime()}) of a call that starts now. */
    long deadline() {
        return System.nanoTime() + typeWait.toNanos();
    }

    static Set<String> typesOf(List<ApiDefinition> apis) {
        Set<String> types = new TreeSet<>();
        apis.forEach(api -> api.policies().forEach(p -> types.add(p.type())));
        return types;
    }

    /** Those of the types of {@code apis} that are on their way here or on a live node. */
    Set<String> pending(List<ApiDefinition> apis) {
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
    void await(Set<String> types, long deadline) throws AdminException {
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

    /** Every check of a next state whose {@code changed} definitions are new or differ from the base. */
    void check(Map<String, ApiDefinition> next, List<ApiDefinition> changed) throws AdminException {
        check(next, changed, false);
    }

    /**
     * As {@link #check(Map, List)}; with {@code mayWait}, a type that a live node lacks only
     * because it is on its way there throws {@link StillPending} instead of refusing: the cluster
     * listing read here is newer than the one {@link #pending} read a moment before, and a bundle
     * update may have begun in between (seen: 1 apply in 40 refused while a bundle was updated).
     */
    void check(Map<String, ApiDefinition> next, List<ApiDefinition> changed, boolean mayWait) throws AdminException {
        checkBasePaths(next);
        validateHere(changed);
        checkSecretsOfTheOthers(next, changed);
        checkLiveNodes(changed, mayWait);
    }

    /** Types still on their way to a live node, before the caller's deadline: wait and try again. */
    static final class StillPending extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Set<String> types;

        StillPending(Set<String> types) {
            super("policy types still on their way: " + types, null, false, false);
            this.types = types;
        }
    }

    /** basePath is unique across the whole state, not only within one request. */
    static void checkBasePaths(Map<String, ApiDefinition> next) throws AdminException {
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

    /**
     * The secrets of the APIs the change leaves as they are still resolve here: the revision is
     * compiled whole, and a secret file removed since they were applied would make it stored but
     * not served (422 after the commit) instead of refused before it.
     */
    private void checkSecretsOfTheOthers(Map<String, ApiDefinition> next, List<ApiDefinition> changed) throws AdminException {
        List<ApiDefinition> others = new ArrayList<>(next.values());
        others.removeAll(changed);
        try {
            engine.checkSecrets(others);
        } catch (ValidationException e) {
            throw new AdminException(422, "secrets of APIs already applied cannot be resolved on this node", e.problems());
        }
    }

    /** Types and configurations on this node's engine. */
    void validateHere(List<ApiDefinition> apis) throws AdminException {
        try {
            engine.validate(apis);
        } catch (ValidationException e) {
            throw new AdminException(422, "invalid definition", e.problems());
        }
    }

    /**
     * CONTRACT §3: an apply naming a policy type that some live node lacks is rejected, naming the
     * nodes. A node where the type is still on its way (the caller waited for it) is named as such.
     */
    void checkLiveNodes(List<ApiDefinition> apis) throws AdminException {
        checkLiveNodes(apis, false);
    }

    private void checkLiveNodes(List<ApiDefinition> apis, boolean mayWait) throws AdminException {
        List<Problem> problems = new ArrayList<>();
        Set<String> awaited = new TreeSet<>();
        boolean anyAbsent = false;
        List<ClusterNode> nodes = status.cluster();
        for (ApiDefinition api : apis) {
            for (int j = 0; j < api.policies().size(); j++) {
                String type = api.policies().get(j).type();
                List<ClusterNode> lacking = nodes.stream()
                    .filter(n -> !n.state().equals("unreachable"))
                    .filter(n -> !n.provides(type))
                    .toList();
                if (lacking.isEmpty()) {
                    continue;
                }
                String prefix = apis.size() > 1 ? "[" + api.id() + "]." : "";
                List<String> absent = lacking.stream().filter(n -> !n.awaits(type)).map(ClusterNode::name).toList();
                List<String> replacing = lacking.stream().filter(n -> n.awaits(type)).map(ClusterNode::name).toList();
                List<String> parts = new ArrayList<>();
                if (!absent.isEmpty()) {
                    anyAbsent = true;
                    parts.add("is not installed on node(s) " + String.join(", ", absent));
                }
                if (!replacing.isEmpty() && mayWait) {
                    awaited.add(type);
                }
                if (!replacing.isEmpty()) {
                    parts.add("is still being installed or replaced after " + typeWait.toMillis() + " ms on node(s) "
                        + String.join(", ", replacing));
                }
                problems.add(new Problem(prefix + "policies[" + j + "].type",
                    "policy type '" + type + "' " + String.join("; ", parts)));
            }
        }
        if (!awaited.isEmpty() && !anyAbsent) {
            throw new StillPending(awaited);
        }
        if (!problems.isEmpty()) {
            throw new AdminException(422, "policy types missing on live nodes", problems);
        }
    }
}
