package dev.meridian.cluster.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;

import dev.meridian.cluster.ClusterMembership;
import dev.meridian.cluster.ClusterNode;
import dev.meridian.cluster.ClusterUnavailableException;
import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.core.Settings;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Json;

/**
 * The one owner of this node's Hazelcast member (embedded, TCP/IP join, no multicast), created
 * from the {@code MERIDIAN_CLUSTER_*} settings. Node statuses live in the map
 * {@code meridian.nodes} as JSON strings (never bundle classes), keyed by node name, in a
 * replicated map: every member holds all of it, so listing the cluster (on every apply, and
 * every few milliseconds while a {@code ?wait=all} waits) reads memory instead of querying
 * every partition; whether a
 * node is live is decided from Hazelcast's member list, so a killed node shows as unreachable.
 * A node whose name an older member already carries leaves the cluster at once (CONTRACT §2).
 */
@Component(service = {ClusterMembership.class, RevisionLog.class}, immediate = true)
public final class HazelcastMembership implements ClusterMembership, RevisionLog {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastMembership.class);
    static final String NODE_ATTRIBUTE = "meridian.node";
    static final String NODES_MAP = "meridian.nodes";
    static final String REVISIONS_MAP = "meridian.revisions";
    static final String HEAD_MAP = "meridian.head";
    static final String HEAD = "head";
    static final String MAJORITY = "meridian-majority";
    /** Revisions kept in the cluster; every node keeps its whole history on disk. */
    static final int KEPT = 500;
    /** How long a commit keeps computing again while other nodes commit first. */
    static final int COMMIT_SECONDS = 15;

    private HazelcastInstance hazelcast;
    private com.hazelcast.replicatedmap.ReplicatedMap<String, String> nodes;
    private IMap<Long, String> revisions;
    private IMap<String, Long> head;
    private String localName;
    private int majority;
    private boolean client;
    private long forgetAfterSeconds;
    private org.osgi.framework.ServiceRegistration<dev.meridian.core.cache.CacheStore> cacheStore;
    private HazelcastCacheStore cache;
    private final List<Consumer<CommittedRevision>> committedListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.ExecutorService headWriter = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "meridian-revision-head");
        t.setDaemon(true);
        return t;
    });

    @Activate
    void activate(org.osgi.framework.BundleContext context) {
        localName = Settings.nodeName();
        ClusterSettings settings = ClusterSettings.fromEnvironment(localName);
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(HazelcastMembership.class.getClassLoader());
        client = "client".equalsIgnoreCase(settings.mode());
        // every node republishes its status at least every 5 s: the entry of one that vanished expires
        forgetAfterSeconds = Math.max(30, settings.forgetAfter().toSeconds());
        try {
            hazelcast = client ? HazelcastClient.newHazelcastClient(clientConfig(settings))
                : Hazelcast.newHazelcastInstance(config(settings));
        } finally {
            t.setContextClassLoader(previous);
        }
        if (!client) {
            refuseDuplicateName(context);
        }
        majority = client ? 1 : settings.members().size() / 2 + 1; // a client counts the members it reaches
        nodes = hazelcast.getReplicatedMap(NODES_MAP);
        revisions = hazelcast.getMap(REVISIONS_MAP);
        revisions.addEntryListener((EntryAddedListener<Long, String>) e -> announced(new CommittedRevision(e.getKey(), e.getValue())), true);
        head = hazelcast.getMap(HEAD_MAP);
        // the shared response cache lives in this member too (STYLE: one owner of Hazelcast)
        cache = new HazelcastCacheStore(hazelcast, !client);
        cacheStore = context.registerService(dev.meridian.core.cache.CacheStore.class, cache, null);
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
        return c;
    }

    static Config config(ClusterSettings s) {
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
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(s.port()).setPortAutoIncrement(false);
        n.getInterfaces().setEnabled(true).addInterface(s.host());
        // Revisions: one synchronous and one asynchronous backup; no majority, no write.
        // (A one-member cluster has nothing to protect, and Hazelcast's check reports failure there.)
        int majority = s.members().size() / 2 + 1;
        MapConfig revisionsConfig = new MapConfig(REVISIONS_MAP).setBackupCount(1).setAsyncBackupCount(1);
        MapConfig headConfig = new MapConfig(HEAD_MAP).setBackupCount(1).setAsyncBackupCount(1);
        if (majority > 1) {
            c.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(MAJORITY, true, majority));
            revisionsConfig.setSplitBrainProtectionName(MAJORITY);
            headConfig.setSplitBrainProtectionName(MAJORITY);
        }
        c.addMapConfig(revisionsConfig);
        c.addMapConfig(headConfig);
        HazelcastCacheStore.configure(c);
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

    @Deactivate
    void deactivate() {
        headWriter.shutdownNow();
        committedListeners.clear();
        if (hazelcast == null) {
            return;
        }
        if (cacheStore != null) {
            cacheStore.unregister();
            cache.close();
        }
        try {
            nodes.remove(localName); // a graceful leave disappears from the listing
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

    @Override
    public List<ClusterNode> nodes() {
        Set<String> live = new HashSet<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String name = m.getAttribute(NODE_ATTRIBUTE);
            if (name != null) {
                live.add(name);
            }
        }
        List<ClusterNode> out = new ArrayList<>();
        for (Map.Entry<String, String> e : nodes.entrySet()) {
            try {
                ClusterNode node = fromJson(e.getValue());
                // client-mode nodes are not members: their entry lives while they refresh it (TTL)
                boolean isLive = live.contains(node.name()) || e.getValue().contains("\"client\":true");
                out.add(isLive ? node : node.withState("unreachable"));
            } catch (DefinitionException | RuntimeException ex) {
                LOG.warn("status of node {} is unreadable", e.getKey(), ex);
            }
        }
        out.sort(Comparator.comparing(ClusterNode::name));
        return out;
    }

    @Override
    public void publishLocalStatus(ClusterNode status) {
        if (client) {
            String json = toJson(status);
            nodes.put(localName, json.substring(0, json.length() - 1) + ",\"client\":true}", 15, TimeUnit.SECONDS);
        } else {
            nodes.put(localName, toJson(status), forgetAfterSeconds, TimeUnit.SECONDS);
        }
    }

    // ---- RevisionLog
    //
    // The commit point is revisions.putIfAbsent(N + 1, payload): one round trip (with its
    // synchronous backup), no lock. Whoever stores N + 1 first has committed it; the others are
    // told by putIfAbsent's answer and compute again from N + 1. The head key is only a hint for
    // readers (advanced after each commit, compare-and-set, never backwards); latest() reads it
    // and then looks for newer numbers, so a head that lags by a commit is harmless.

    @Override
    public Optional<CommittedRevision> latest() {
        return newest();
    }

    @Override
    public Optional<CommittedRevision> get(long revision) {
        String payload = revisions.get(revision);
        return payload == null ? Optional.empty() : Optional.of(new CommittedRevision(revision, payload));
    }

    @Override
    public Optional<CommittedRevision> commit(Function<Optional<CommittedRevision>, Optional<String>> change)
        throws ClusterUnavailableException {
        checkMajority();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(COMMIT_SECONDS);
        try {
            CommittedRevision seen = lastSeen;
            Optional<CommittedRevision> base = seen != null ? Optional.of(seen) : newest();
            while (true) {
                if (System.nanoTime() - deadline > 0) {
                    throw new ClusterUnavailableException("other nodes kept committing first for " + COMMIT_SECONDS
                        + " s; try again");
                }
                long number = base.map(CommittedRevision::revision).orElse(0L) + 1;
                Optional<String> payload;
                try {
                    payload = change.apply(base);
                } catch (RuntimeException refusal) {
                    Optional<CommittedRevision> newer = newerThan(number);
                    if (newer.isEmpty()) {
                        throw refusal; // decided on the newest revision
                    }
                    base = newer;
                    continue;
                }
                if (payload.isEmpty()) {
                    Optional<CommittedRevision> newer = newerThan(number);
                    if (newer.isEmpty()) {
                        return Optional.empty();
                    }
                    base = newer;
                    continue;
                }
                java.util.concurrent.CompletableFuture<Long> headNow = head.getAsync(HEAD).toCompletableFuture();
                String first = revisions.putIfAbsent(number, payload.get());
                if (first != null) {
                    // another node committed this number first: compute again on top of it
                    CommittedRevision theirs = new CommittedRevision(number, first);
                    remember(theirs);
                    base = Optional.of(newestFrom(theirs));
                    continue;
                }
                Long h = await(headNow);
                if (h != null && h > number + KEPT / 2) {
                    // the number was free only because it was pruned long ago: this node's idea of
                    // the newest revision was far behind (cut off and back). Undo, start from the head.
                    revisions.remove(number, payload.get());
                    LOG.warn("revision {} was computed from a long outdated state (the cluster is at {}); computing again",
                        number, h);
                    base = newest();
                    continue;
                }
                CommittedRevision committed = new CommittedRevision(number, payload.get());
                remember(committed);
                advanceHead(number);
                if (number > KEPT) {
                    revisions.deleteAsync(number - KEPT);
                }
                return Optional.of(committed);
            }
        } catch (SplitBrainProtectionException e) {
            throw new ClusterUnavailableException("no majority of the cluster is reachable: " + e.getMessage());
        }
    }

    /** The newest revision seen here (committed here or announced by the cluster), to skip reading its payload again. */
    private volatile CommittedRevision lastSeen;

    private void remember(CommittedRevision r) {
        CommittedRevision seen = lastSeen;
        if (seen == null || r.revision() > seen.revision()) {
            lastSeen = r;
        }
    }

    /** Empty when no revision numbered {@code next} exists (what this node computed from is the newest); else the newest. */
    private Optional<CommittedRevision> newerThan(long next) {
        String payload = revisions.get(next);
        return payload == null ? Optional.empty() : Optional.of(newestFrom(new CommittedRevision(next, payload)));
    }

    /** The cluster's newest: from the head (or what this node saw, if newer), then any numbers after it. */
    private Optional<CommittedRevision> newest() {
        Long h = head.get(HEAD);
        CommittedRevision seen = lastSeen;
        long start = Math.max(h == null ? 0 : h, seen == null ? 0 : seen.revision());
        if (start == 0) {
            String one = revisions.get(1L);
            return one == null ? Optional.empty() : Optional.of(newestFrom(new CommittedRevision(1, one)));
        }
        CommittedRevision from = seen != null && seen.revision() == start ? seen : get(start).orElse(null);
        if (from == null) {
            return Optional.empty(); // the head's payload is gone: nothing readable (a caller retries later)
        }
        return Optional.of(newestFrom(from));
    }

    /** {@code from}, or the newest revision that follows it without a gap. */
    private CommittedRevision newestFrom(CommittedRevision from) {
        CommittedRevision newest = from;
        while (true) {
            String next = revisions.get(newest.revision() + 1);
            if (next == null) {
                remember(newest);
                return newest;
            }
            newest = new CommittedRevision(newest.revision() + 1, next);
        }
    }

    /** Moves the head hint to {@code number} unless it is already there or beyond; off the caller's thread. */
    private void advanceHead(long number) {
        try {
            headWriter.execute(() -> advanceHeadNow(number));
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            LOG.debug("head not advanced to {}: stopping", number);
        }
    }

    private void advanceHeadNow(long number) {
        try {
            for (int attempt = 0; attempt < 100; attempt++) {
                Long h = head.get(HEAD);
                if (h != null && h >= number) {
                    return;
                }
                if (h == null ? head.putIfAbsent(HEAD, number) == null : head.replace(HEAD, h, number)) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("head not advanced to {}: {}", number, e.toString());
        }
    }

    private static Long await(java.util.concurrent.CompletableFuture<Long> read) throws ClusterUnavailableException {
        try {
            return read.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SplitBrainProtectionException s) {
                throw s;
            }
            throw new ClusterUnavailableException("reading the cluster's head revision failed: " + e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ClusterUnavailableException("reading the cluster's head revision took more than 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException("interrupted while reading the cluster's head revision");
        }
    }

    private void checkMajority() throws ClusterUnavailableException {
        int size = hazelcast.getCluster().getMembers().size();
        if (size < majority) {
            throw new ClusterUnavailableException("this node reaches " + size + " of the cluster's members, a majority is "
                + majority + "; changes are refused until it reaches more");
        }
    }

    @Override
    public void seed(CommittedRevision revision) {
        try {
            checkMajority();
            Optional<CommittedRevision> newest = newest();
            if (newest.isPresent() && newest.get().revision() >= revision.revision()) {
                return;
            }
            // stored under its own number, not newest + 1: it is a revision that was committed before
            revisions.putIfAbsent(revision.revision(), revision.payload());
            advanceHeadNow(revision.revision());
            remember(revision);
        } catch (ClusterUnavailableException | RuntimeException e) {
            LOG.warn("revision {} held on disk could not be offered to the cluster: {}", revision.revision(), e.getMessage());
        }
    }

    @Override
    public AutoCloseable onCommitted(Consumer<CommittedRevision> listener) {
        committedListeners.add(listener);
        return () -> committedListeners.remove(listener);
    }

    /** One Hazelcast registration per node; each payload crosses the network once, whoever listens here. */
    private void announced(CommittedRevision revision) {
        remember(revision);
        for (Consumer<CommittedRevision> l : committedListeners) {
            try {
                l.accept(revision);
            } catch (RuntimeException e) {
                LOG.error("a listener of committed revisions failed on revision {}", revision.revision(), e);
            }
        }
    }

    static String toJson(ClusterNode n) {
        return new String(Json.write(n.toTree()), java.nio.charset.StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    static ClusterNode fromJson(String json) throws DefinitionException {
        Map<String, Object> tree = (Map<String, Object>) Json.read(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        List<Map<String, String>> plugins = new ArrayList<>();
        for (Object p : (List<Object>) tree.getOrDefault("plugins", List.of())) {
            Map<String, String> m = new LinkedHashMap<>();
            ((Map<String, Object>) p).forEach((k, v) -> m.put(k, String.valueOf(v)));
            plugins.add(m);
        }
        return new ClusterNode((String) tree.get("name"), (String) tree.get("region"), (String) tree.get("address"),
            ((Number) tree.get("revision")).longValue(), (String) tree.get("state"), plugins, failure(tree.get("error")));
    }

    @SuppressWarnings("unchecked")
    private static ClusterNode.Failure failure(Object error) {
        if (!(error instanceof Map)) {
            return null;
        }
        Map<String, Object> m = (Map<String, Object>) error;
        return new ClusterNode.Failure(((Number) m.get("revision")).longValue(), String.valueOf(m.get("reason")));
    }
}
