package dev.meridian.manager;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.osgi.annotation.versioning.ProviderType;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.CanaryPolicy;
import dev.meridian.model.ConsumerDefinition;

/**
 * The manager's API: every change of the gateway's state goes through here, whichever way it came
 * in (admin API, shell, deploy folder), and so does every read other bundles make of the state,
 * the history, the cluster and the response cache. Each call that changes state creates exactly
 * one durable revision, synced to disk before it returns, and publishes it to the engine.
 *
 * <p>Only manager and model types cross this interface, so a client (the shell) depends on the
 * manager alone, never on the engine or the cluster behind it.
 *
 * <p>{@code ifMatch}: when present and not the current revision, the call fails with 409.
 */
@ProviderType
public interface GatewayAdmin {

    /** Applies one definition (adds or replaces the API with its id). */
    Change apply(ApiDefinition api, Actor actor, OptionalLong ifMatch) throws AdminException;

    /** Applies a set atomically as one revision; with {@code prune}, APIs not in the set are deleted. */
    Change applySet(List<ApiDefinition> apis, boolean prune, Actor actor, OptionalLong ifMatch) throws AdminException;

    /** Dry run of {@link #applySet}: the diff it would make, or a 422 {@link AdminException}. */
    Change validate(List<ApiDefinition> apis, boolean prune) throws AdminException;

    /**
     * Applies APIs and consumers (CONTRACT §8) atomically as one revision. With {@code prune}, each
     * kind the set holds is pruned: APIs not in the set are deleted when it holds APIs, consumers
     * not in it when it holds consumers (a set of APIs alone never revokes a consumer). Keys given
     * as a {@code secret} are hashed here (a {@code ${secret:NAME}} read from this node's
     * {@code MERIDIAN_SECRETS_DIR}); only hashes are stored. Consumers appear in the answer's lists
     * as {@code consumer:<id>}.
     *
     * @since 2.3.0
     */
    Change applyAll(List<ApiDefinition> apis, List<ConsumerDefinition> consumers, boolean prune, Actor actor,
                    OptionalLong ifMatch) throws AdminException;

    /** Dry run of {@link #applyAll}. @since 2.3.0 */
    Change validateAll(List<ApiDefinition> apis, List<ConsumerDefinition> consumers, boolean prune) throws AdminException;

    /** Adds or replaces one consumer (as {@link #applyAll}); {@code changed} false when it is as it was. @since 2.3.0 */
    Change applyConsumer(ConsumerDefinition consumer, Actor actor, OptionalLong ifMatch) throws AdminException;

    /** Deletes one consumer: its keys answer 401 on every node once the revision is served there; 404 when unknown. @since 2.3.0 */
    Change deleteConsumer(String id, Actor actor, OptionalLong ifMatch) throws AdminException;

    /** Deletes one API; 404 when unknown. */
    Change delete(String id, Actor actor, OptionalLong ifMatch) throws AdminException;

    /** A new revision whose state equals revision {@code to}; 404 when unknown. */
    Change rollback(long to, Actor actor, OptionalLong ifMatch) throws AdminException;

    /**
     * Makes the running canary whole (CONTRACT §8): a revision with the canary's APIs served to
     * every request. 409 when no canary runs (or {@code ifMatch} is stale).
     *
     * @since 2.4.0
     */
    Change promoteCanary(Actor actor, OptionalLong ifMatch) throws AdminException;

    /**
     * Rolls the running canary back: a revision with the stable side's APIs. 409 when no canary runs.
     *
     * @since 2.4.0
     */
    Change abortCanary(Actor actor, OptionalLong ifMatch) throws AdminException;

    /**
     * The running canary as {@code GET /api/v1/canary} answers it: parameters, both sides'
     * requests, errors and latency over the window merged across the live nodes, each node's, the
     * verdict; or {@code state: none} with the last canary's outcome.
     *
     * @since 2.4.0
     */
    Map<String, Object> canary();

    /** The state this node's manager considers current: the newest revision it adopted. */
    State current();

    /** History, newest first: at most {@code limit} entries older than {@code before} (0 = no bound). */
    List<RevisionInfo> revisions(int limit, long before);

    /** One revision and its full state. */
    Optional<Revision> revision(long n);

    /** Policy types on this node, then those on their way to it (their bundle being installed, updated or refreshed). */
    List<Plugin> plugins();

    /** Every node of the cluster with the revision it serves (this node alone without a cluster). */
    List<Node> cluster();

    /** Every entry the cluster holds has its backup on another live node: stopping one node now loses nothing. */
    boolean clusterSafe();

    /**
     * Cache counters of CONTRACT §5 {@code GET /api/v1/cache/stats}, as its JSON tree: per API
     * ({@code by} null or {@code api}), or grouped by {@code node} or {@code region}.
     *
     * @throws AdminException 400 for another {@code by}; 503 when the response cache does not run here
     */
    Map<String, Object> cacheStats(String by) throws AdminException;

