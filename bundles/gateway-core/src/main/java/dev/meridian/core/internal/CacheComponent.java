package dev.meridian.core.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.GatewayEngine;
import dev.meridian.core.Settings;
import dev.meridian.core.cache.CacheRules;
import dev.meridian.core.cache.CacheStats;
import dev.meridian.core.cache.CacheStore;
import dev.meridian.core.cache.CacheSupport;
import dev.meridian.core.cache.Generations;
import dev.meridian.core.cache.ResponseCache;
import dev.meridian.core.cache.RouteCache;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Json;

/**
 * The node's response cache: one {@link RouteCache} per cached API and settings version, the
 * node's copy of the invalidation generations, and its side of coordinated invalidation (a
 * broadcast handler that raises generations and sweeps the fast tier before it answers).
 * Requires the cluster's {@link CacheStore}; without it the data plane passes everything
 * through ({@code X-Cache} absent).
 */
@Component(service = ResponseCache.class, immediate = true)
public final class CacheComponent implements ResponseCache {

    private static final Logger LOG = LoggerFactory.getLogger(CacheComponent.class);
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
    /** How long a retired map stays, so nodes still serving the older revision finish with it. */
    private static final long RETIRE_DELAY_SECONDS = 30;
    private static final Duration RETENTION_SLACK = Duration.ofMinutes(10);
    /** Full reads of the cluster's generations: broadcasts keep live nodes current; this catches up the rest. */
    private static final long FULL_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** A refresh this late means the node was paused (SIGSTOP, a long GC): it may have missed broadcasts. */
    private static final long LATE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int MAX_PENDING_URLS = 100_000;
    private static final int URL_BATCH = 5_000;

    @Reference
    private CacheStore store;

    @Reference
    private GatewayEngine engine;

    private final Generations generations = new Generations();
    private final dev.meridian.core.cache.TagCounts tagCounts = new dev.meridian.core.cache.TagCounts(100_000);
    private final ConcurrentHashMap<String, RouteCache> caches = new ConcurrentHashMap<>();
    /** Identity of the cache block each RouteCache was last confirmed for: an unchanged apply costs one identity check. */
    private final ConcurrentHashMap<String, Map<String, Object>> confirmed = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CacheStats> stats = new ConcurrentHashMap<>();
    private final RouteCache.Limits limits = new RouteCache.Limits(Settings.integer("MERIDIAN_CACHE_LOCAL_ENTRIES", 10_000),
        Settings.integer("MERIDIAN_CACHE_MAX_BODY", 1024 * 1024), Settings.duration("MERIDIAN_CACHE_MAX_KEEP", "24h").toMillis());
    /**
     * How long the cluster keeps a generation after its last bump: past the longest an entry is
     * kept (so every entry it refused is gone), plus slack for a fill that raced the bump.
     */
    private final Duration retention = Duration.ofMillis(limits.maxKeepMillis()).plus(RETENTION_SLACK);
    /** URL tags invalidated by unsafe requests, not bumped yet: many requests to one URL cost one bump. */
    private final java.util.Set<String> pendingUrls = ConcurrentHashMap.newKeySet();
    /** APIs with more URLs pending than {@link #MAX_PENDING_URLS}: invalidated whole instead. */
    private final java.util.Set<String> overflowed = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean flushScheduled = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long lastRefreshNanos;
    private volatile long lastFullRefreshNanos;
    private volatile long lastMembership;
    private ScheduledExecutorService timer;
    private AutoCloseable handler;

