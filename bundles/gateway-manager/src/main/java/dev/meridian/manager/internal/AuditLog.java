package dev.meridian.manager.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.ClusterUnavailableException;
import dev.meridian.cluster.SharedRecords;
import dev.meridian.core.Settings;
import dev.meridian.manager.AuditEntry;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Json;

/**
 * The audit of CONTRACT §9 on every node: an entry is forced to this node's disk
 * ({@code audit.jsonl}) before the call that made it answers, then stored in the cluster's
 * {@code audit} book, from which every other node writes it to its own disk. At start a node
 * offers the entries the cluster lacks (a full restart) and takes those it lacks (it joined
 * later or was down). Keys sort by time ({@code <millis>-<node>-<sequence>}); each node keeps the
 * newest {@code MERIDIAN_AUDIT_KEEP} [100000] and drops older ones from memory, disk (at the next
 * compaction) and the cluster.
 */
@Component(service = AuditLog.class, immediate = true)
public final class AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

    @Reference(target = "(" + SharedRecords.NAME + "=audit)")
    private SharedRecords cluster;

    private final ConcurrentSkipListMap<String, AuditEntry> entries = new ConcurrentSkipListMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final String node = Settings.nodeName();
    private int keep;
    private JsonLines disk;
    private final BookThread thread = new BookThread("audit");

    @Activate
    void activate() throws IOException {
        start(ManagerComponent.dataDir().resolve("audit.jsonl"), Settings.integer("MERIDIAN_AUDIT_KEEP", 100_000));
    }

    void start(Path file, int keepNewest) throws IOException {
        if (keepNewest < 1) {
            throw new IllegalArgumentException("MERIDIAN_AUDIT_KEEP must be at least 1");
        }
        keep = keepNewest;
        disk = new JsonLines(file);
        for (String line : disk.read()) {
            try {
                Map<?, ?> tree = (Map<?, ?>) Json.read(line.getBytes(StandardCharsets.UTF_8));
                entries.put((String) tree.get("key"), entry(tree));
            } catch (DefinitionException | RuntimeException e) {
                LOG.error("an audit line on disk is unreadable and ignored: {}", e.toString());
            }
        }
        trim();
        thread.start(cluster, this::fromCluster, this::exchange);
    }

    @Deactivate
    void stop() throws Exception {
        thread.stop();
        disk.close();
    }

    /**
     * Records an entry: durable here before it returns, then in the cluster (a node without a
     * majority keeps it on its disk and offers it again every 2 s until the cluster takes it).
     */
    void record(AuditEntry e) {
        String key = String.format("%013d-%s-%08d", e.time().toEpochMilli(), node, sequence.incrementAndGet());
        String json = json(key, e);
        synchronized (this) {
            try {
                disk.append(List.of(json));
            } catch (IOException ex) {
                LOG.error("audit entry '{}' by {} could not be written to this node's disk: {}", e.call(), e.user(), ex.toString());
            }
            entries.put(key, e);
        }
        try {
            cluster.putIfAbsent(key, json);
        } catch (ClusterUnavailableException | RuntimeException ex) {
            LOG.warn("audit entry '{}' kept on this node only until the cluster takes it: {}", e.call(), ex.getMessage());
            thread.exchangeAgain();
        }
        thread.run(this::trim);
    }

    /** The newest entries first, at most {@code limit}. */
    List<AuditEntry> newest(int limit) {
        List<AuditEntry> out = new ArrayList<>();
        for (AuditEntry e : entries.descendingMap().values()) {
            if (out.size() >= limit) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    /**
     * The entries made from {@code fromMillis} (inclusive) to {@code toMillis} (exclusive), oldest
     * first: a view of a range of the keys, which sort by time, so nothing outside it is read.
     */
    Collection<AuditEntry> between(long fromMillis, long toMillis) {
        return entries.subMap(String.format("%013d", Math.max(0, fromMillis)),
            String.format("%013d", Math.max(0, toMillis))).values();
    }

    private void fromCluster(String key, String json) {
        if (entries.containsKey(key) || entries.size() >= keep && key.compareTo(entries.firstKey()) < 0) {
            return;
        }
        try {
            AuditEntry e = entry((Map<?, ?>) Json.read(json.getBytes(StandardCharsets.UTF_8)));
            synchronized (this) {
                if (entries.putIfAbsent(key, e) == null) {
                    disk.append(List.of(json));
                }
            }
            trim();
        } catch (DefinitionException | IOException | RuntimeException e) {
            LOG.error("audit entry {} from the cluster could not be kept: {}", key, e.toString());
        }
    }

    /** Entries the cluster lacks go to it, those this node lacks come here. */
    private void exchange() throws ClusterUnavailableException {
        Map<String, String> there = cluster.all();
        for (Map.Entry<String, String> e : there.entrySet()) {
            fromCluster(e.getKey(), e.getValue());
        }
        Map<String, String> missing = new HashMap<>();
        for (Map.Entry<String, AuditEntry> e : entries.entrySet()) {
            if (!there.containsKey(e.getKey())) {
                missing.put(e.getKey(), json(e.getKey(), e.getValue()));
            }
        }
        for (Map.Entry<String, String> e : missing.entrySet()) {
            cluster.putIfAbsent(e.getKey(), e.getValue());
        }
        LOG.info("audit: {} entries here, {} offered to the cluster", entries.size(), missing.size());
    }

    /** Keeps the newest {@code keep}: older ones leave memory and the cluster now, the disk at its next compaction. */
    private synchronized void trim() {
        while (entries.size() > keep) {
            Map.Entry<String, AuditEntry> oldest = entries.pollFirstEntry();
            try {
                cluster.forget(oldest.getKey());
            } catch (RuntimeException e) {
                LOG.debug("audit entry {} not forgotten in the cluster: {}", oldest.getKey(), e.toString());
            }
        }
        if (disk.lines() > keep + keep / 4 + 64) {
            List<String> lines = new ArrayList<>();
            entries.forEach((k, e) -> lines.add(json(k, e)));
            try {
                disk.rewrite(lines);
            } catch (IOException e) {
                LOG.error("audit file not compacted: {}", e.toString());
            }
        }
    }

    static String json(String key, AuditEntry e) {
        Map<String, Object> tree = tree(e);
        tree.put("key", key);
        return new String(Json.write(tree), StandardCharsets.UTF_8);
    }

    /** The wire form of CONTRACT §9. */
    static Map<String, Object> tree(AuditEntry e) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("time", e.time().toString());
        tree.put("user", e.user());
        tree.put("role", e.role());
        tree.put("source", e.source());
        tree.put("call", e.call());
        tree.put("revision", e.revision() == 0 ? null : e.revision());
        tree.put("summary", e.summary());
        return tree;
    }

    private static AuditEntry entry(Map<?, ?> t) {
        Object rev = t.get("revision");
        return new AuditEntry(Instant.parse((String) t.get("time")), (String) t.get("user"), (String) t.get("role"),
            (String) t.get("source"), (String) t.get("call"), rev == null ? 0 : ((Number) rev).longValue(),
            (String) t.get("summary"));
    }
}
