package dev.meridian.manager.internal;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayState;
import dev.meridian.core.NodeState;
import dev.meridian.core.PluginInfo;
import dev.meridian.core.RouteTable;
import dev.meridian.core.Settings;
import dev.meridian.core.TableListener;
import dev.meridian.manager.AuditEntry;

/**
 * Policy bundle changes of this node into the audit (issue 14: every policy bundle change is a
 * marker on the console's time axis, with its revision): a type that appears, goes, changes its
 * bundle or version, or goes away and comes back (a {@code bundle:update}: the 30-50 ms service gap
 * the engine bridges) within {@link #SETTLE_MILLIS} is one entry, user {@code meridian}, call
 * {@code bundle <type>}, source the node. Changes settle first, so an update is one entry rather
 * than a removal and an addition. Nothing is recorded while the node starts (its bundles arrive one by one).
 */
@Component(immediate = true)
public final class BundleMarkers {

    static final long SETTLE_MILLIS = 1_000;

    @Reference
    private GatewayEngine engine;

    @Reference
    private AuditLog audit;

    private final String node = Settings.nodeName();
    private ScheduledExecutorService timer;
    /** Type to "bundle version" as last recorded. */
    private Map<String, String> recorded = Map.of();
    /** Types seen missing or pending since the last settle (guarded by this). */
    private final Set<String> gaps = new TreeSet<>();
    private boolean settleQueued;

    private final TableListener changes = new TableListener() {
        @Override
        public void swapped(RouteTable table, GatewayState state) {
            // a revision, not a bundle: the apply's own audit entry marks it
        }

        @Override
        public void nodeChanged() {
            changed();
        }
    };

    @Activate
    void activate() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "meridian-bundle-markers");
            th.setDaemon(true);
            return th;
        });
        timer = t;
        synchronized (this) {
            recorded = active();
        }
        engine.addListener(changes);
    }

    @Deactivate
    void deactivate() {
        engine.removeListener(changes);
        timer.shutdownNow();
    }

    private synchronized void changed() {
        Map<String, String> now = active();
        for (String type : recorded.keySet()) {
            if (!now.containsKey(type)) {
                gaps.add(type);
            }
        }
        for (PluginInfo p : engine.pendingPlugins()) {
            gaps.add(p.type());
        }
        if (!settleQueued) {
            settleQueued = true;
            timer.schedule(this::settle, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void settle() {
        Map<String, String> now;
        Set<String> gapped;
        Map<String, String> before;
        synchronized (this) {
            settleQueued = false;
            now = active();
            gapped = new TreeSet<>(gaps);
            gaps.clear();
            before = recorded;
            recorded = now;
        }
        if (engine.nodeState() == NodeState.STARTING) {
            return; // the policy bundles of a booting node arrive one by one: nothing changed for anyone yet
        }
        Set<String> types = new TreeSet<>(before.keySet());
        types.addAll(now.keySet());
        long revision = engine.current().revision();
        for (String type : types) {
            String was = before.get(type);
            String is = now.get(type);
            String summary;
            if (was == null && is != null) {
                summary = "policy type " + type + " added on node " + node + " (" + is + ")";
            } else if (was != null && is == null) {
                summary = "policy type " + type + " removed from node " + node + " (was " + was + ")";
            } else if (was != null && !was.equals(is)) {
                summary = "policy type " + type + " replaced on node " + node + ": " + was + " -> " + is;
            } else if (is != null && gapped.contains(type)) {
                summary = "policy type " + type + " updated on node " + node + " (" + is + ")";
            } else {
                continue;
            }
            audit.record(new AuditEntry(Instant.now().truncatedTo(ChronoUnit.MILLIS), "meridian", "admin", node,
                "bundle " + type, revision, summary));
        }
    }

    private Map<String, String> active() {
        Map<String, String> out = new TreeMap<>();
        for (PluginInfo p : engine.plugins()) {
            if (p.active()) {
                out.put(p.type(), p.bundle() + " " + p.version());
            }
        }
        return out;
    }
}
