package dev.meridian.cluster.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;

import dev.meridian.cluster.ClusterUnavailableException;
import dev.meridian.cluster.SharedRecords;

/**
 * {@link SharedRecords} on one Hazelcast map {@code meridian.records.<name>} of JSON strings, with
 * the revisions' backups (one synchronous, one asynchronous) and split-brain protection.
 */
final class HazelcastRecords implements SharedRecords, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastRecords.class);
    static final String PREFIX = "meridian.records.";

    private final String name;
    private final ClusterSeal seal;
    private final IMap<String, String> map;
    private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();
    private UUID registration;

    HazelcastRecords(HazelcastInstance hazelcast, String name) {
        this(hazelcast, name, ClusterSeal.none());
    }

    /** @param seal seals each record for its book and key, and refuses records it did not seal (CONTRACT §9) */
    HazelcastRecords(HazelcastInstance hazelcast, String name, ClusterSeal seal) {
        this.seal = seal;
        this.name = name;
        this.map = hazelcast.getMap(PREFIX + name);
    }

    /** The books' maps: as durable in the cluster as the revisions, and refused without a majority. */
    static void configure(Config c, int majority, String... names) {
        for (String n : names) {
            MapConfig m = new MapConfig(PREFIX + n).setBackupCount(1).setAsyncBackupCount(1);
            if (majority > 1) {
                m.setSplitBrainProtectionName(HazelcastRevisionLog.MAJORITY); // declared by the revision log
            }
            c.addMapConfig(m);
        }
    }

    void start() {
        Listener l = new Listener();
        registration = map.addEntryListener(l, true);
    }

    private final class Listener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> e) {
            announce(e.getKey(), e.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> e) {
            announce(e.getKey(), e.getValue());
        }
    }

    private String context(String key) {
        return "records:" + name + "\0" + key;
    }

    /** A stored record's JSON, or null (logged) when this cluster's secret did not seal it for that key. */
    private String opened(String key, String stored) {
        if (stored == null) {
            return null;
        }
        try {
            return seal.open(context(key), stored);
        } catch (ClusterSeal.Forged e) {
            LOG.warn("record {} of the {} book is refused: {}; a process with another MERIDIAN_CLUSTER_SECRET, or none,"
                + " wrote it", key, name, e.getMessage());
            return null;
        }
    }

    private void announce(String key, String stored) {
        String value = opened(key, stored);
        if (value == null) {
            return;
        }
        for (BiConsumer<String, String> l : listeners) {
            try {
                l.accept(key, value);
            } catch (RuntimeException e) {
                LOG.error("a listener of the {} records failed on {}", name, key, e);
            }
        }
    }

    @Override
    public Optional<String> putIfAbsent(String key, String json) throws ClusterUnavailableException {
        try {
            String sealed = seal.seal(context(key), json);
            String there = map.putIfAbsent(key, sealed);
            if (there == null) {
                return Optional.empty();
            }
            String record = opened(key, there);
            if (record == null && map.replace(key, there, sealed)) {
                return Optional.empty(); // a forged record held the key: ours takes its place
            }
            return Optional.ofNullable(record != null ? record : get(key).orElse(null));
        } catch (SplitBrainProtectionException e) {
            throw new ClusterUnavailableException("no majority of the cluster is reachable: " + e.getMessage());
        }
    }

    @Override
    public boolean replace(String key, String expected, String json) throws ClusterUnavailableException {
        try {
            // the seal is deterministic: the expected record sealed again is the stored value
            return map.replace(key, seal.seal(context(key), expected), seal.seal(context(key), json));
        } catch (SplitBrainProtectionException e) {
            throw new ClusterUnavailableException("no majority of the cluster is reachable: " + e.getMessage());
        }
    }

    @Override
    public Optional<String> get(String key) {
        return Optional.ofNullable(opened(key, map.get(key)));
    }

    @Override
    public Map<String, String> all() {
        Map<String, String> out = new HashMap<>();
        map.forEach((k, v) -> {
            String record = opened(k, v);
            if (record != null) {
                out.put(k, record);
            }
        });
        return out;
    }

    @Override
    public void forget(String key) {
        map.deleteAsync(key);
    }

    @Override
    public AutoCloseable onWrite(BiConsumer<String, String> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public void close() {
        listeners.clear();
        if (registration != null) {
            try {
                map.removeEntryListener(registration);
            } catch (RuntimeException e) {
                LOG.debug("{} records listener not removed: {}", name, e.toString());
            }
        }
    }
}