    /**
     * Coordinated invalidation (CONTRACT §6): an API's whole cache ({@code keys} and {@code tags}
     * empty), some of its URLs ({@code keys}), or {@code tags} across APIs ({@code api} null).
     * Answers once every live node acknowledged or the wait for them ended.
     *
     * @throws AdminException 404 for an unknown API; 503 when the response cache does not run here
     */
    Invalidation invalidateCache(String api, List<String> keys, List<String> tags) throws AdminException;

    /**
     * Reads this node's secret files ({@code MERIDIAN_SECRETS_DIR}) again: the current revision is
     * compiled again and published as a new route table generation (the normal zero-loss swap).
     * Changes no revision; other nodes are not affected.
     *
     * @throws AdminException 422 naming each secret that cannot be resolved (the node keeps serving as before)
     * @since 2.2.0
     */
    Reload reloadSecrets() throws AdminException;

    /** The outcome of {@link #reloadSecrets}: the revision served and the route table generation now serving it. */
    record Reload(long revision, long generation) {
    }

    /** The audit, newest first, at most {@code limit} entries (CONTRACT §9). */
    List<AuditEntry> audit(int limit);

    /**
     * Records a call in the audit that is not a change of state (those are recorded by the call
     * itself): a cache invalidation, a token created or revoked, a refused call. Durable on this
     * node before it returns.
     */
    void audit(Actor actor, String call, long revision, String summary);

    /**
     * Who made a change and through which door.
     *
     * @param user    a token's name, a Karaf user ({@code admin}) or {@code deploy}
     * @param source  the door, as the revision history shows it: {@code admin-api}, {@code shell}, {@code deploy:orders.api.yaml}
     * @param role    {@code admin}, {@code operator} or {@code viewer}
     * @param address the client's address for the admin API, else {@code shell} or {@code deploy}
     */
    record Actor(String user, String source, String role, String address, CanaryPolicy canary) {

        /** A caller whose changes are no canary. */
        public Actor(String user, String source, String role, String address) {
            this(user, source, role, address, null);
        }

        /** An actor with every right, at its door (the shell's local console, the deploy folder). */
        public Actor(String user, String source) {
            this(user, source, "admin", source.startsWith("deploy:") ? "deploy" : source);
        }

        /** The same caller at another door (a rollback says which revision it restores). */
        public Actor withSource(String newSource) {
            return new Actor(user, newSource, role, address, canary);
        }

        /**
         * The same caller asking for its change as a canary (CONTRACT §8, {@code ?canary=}): the
         * change call it makes commits a canary revision beside the current one.
         *
         * @since 2.4.0
         */
        public Actor asCanary(CanaryPolicy policy) {
            return new Actor(user, policy == null ? source : source + " canary " + policy.share(), role, address, policy);
        }

        /** The user the audit shows: {@code deploy:<file>} for the deploy folder. */
        public String auditUser() {
            return source.startsWith("deploy:") ? source : user;
        }
    }

    /** A stored revision: its history entry and its state (consumers with their keys hashed). */
    record Revision(RevisionInfo info, List<ApiDefinition> apis, List<ConsumerDefinition> consumers) {

        public Revision {
            apis = List.copyOf(apis);
            consumers = List.copyOf(consumers);
        }

        /** A revision without consumers. */
        public Revision(RevisionInfo info, List<ApiDefinition> apis) {
            this(info, apis, List.of());
        }
    }

    /**
     * A revision's state as the manager holds it.
     *
     * @param revision 0 = no state yet
     * @param apis definitions by id, sorted by id, unmodifiable
     * @param consumers consumers by id, sorted by id, unmodifiable; keys hashed
     */
    record State(long revision, Map<String, ApiDefinition> apis, Map<String, ConsumerDefinition> consumers) {

        /** A state without consumers. */
        public State(long revision, Map<String, ApiDefinition> apis) {
            this(revision, apis, Map.of());
        }
    }

    /**
     * A policy type on a node.
     *
     * @param active whether its bundle is active (a removed bundle's last instance still serving is not)
     * @param pending whether it is on its way, not usable yet: an apply naming it waits for it
     */
    record Plugin(String type, String bundle, String version, boolean active, boolean pending) {
    }

    /**
     * One node of the cluster listing (CONTRACT §5 {@code GET /api/v1/cluster}).
     *
     * @param state {@code starting}, {@code ready}, {@code degraded}, {@code draining} or {@code unreachable}
     * @param error why the node does not serve a newer revision it was given, or empty
     */
    record Node(String name, String region, String address, long revision, String state, List<Plugin> plugins,
                String error) {
    }

    /**
     * The outcome of a coordinated invalidation.
     *
     * @param nodes each live node's acknowledgement
     */
    record Invalidation(long invalidated, long tookMs, List<Ack> nodes) {

        /** @param error empty when the node acknowledged after {@code millis}; else why it did not */
        public record Ack(String node, long millis, String error) {
        }
    }
}
