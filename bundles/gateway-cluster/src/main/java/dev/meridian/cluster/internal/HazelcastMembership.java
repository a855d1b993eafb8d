package dev.meridian.cluster.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import dev.meridian.cluster.ClusterMembership;
import dev.meridian.cluster.ClusterNode;
import dev.meridian.cluster.ClusterUnavailableException;
import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.core.Settings;
import dev.meridian.model.DefinitionException;

/**
 * The one owner of this node's Hazelcast member (embedded, TCP/IP join, no multicast), created
 * from the {@code MERIDIAN_CLUSTER_*} settings. Node statuses live in the map
 * {@code meridian.nodes} as JSON strings (never bundle classes), keyed by node name, in a
 * replicated map: every member holds all of it, and {@link NodeListing} keeps it verified and
 * parsed from this member's events, so listing the cluster (on every apply, and every few
 * milliseconds while a {@code ?wait=all} waits) reads one snapshot; whether a node is live is
 * decided from Hazelcast's member list, so a killed node shows as unreachable.
 * A node whose name an older member already carries leaves the cluster at once (CONTRACT §2).
 * The revision log lives in {@link HazelcastRevisionLog}, on this member.
 */
// the books are registered by hand (one per name): their capability is declared for the features resolver
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"dev.meridian.cluster.SharedRecords\"")
@Component(service = {ClusterMembership.class, RevisionLog.class}, immediate = true)
public final class HazelcastMembership implements ClusterMembership, RevisionLog {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastMembership.class);
    static final String NODE_ATTRIBUTE = "meridian.node";
    /** A member's proof that it holds the cluster secret ({@link ClusterSeal#proof}). */
    static final String PROOF_ATTRIBUTE = "meridian.proof";
    static final String NODES_MAP = "meridian.nodes";
    /** The manager's record books (CONTRACT §9: tokens, audit). */
    static final String[] BOOKS = {"tokens", "audit"};

    private HazelcastInstance hazelcast;
    private NodeListing listing;
    private HazelcastRevisionLog revisionLog;
    private String localName;
    private int majority;
    private boolean client;
    private long forgetAfterSeconds;
    private org.osgi.framework.ServiceRegistration<dev.meridian.cache.CacheStore> cacheStore;
    private HazelcastCacheStore cache;
    private org.osgi.framework.ServiceRegistration<dev.meridian.core.SharedStates> sharedStatesRegistration;
    private HazelcastSharedStates sharedStates;
    private org.osgi.framework.ServiceRegistration<dev.meridian.cluster.NodeQueries> queriesRegistration;
    private HazelcastNodeQueries queries;
    private AutoCloseable queryHandlerTracker;
    private ClusterSeal seal = ClusterSeal.none();
    private String clusterName;
    /** The manager's books (tokens, audit), one registration each. */
    private final List<HazelcastRecords> books = new ArrayList<>();
    private final List<org.osgi.framework.ServiceRegistration<dev.meridian.cluster.SharedRecords>> bookRegistrations = new ArrayList<>();

    @Activate
    void activate(org.osgi.framework.BundleContext context) {
        localName = Settings.nodeName();
        ClusterSettings settings = ClusterSettings.fromEnvironment(localName);
        seal = ClusterSeal.of(clusterSecret());
        clusterName = settings.name();
        warnAboutProtection(settings);
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(HazelcastMembership.class.getClassLoader());
        client = "client".equalsIgnoreCase(settings.mode());
        // every node republishes its status at least every 5 s: the entry of one that vanished expires
        forgetAfterSeconds = Math.max(30, settings.forgetAfter().toSeconds());
        try {
            hazelcast = client ? HazelcastClient.newHazelcastClient(clientConfig(settings))
                : Hazelcast.newHazelcastInstance(config(settings, seal));
        } finally {
            t.setContextClassLoader(previous);
        }
        refuseForeignCluster(context); // a client too: it commits revisions and stores answers
        if (!client) {
            refuseDuplicateName(context);
            hazelcast.getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
                @Override
                public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
                    String problem = unproven(event.getMember());
                    if (problem != null) {
                        LOG.warn("cluster member {} at {} {}: nothing it writes is accepted here", event.getMember()
                            .getAttribute(NODE_ATTRIBUTE), event.getMember().getAddress(), problem);
                    }
                }

                @Override
                public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
                }
            });
        }
        majority = client ? 1 : settings.members().size() / 2 + 1; // a client counts the members it reaches
        listing = new NodeListing(hazelcast.getReplicatedMap(NODES_MAP), seal).start();
        revisionLog = new HazelcastRevisionLog(hazelcast, majority, seal);
        revisionLog.start();
        // the shared response cache lives in this member too (STYLE: one owner of Hazelcast)
        cache = new HazelcastCacheStore(hazelcast, !client, seal);
        cacheStore = context.registerService(dev.meridian.cache.CacheStore.class, cache, null);
        // and the state policies share (PolicyContext.state): it outlives their revisions and bundles
        sharedStates = new HazelcastSharedStates(hazelcast, seal);
        sharedStatesRegistration = context.registerService(dev.meridian.core.SharedStates.class, sharedStates, null);
        // questions to every node (the console's per-node series), answered by this node's NodeQueryHandlers
        QueryHandlers queryHandlers = new QueryHandlers();
        queryHandlerTracker = queryHandlers.track(context);
        queries = new HazelcastNodeQueries(hazelcast, seal, localName, queryHandlers, !client);
        queriesRegistration = context.registerService(dev.meridian.cluster.NodeQueries.class, queries, null);
        for (String book : BOOKS) {
            HazelcastRecords records = new HazelcastRecords(hazelcast, book, seal);
            records.start();
            books.add(records);
            bookRegistrations.add(context.registerService(dev.meridian.cluster.SharedRecords.class, records,
                new java.util.Hashtable<>(Map.of(dev.meridian.cluster.SharedRecords.NAME, book))));
        }
        LOG.info("node {} joined cluster '{}' on {}:{} ({} members)", localName, settings.name(), settings.host(),
            settings.port(), hazelcast.getCluster().getMembers().size());
    }

    /** {@code MERIDIAN_CLUSTER_MODE=client}: join an existing Hazelcast cluster as a client instead of a member. */
    static ClientConfig clientConfig(ClusterSettings s) {
        ClientConfig c = new ClientConfig();
        c.setClassLoader(HazelcastMembership.class.getClassLoader());
        c.setClusterName(s.name());
        c.setInstanceName("meridian-" + s.nodeName());
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        c.getNetworkConfig().setAddresses(new ArrayList<>(s.members()));
        c.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(120_000);
        DeserializationFilter.apply(c.getSerializationConfig());
        HazelcastSharedStates.configure(c);
        return c;
    }

    static Config config(ClusterSettings s) {
        return config(s, ClusterSeal.none());
    }

    /** The member's configuration; with a secret, the member shows its {@link ClusterSeal#proof proof} as an attribute. */
    static Config config(ClusterSettings s, ClusterSeal seal) {
        Config c = new Config();
        c.setClassLoader(HazelcastMembership.class.getClassLoader());
        c.setClusterName(s.name());
        c.setInstanceName("meridian-" + s.nodeName());
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.shutdownhook.enabled", "false"); // the OSGi lifecycle stops it
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        c.setProperty("hazelcast.socket.bind.any", "false");
        // a member dropped while frozen or cut off merges back within seconds, not the default minutes
        c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        c.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, s.nodeName());
        String proof = seal.proof(s.name(), s.nodeName());
        if (proof != null) {
            c.getMemberAttributeConfig().setAttribute(PROOF_ATTRIBUTE, proof);
        }
        DeserializationFilter.apply(c.getSerializationConfig());
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(s.port()).setPortAutoIncrement(false);
        n.getInterfaces().setEnabled(true).addInterface(s.host());
        HazelcastRevisionLog.configure(c, s.members().size() / 2 + 1);
        HazelcastCacheStore.configure(c);
        HazelcastRecords.configure(c, s.members().size() / 2 + 1, BOOKS);
        HazelcastSharedStates.configure(c, seal);
        HazelcastNodeQueries.configure(c);
        JoinConfig j = n.getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true).setMembers(new ArrayList<>(s.members()));
        return c;
    }

    /**
     * Members are listed oldest first: if an older one carries this name, this node must not
     * stay, and must not serve either (it would serve a revision nobody can see or change): the
     * node stops, as a gateway with a fatal configuration error does; a supervisor restarting it
     * gets it in once the name is free (a dead holder is dropped after the heartbeat timeout).
     */
    private void refuseDuplicateName(org.osgi.framework.BundleContext context) {
        Member self = hazelcast.getCluster().getLocalMember();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.equals(self)) {
                return;
            }
            if (localName.equals(m.getAttribute(NODE_ATTRIBUTE))) {
                hazelcast.shutdown();
                hazelcast = null;
                LOG.error("node name '{}' is already used by cluster member {}; set a unique MERIDIAN_NODE_NAME."
                    + " Stopping this node.", localName, m.getAddress());
                try {
                    context.getBundle(org.osgi.framework.Constants.SYSTEM_BUNDLE_LOCATION).stop();
                } catch (org.osgi.framework.BundleException | RuntimeException e) {
                    LOG.error("could not stop the node", e);
                }
                throw new IllegalStateException("node name '" + localName + "' is already used by cluster member "
                    + m.getAddress() + "; set a unique MERIDIAN_NODE_NAME");
            }
        }
    }

    /**
     * A member shows the proof of this cluster's secret, or both have none. Null when it does;
     * else what is wrong, for the log.
     */
    private String unproven(Member m) {
        String proof = m.getAttribute(PROOF_ATTRIBUTE);
        String name = m.getAttribute(NODE_ATTRIBUTE);
        if (!seal.enabled()) {
            return proof == null ? null : "holds a MERIDIAN_CLUSTER_SECRET and this node has none";
        }
        if (proof == null) {
            return "has no MERIDIAN_CLUSTER_SECRET";
        }
        return seal.verifies(clusterName, name, proof) ? null : "holds another MERIDIAN_CLUSTER_SECRET";
    }

    /**
     * Hazelcast's open-source edition lets any process that reaches the cluster port join. A
     * node whose secret does not match the members that were there before it is the stranger:
     * it stops at once (as with a duplicate name) instead of taking partitions it would only
     * refuse. The older members, for their part, accept nothing it writes ({@link ClusterSeal}).
     */
    private void refuseForeignCluster(org.osgi.framework.BundleContext context) {
        Member self = client ? null : hazelcast.getCluster().getLocalMember();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.equals(self)) {
                return;
            }
            String problem = unproven(m);
            if (problem != null) {
                hazelcast.shutdown();
                hazelcast = null;
                String message = "cluster member " + m.getAttribute(NODE_ATTRIBUTE) + " at " + m.getAddress() + " " + problem
                    + "; every node of a cluster needs the same MERIDIAN_CLUSTER_SECRET";
                LOG.error("{}. Stopping this node.", message);
                try {
                    context.getBundle(org.osgi.framework.Constants.SYSTEM_BUNDLE_LOCATION).stop();
                } catch (org.osgi.framework.BundleException | RuntimeException e) {
                    LOG.error("could not stop the node", e);
                }
                throw new IllegalStateException(message);
            }
        }
    }

    /**
     * {@code MERIDIAN_CLUSTER_SECRET}, or the content of the file {@code MERIDIAN_CLUSTER_SECRET_FILE}
     * names (kept out of the process environment, which other processes of the same user can read).
     */
    static String clusterSecret() {
        String file = Settings.string("MERIDIAN_CLUSTER_SECRET_FILE", null);
        if (file == null || file.isBlank()) {
            return Settings.string("MERIDIAN_CLUSTER_SECRET", null);
        }
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of(file), java.nio.charset.StandardCharsets.UTF_8).strip();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("MERIDIAN_CLUSTER_SECRET_FILE " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** CONTRACT §9: a multi-member list without a secret, and a single-member list, are said at start. */
    private void warnAboutProtection(ClusterSettings settings) {
        if (settings.members().size() > 1 && !seal.enabled()) {
            LOG.warn("MERIDIAN_CLUSTER_MEMBERS lists {} members but MERIDIAN_CLUSTER_SECRET is not set: any process that"
                + " reaches the cluster port can change what every node serves. Set the same secret on every node.",
                settings.members().size());
        } else if (settings.members().size() == 1 && !client) {
            LOG.warn("MERIDIAN_CLUSTER_MEMBERS lists one member: no majority protects revisions from a split cluster"
                + " (list every member of the cluster on every node)");
        }
    }

    @Deactivate
    void deactivate() {
        if (revisionLog != null) {
            revisionLog.close();
        }
        bookRegistrations.forEach(r -> {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                LOG.debug("record book already unregistered");
            }
        });
        bookRegistrations.clear();
        books.forEach(HazelcastRecords::close);
        books.clear();
        if (hazelcast == null) {
            return;
        }
        if (cacheStore != null) {
            cacheStore.unregister();
            cache.close();
        }
        if (sharedStatesRegistration != null) {
            sharedStatesRegistration.unregister();
            sharedStates.close();
        }
        if (queriesRegistration != null) {
            queriesRegistration.unregister();
            queries.close();
            try {
                queryHandlerTracker.close();
            } catch (Exception e) {
                LOG.warn("could not stop tracking the query handlers", e);
            }
        }
        try {
            listing.close();
            listing.remove(localName); // a graceful leave disappears from the listing
        } catch (RuntimeException e) {
            LOG.warn("could not remove node {} from the cluster listing", localName, e);
        }
        hazelcast.shutdown();
        LOG.info("node {} left the cluster", localName);
    }

    @Override
    public String localName() {
        return localName;
    }

    /** Hazelcast's cluster-safe state (backups in sync); a client cannot see it and answers true. */
    @Override
    public boolean safe() {
        HazelcastInstance h = hazelcast;
        if (client || h == null) {
            return true;
        }
        try {
            return h.getPartitionService().isClusterSafe();
        } catch (RuntimeException e) {
            return false; // shutting down or not joined
        }
    }

    /** When the listing last read the whole map ({@link System#nanoTime()}); see {@link #nodes}. */
    private volatile long reconciledAt = System.nanoTime();

    /**
     * The listing ({@link NodeListing}: kept current by Hazelcast's events, read from memory), with
     * liveness from Hazelcast's member list, so a killed node shows as unreachable. A read that
     * finds the listing's last full read more than {@value #RECONCILE_SECONDS} s old does one
     * first (a missed event heals within seconds).
     */
    @Override
    public List<ClusterNode> nodes() {
        long now = System.nanoTime();
        if (now - reconciledAt > TimeUnit.SECONDS.toNanos(RECONCILE_SECONDS)) {
            reconciledAt = now;
            listing.reconcile();
        }
        Set<String> live = new HashSet<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String name = m.getAttribute(NODE_ATTRIBUTE);
            if (name != null) {
                live.add(name);
            }
        }
        return listing.nodes(live);
    }

    /** How often the listing is read whole at most (a node's heartbeat publishes every 5 s). */
    static final int RECONCILE_SECONDS = 5;

    @Override
    public void publishLocalStatus(ClusterNode status) {
        String json = toJson(status);
        if (client) {
            listing.publish(localName, json.substring(0, json.length() - 1) + ",\"client\":true}", 15);
        } else {
            listing.publish(localName, json, forgetAfterSeconds);
        }
    }

    // ---- RevisionLog: see HazelcastRevisionLog

    @Override
    public Optional<CommittedRevision> latest() {
        return revisionLog.latest();
    }

    @Override
    public Optional<CommittedRevision> get(long revision) {
        return revisionLog.get(revision);
    }

    @Override
    public Optional<CommittedRevision> commit(Function<Optional<CommittedRevision>, Optional<String>> change)
        throws ClusterUnavailableException {
        return revisionLog.commit(change);
    }

    @Override
    public void seed(CommittedRevision revision) {
        revisionLog.seed(revision);
    }

    @Override
    public AutoCloseable onCommitted(Consumer<CommittedRevision> listener) {
        return revisionLog.onCommitted(listener);
    }

    static String toJson(ClusterNode n) {
        return NodeListing.toJson(n);
    }

    static ClusterNode fromJson(String json) throws DefinitionException {
        return NodeListing.fromJson(json);
    }
}
