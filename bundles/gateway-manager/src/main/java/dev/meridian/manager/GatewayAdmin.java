package dev.meridian.manager;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.osgi.annotation.versioning.ProviderType;

import dev.meridian.core.GatewayState;
import dev.meridian.core.PluginInfo;
import dev.meridian.model.ApiDefinition;

/**
 * Every change of the gateway's state goes through here, whichever way it came in (admin API,
 * shell, deploy folder). Each call that changes state creates exactly one durable revision,
 * synced to disk before it returns, and publishes it to the engine.
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

    /** Deletes one API; 404 when unknown. */
    Change delete(String id, Actor actor, OptionalLong ifMatch) throws AdminException;

    /** A new revision whose state equals revision {@code to}; 404 when unknown. */
    Change rollback(long to, Actor actor, OptionalLong ifMatch) throws AdminException;

    /** The state this node's manager considers current. */
    GatewayState current();

    /** History, newest first: at most {@code limit} entries older than {@code before} (0 = no bound). */
    List<RevisionInfo> revisions(int limit, long before);

    /** One revision and its full state. */
    Optional<Revision> revision(long n);

    /** Policy types on this node. */
    List<PluginInfo> plugins();

    /** Policy types on their way to this node (their bundle being installed, updated or refreshed). */
    default List<PluginInfo> pendingPlugins() {
        return List.of();
    }

    /** Every node of the cluster with the revision it serves (this node alone without a cluster). */
    List<dev.meridian.cluster.ClusterNode> cluster();

    /** Who made a change and through which door (e.g. {@code admin-api}, {@code shell}, {@code deploy:orders.api.yaml}). */
    record Actor(String user, String source) {
    }

    /** A stored revision: its history entry and its state. */
    record Revision(RevisionInfo info, List<ApiDefinition> apis) {
    }
}
