package dev.meridian.cluster.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.EntryListener;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;

import dev.meridian.cluster.ClusterNode;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Json;

/**
 * The cluster listing: every node's status as it published it, in the replicated map
 * {@code meridian.nodes} (sealed JSON strings keyed by node name, each with a time to live that
 * the node's heartbeat renews), held here already verified and parsed.
 *
 * <p>The listing is read on every apply (three times: the type wait, the pending check, the live
 * nodes' types), every 5 ms while a {@code ?wait=all} waits and every 20 ms while a type wait
 * waits, and each apply changes every node's entry (the revision it serves). Reading the
 * replicated map's {@code entrySet()} for each of them walked all 271 of its partition stores,
 * with their statistics, and verified and parsed each changed entry on the reader's thread:
 * measured, a quarter of the admin thread's samples in an apply on three nodes. Hazelcast tells
 * this member of each change of its replica instead (an entry listener, on its event thread):
 * the entry is verified and parsed once there, and the snapshot read by {@link #nodes} is replaced
 * whole. A full read of the map still runs at start and on every {@link #reconcile} (at most
 * every 5 s, by the read that finds the last one older: {@code HazelcastMembership.nodes}), so an
 * event missed while the listener was being registered is healed within seconds; an entry an
 * event changed while the map was being read keeps what the event said.
 */
final class NodeListing implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeListing.class);

    /** A status entry as stored (sealed) and as read from it. */
    record Opened(String sealed, ClusterNode node, boolean client) {
    }

    private final ReplicatedMap<String, String> map;
    private final ClusterSeal seal;
    /** The statuses by node name; replaced whole (under this), never changed. */
    private volatile Map<String, Opened> opened = Map.of();
    /** Events taken so far (guarded by this): what a {@link #reconcile} compares with. */
    private long events;
    /** For each entry an event changed since the oldest reconcile under way, that event's number (guarded by this). */
    private final Map<String, Long> touched = new HashMap<>();
    private UUID registration;
    private final Object reconciling = new Object();

    NodeListing(ReplicatedMap<String, String> map, ClusterSeal seal) {
        this.map = map;
        this.seal = seal;
    }

    /** Listens for changes, then reads the map once. */
    NodeListing start() {
        registration = map.addEntryListener(new Changes());
        reconcile();
        return this;
    }

    @Override
    public void close() {
        if (registration != null) {
            try {
                map.removeEntryListener(registration);
            } catch (RuntimeException e) {
                LOG.debug("listing listener not removed: {}", e.toString());
            }
        }
    }

    /**
     * The statuses, sorted by name; a node whose name is not in {@code live} (Hazelcast's member
     * list) is {@code unreachable}, unless it is a client, whose entry lives while it renews it.
     */
    List<ClusterNode> nodes(Set<String> live) {
        Map<String, Opened> now = opened;
        List<ClusterNode> out = new ArrayList<>(now.size());
        for (Opened o : now.values()) {
            out.add(live.contains(o.node().name()) || o.client() ? o.node() : o.node().withState("unreachable"));
        }
        out.sort(Comparator.comparing(ClusterNode::name));
        return out;
    }

    /** Stores this node's status (sealed for its name) with a time to live. */
    void publish(String name, String json, long ttlSeconds) {
        map.put(name, seal.seal(context(name), json), ttlSeconds, TimeUnit.SECONDS);
    }

    /** Removes this node's entry (a graceful leave disappears from the listing). */
    void remove(String name) {
        map.remove(name);
    }

    /**
     * Reads the whole map and takes it as the listing: entries unchanged since the last read are
     * not verified or parsed again, and an entry an event changed while the map was being read
     * keeps what the event said (it is the newer). Heals a change whose event was missed.
     */
    void reconcile() {
        synchronized (reconciling) { // one at a time: each prunes the marks older than its own start
            reconcileNow();
        }
    }

    private void reconcileNow() {
        long start;
        synchronized (this) {
            start = events;
        }
        Map<String, String> stored = new HashMap<>();
        for (Map.Entry<String, String> e : map.entrySet()) {
            stored.put(e.getKey(), e.getValue());
        }
        synchronized (this) {
            Map<String, Opened> before = opened;
            Map<String, Opened> now = new HashMap<>();
            stored.forEach((name, sealed) -> {
                if (touched.getOrDefault(name, 0L) > start) {
                    return; // an event after the read began decides
                }
                Opened o = before.get(name);
                if (o == null || !o.sealed().equals(sealed)) {
                    o = open(name, sealed);
                }
                if (o != null) {
                    now.put(name, o);
                }
            });
            before.forEach((name, o) -> {
                if (touched.getOrDefault(name, 0L) > start) {
                    now.put(name, o);
                }
            });
            touched.values().removeIf(at -> at <= start);
            opened = Map.copyOf(now);
        }
    }

    /** One event: {@code sealed} is the entry's new value, null when it is gone. */
    private synchronized void changed(String name, String sealed) {
        touched.put(name, ++events);
        Map<String, Opened> before = opened;
        Opened was = before.get(name);
        if (sealed != null && was != null && was.sealed().equals(sealed)) {
            return;
        }
        Opened o = sealed == null ? null : open(name, sealed);
        if (o == null && was == null) {
            return;
        }
        Map<String, Opened> now = new HashMap<>(before);
        if (o == null) {
            now.remove(name);
        } else {
            now.put(name, o);
        }
        opened = Map.copyOf(now);
    }

    private synchronized void cleared() {
        for (String name : opened.keySet()) {
            touched.put(name, ++events);
        }
        opened = Map.of();
    }

    /** The entry verified and parsed, or null (logged) when it is forged or unreadable. */
    private Opened open(String name, String sealed) {
        try {
            String json = seal.open(context(name), sealed);
            return new Opened(sealed, fromJson(json), json.contains("\"client\":true"));
        } catch (ClusterSeal.Forged e) {
            LOG.debug("status of node {} is refused: {}", name, e.getMessage());
        } catch (DefinitionException | RuntimeException e) {
            LOG.warn("status of node {} is unreadable", name, e);
        }
        return null;
    }

    static String context(String name) {
        return "node:" + name;
    }

    static String toJson(ClusterNode n) {
        return new String(Json.write(n.toTree()), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    static ClusterNode fromJson(String json) throws DefinitionException {
        Map<String, Object> tree = (Map<String, Object>) Json.read(json.getBytes(StandardCharsets.UTF_8));
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

    /** This member's replica changed: one entry at a time, on Hazelcast's event thread. */
    private final class Changes implements EntryListener<String, String> {

        @Override
        public void entryAdded(EntryEvent<String, String> e) {
            changed(e.getKey(), e.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> e) {
            changed(e.getKey(), e.getValue());
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> e) {
            changed(e.getKey(), null);
        }

        @Override
        public void entryEvicted(EntryEvent<String, String> e) {
            changed(e.getKey(), null);
        }

        @Override
        public void entryExpired(EntryEvent<String, String> e) {
            changed(e.getKey(), null);
        }

        @Override
        public void mapCleared(MapEvent e) {
            cleared();
        }

        @Override
        public void mapEvicted(MapEvent e) {
            cleared();
        }
    }
}