    @Activate
    void activate() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-cache");
            t.setDaemon(true);
            return t;
        });
        handler = store.onBroadcast(this::onBroadcast); // first: no raise can fall between load and handler
        lastRefreshNanos = System.nanoTime();
        lastMembership = store.membershipVersion();
        fullRefresh(lastRefreshNanos);
        // a node cut off or paused during an invalidation missed its broadcast: it learns it here
        timer.scheduleWithFixedDelay(this::refreshGenerations, 1, 1, TimeUnit.SECONDS);
        timer.scheduleWithFixedDelay(this::retireGone, 5, 5, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() throws Exception {
        timer.shutdownNow();
        if (handler != null) {
            handler.close();
        }
    }

    /**
     * Every second: a full read of the cluster's generations when the last one is 30 s old, or at
     * once when this node was paused or the cluster changed (a member left or joined, a split
     * cluster merged); each also forgets what the cluster forgot. (A full read is
     * proportional to the generations the cluster holds, which retention bounds.)
     */
    private void refreshGenerations() {
        long now = System.nanoTime();
        boolean late = now - lastRefreshNanos > LATE_NANOS;
        lastRefreshNanos = now;
        long membership = store.membershipVersion();
        boolean moved = membership != lastMembership;
        if (late || moved || now - lastFullRefreshNanos >= FULL_REFRESH_NANOS) {
            if (late || moved) {
                LOG.info("cache: {}; re-reading invalidation generations", late ? "this node was paused" : "the cluster changed");
            }
            lastMembership = membership;
            fullRefresh(now);
        }
    }

    private void fullRefresh(long now) {
        try {
            Map<String, Long> all = store.generations();
            generations.raiseAll(all);
            int forgotten = generations.forgetExpired(all.keySet(), now, retention.toNanos());
            if (forgotten > 0) {
                LOG.debug("cache: {} generations past their retention forgotten", forgotten);
            }
            lastFullRefreshNanos = now;
        } catch (RuntimeException e) {
            LOG.debug("cache generations not readable: {}", e.toString());
        }
    }

    @Override
    public RouteCache forApi(ApiDefinition api) {
        Map<String, Object> block = api.cache();
        if (block.isEmpty()) {
            return null;
        }
        RouteCache c = caches.get(api.id());
        if (c != null && confirmed.get(api.id()) == block) {
            return c;
        }
        return confirm(api, block);
    }

    private synchronized RouteCache confirm(ApiDefinition api, Map<String, Object> block) {
        CacheRules rules = CacheRules.of(block).orElseThrow();
        RouteCache c = caches.get(api.id());
        if (c == null || !c.rules().version().equals(rules.version()) || !c.rules().equals(rules)) {
            RouteCache previous = c;
            CacheStats s = stats.computeIfAbsent(api.id(), id -> new CacheStats());
            c = CacheSupport.routeCache(api.id(), rules, store, generations, s, System::currentTimeMillis, limits,
                this::invalidateUrlLater, tagCounts);
            caches.put(api.id(), c);
            if (previous != null) {
                CacheSupport.clearLocal(previous);
                if (!previous.map().equals(c.map())) {
                    retire(previous.map());
                }
            }
            if (previous != null && previous.map().equals(c.map())) {
                CacheSupport.markReady(c);
            } else {
                // a cluster round trip: off the request path; until it is done, lookups bypass
                RouteCache fresh = c;
                timer.execute(() -> {
                    try {
                        store.prepare(fresh.map(), rules.maxEntries());
                    } catch (RuntimeException e) {
                        LOG.warn("cache map {} keeps the default bound: {}", fresh.map(), e.toString());
                    }
                    CacheSupport.markReady(fresh);
                });
            }
        }
        confirmed.put(api.id(), block);
        return c;
    }

    /** Maps of APIs no longer served (deleted, or cache removed) are dropped cluster-wide. */
    private void retireGone() {
        try {
            Map<String, ApiDefinition> apis = engine.state().apis();
            for (Map.Entry<String, RouteCache> e : caches.entrySet()) {
                ApiDefinition api = apis.get(e.getKey());
                if (api == null || api.cache().isEmpty()) {
                    synchronized (this) {
                        if (caches.remove(e.getKey(), e.getValue())) {
                            confirmed.remove(e.getKey());
                            CacheSupport.clearLocal(e.getValue());
                            retire(e.getValue().map());
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("retiring caches of removed APIs failed", e);
        }
    }

    private void retire(String map) {
        timer.schedule(() -> {
            try {
                store.destroy(map);
                LOG.info("cache map {} dropped", map);
            } catch (RuntimeException e) {
                LOG.warn("dropping cache map {} failed", map, e);
            }
        }, RETIRE_DELAY_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public Invalidation invalidate(String api, List<String> keys, List<String> tags) {
        long start = System.nanoTime();
        List<String> names = new ArrayList<>();
        long invalidated = 0;
        RouteCache apiCache = api == null ? null : caches.get(api);
        if (api != null && keys.isEmpty() && tags.isEmpty()) {
            if (apiCache != null) {
                invalidated += safeEntries(apiCache.map());
            }
            names.add("api:" + api);
        }
        for (String key : keys) {
            int q = key.indexOf('?');
            names.add("tag:" + CacheSupport.urlTag(api, q < 0 ? key : key.substring(0, q), q < 0 ? null : key.substring(q + 1)));
            invalidated++; // a URL, all its variants
        }
        for (String tag : tags) {
            names.add("tag:" + tag);
        }
        Map<String, Object> raised = new LinkedHashMap<>(store.bump(names, retention));
        List<CacheStore.NodeReply> replies = announce(raised);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        for (CacheStore.NodeReply r : replies) {
            invalidated += counted(r.reply());
        }
        purgeLater(apiCache, raised);
        return new Invalidation(invalidated, tookMs, replies);
    }

    /**
     * The physical purge, off the caller's path (entries are already refused everywhere): the
     * covered entries are removed where they live, one map after the other on this node's cache
     * thread — an API's own map for a whole-API or URL invalidation, every cached API's map for
     * tags. Entries stored after the invalidation carry the new generations and stay.
     */
    private void purgeLater(RouteCache apiCache, Map<String, Object> raised) {
        long apiGeneration = 0;
        Map<String, Long> tags = new java.util.HashMap<>();
        for (Map.Entry<String, Object> r : raised.entrySet()) {
            long g = ((Number) r.getValue()).longValue();
            if (r.getKey().startsWith("tag:")) {
                tags.put(r.getKey().substring(4), g);
            } else {
                apiGeneration = g;
            }
        }
        long api = apiGeneration;
        List<RouteCache> targets = apiCache != null ? List.of(apiCache) : List.copyOf(caches.values());
        for (RouteCache c : targets) {
            timer.execute(() -> purging(c.map(), () -> store.purge(c.map(), api, tags)));
        }
    }

    private void purging(String map, Runnable purge) {
        long start = System.nanoTime();
        try {
            long before = safeEntries(map);
            purge.run();
            LOG.info("cache map {}: {} invalidated entries purged in {} ms", map, before - safeEntries(map),
                (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.warn("purging cache map {} failed", map, e);
        }
    }

    /**
     * RFC 9111 §4.4: a successful unsafe request invalidates its URL. Off the request path, and
     * not waited for: bumped in the cluster and raised on every node as an invalidation is, in
     * batches, so that a burst of writes to one URL costs one bump and a flood of writes to
     * distinct URLs a round trip per batch (past {@value #MAX_PENDING_URLS} pending URLs, their
     * APIs are invalidated whole instead of queueing more).
     */
    private void invalidateUrlLater(String apiId, String path, String rawQuery) {
        if (pendingUrls.size() >= MAX_PENDING_URLS) {
            overflowed.add(apiId);
        } else {
            pendingUrls.add(CacheSupport.urlTag(apiId, path, rawQuery));
        }
        if (flushScheduled.compareAndSet(false, true)) {
            timer.execute(this::flushUrls);
        }
    }

    private void flushUrls() {
        flushScheduled.set(false); // a URL added from here on schedules another flush
        while (!pendingUrls.isEmpty() || !overflowed.isEmpty()) {
            List<String> names = new ArrayList<>();
            for (java.util.Iterator<String> it = overflowed.iterator(); it.hasNext(); ) {
                String apiId = it.next();
                it.remove();
                names.add("api:" + apiId);
                LOG.warn("cache of API {}: more than {} URLs written at once; invalidating the whole API", apiId, MAX_PENDING_URLS);
            }
            for (java.util.Iterator<String> it = pendingUrls.iterator(); it.hasNext() && names.size() < URL_BATCH; ) {
                names.add("tag:" + it.next());
                it.remove();
            }
            Map<String, Long> bumped;
            try {
                bumped = store.bump(names, retention);
            } catch (RuntimeException e) {
                // nothing raised: the URLs wait for the next try (they are refused nowhere yet)
                LOG.warn("invalidating {} URLs after unsafe requests failed; retrying in 1 s", names.size(), e);
                for (String name : names) {
                    if (name.startsWith("tag:")) {
                        pendingUrls.add(name.substring(4));
                    } else {
                        overflowed.add(name.substring(4));
                    }
                }
                if (flushScheduled.compareAndSet(false, true)) {
                    timer.schedule(this::flushUrls, 1, TimeUnit.SECONDS);
                }
                return;
            }
            generations.raiseAll(bumped);
            try {
                // nodes that miss it learn the bump at their next full read of the generations
                announce(bumped);
            } catch (RuntimeException e) {
                LOG.warn("announcing {} URL invalidations failed; nodes learn them at their next full read", names.size(), e);
            }
        }
    }

    /** Raises {@code bumped} on every live node (each sweeps its fast tier) and answers their acknowledgements. */
    private List<CacheStore.NodeReply> announce(Map<String, ?> bumped) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("op", "raise");
        message.put("generations", bumped);
        return store.broadcast(new String(Json.write(message), StandardCharsets.UTF_8), ACK_TIMEOUT);
    }

    /** The {@code counted} of a node's acknowledgement: entries it stored under the invalidated tags. */
    @SuppressWarnings("unchecked")
    private static long counted(String reply) {
        if (reply == null) {
            return 0;
        }
        try {
            Object n = ((Map<String, Object>) Json.read(reply.getBytes(StandardCharsets.UTF_8))).get("counted");
            return n instanceof Number number ? number.longValue() : 0;
        } catch (DefinitionException | RuntimeException e) {
            return 0;
        }
    }

    private long safeEntries(String map) {
        try {
            return store.entries(map);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** Runs on this node for every broadcast: raise generations and sweep the fast tier, or report statistics. */
    @SuppressWarnings("unchecked")
    private String onBroadcast(String message) {
        try {
            Map<String, Object> m = (Map<String, Object>) Json.read(message.getBytes(StandardCharsets.UTF_8));
            Object op = m.get("op");
            if ("raise".equals(op)) {
                Map<String, Object> raised = (Map<String, Object>) m.get("generations");
                raised.forEach((k, v) -> generations.raise(k, ((Number) v).longValue()));
                long dropped = 0;
                for (RouteCache c : caches.values()) {
                    dropped += CacheSupport.sweep(c);
                }
                long counted = 0;
                for (String name : raised.keySet()) {
                    if (name.startsWith("tag:")) {
                        counted += tagCounts.take(name.substring(4));
                    }
                }
                return "{\"dropped\":" + dropped + ",\"counted\":" + counted + "}";
            }
            if ("stats".equals(op)) {
                return new String(Json.write(nodeStats()), StandardCharsets.UTF_8);
            }
            return "{}";
        } catch (DefinitionException | RuntimeException e) {
            LOG.error("cache broadcast could not be handled: {}", message, e);
            throw new IllegalStateException("cache broadcast failed on " + Settings.nodeName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, Object> nodeStats() {
        Map<String, Object> apis = new LinkedHashMap<>();
        new java.util.TreeMap<>(stats).forEach((id, s) -> {
            RouteCache c = caches.get(id);
            long[] removed = {0, 0};
            if (c != null) {
                try {
                    removed = store.localRemovals(c.map());
                } catch (RuntimeException e) {
                    LOG.debug("map statistics of {} not readable: {}", c.map(), e.toString());
                }
            }
            Map<String, Object> tree = s.toTree(removed[0], removed[1]);
            tree.put("localEntries", c == null ? 0 : CacheSupport.localEntries(c));
            apis.put(id, tree);
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", Settings.nodeName());
        out.put("region", Settings.string("MERIDIAN_REGION", "default"));
        out.put("apis", apis);
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> clusterStats() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (CacheStore.NodeReply r : store.broadcast("{\"op\":\"stats\"}", ACK_TIMEOUT)) {
            if (r.reply() == null || r.reply().equals("{}")) {
                continue;
            }
            try {
                out.add((Map<String, Object>) Json.read(r.reply().getBytes(StandardCharsets.UTF_8)));
            } catch (DefinitionException e) {
                LOG.warn("statistics of node {} unreadable", r.node(), e);
            }
        }
        return out;
    }

    @Override
    public Map<String, Long> entries() {
        Map<String, Long> out = new java.util.TreeMap<>();
        caches.forEach((id, c) -> out.put(id, safeEntries(c.map())));
        return out;
    }
}
