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
    private final IMap<String, String> map;
    private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();
    private UUID registration;

    HazelcastRecords(HazelcastInstance hazelcast, String name) {
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

    private void announce(String key, String value) {
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
            return Optional.ofNullable(map.putIfAbsent(key, json));
        } catch (SplitBrainProtectionException e) {
            throw new ClusterUnavailableException("no majority of the cluster is reachable: " + e.getMessage());
        }
    }

    @Override
    public boolean replace(String key, String expected, String json) throws ClusterUnavailableException {
        try {
            return map.replace(key, expected, json);
        } catch (SplitBrainProtectionException e) {
            throw new ClusterUnavailableException("no majority of the cluster is reachable: " + e.getMessage());
        }
    }

    @Override
    public Optional<String> get(String key) {
        return Optional.ofNullable(map.get(key));
    }

    @Override
    public Map<String, String> all() {
        return new HashMap<>(map);
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
