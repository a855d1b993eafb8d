package dev.meridian.cache.internal;

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
import dev.meridian.core.TableListener;
import dev.meridian.cache.CacheRules;
import dev.meridian.cache.CacheStats;
import dev.meridian.cache.CacheStore;
import dev.meridian.cache.CacheSupport;
import dev.meridian.cache.Generations;
import dev.meridian.cache.Invalidated;
import dev.meridian.cache.LocalTier;
import dev.meridian.cache.UrlGenerations;
import dev.meridian.cache.ResponseCache;
import dev.meridian.cache.RouteCache;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Json;

/**
 * The node's response cache: one {@link RouteCache} per cached API and settings version, the
 * node's copy of the invalidation generations, and its side of coordinated invalidation (a
 * broadcast handler that raises generations before it answers; the fast tier's covered entries,
 * already refused by lookups, are swept afterwards, paced: {@link FastTierSweeper}).
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
    /** URLs waiting for their bump; past it, a URL's whole bucket is invalidated instead (bounded memory). */
    private static final int MAX_PENDING_URLS = 100_000;
    private static final int URL_BATCH = 5_000;
    /** Clocks of the nodes may differ by this much: reads of what changed look back this far. */
    private static final long CLOCK_SLACK_MILLIS = TimeUnit.MINUTES.toMillis(5);

    @Reference
    private CacheStore store;

    @Reference
    private GatewayEngine engine;

    private final Generations generations = new Generations();
    private final dev.meridian.cache.TagCounts tagCounts = new dev.meridian.cache.TagCounts(100_000);
    private final ConcurrentHashMap<String, RouteCache> caches = new ConcurrentHashMap<>();
    /** Identity of the cache block each RouteCache was last confirmed for: an unchanged apply costs one identity check. */
    private final ConcurrentHashMap<String, Map<String, Object>> confirmed = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CacheStats> stats = new ConcurrentHashMap<>();
    private final RouteCache.Limits limits = new RouteCache.Limits(Settings.bytes("MERIDIAN_CACHE_MAX_BODY", "1m"),
        Settings.duration("MERIDIAN_CACHE_MAX_KEEP", "24h").toMillis());
    /** The fast tier of every cached API on this node, in one budget of bytes. */
    private final LocalTier localTier = new LocalTier(Settings.bytes("MERIDIAN_CACHE_LOCAL_BYTES", "64m"));
    /**
     * How long the cluster keeps a generation after its last bump: past the longest an entry is
     * kept (so every entry it refused is gone), plus slack for a fill that raced the bump.
     */
    private final Duration retention = Duration.ofMillis(limits.maxKeepMillis()).plus(RETENTION_SLACK);
    /**
     * URLs ({@link UrlGenerations#hash}) invalidated by unsafe requests, not bumped yet, each with
     * the stage its writers wait for: many requests to one URL cost one bump.
     */
    private final ConcurrentHashMap<Long, java.util.concurrent.CompletableFuture<Void>> pendingUrls = new ConcurrentHashMap<>();
    /** Buckets to invalidate whole: their URLs came while {@link #MAX_PENDING_URLS} were pending. */
    private final ConcurrentHashMap<Integer, java.util.concurrent.CompletableFuture<Void>> pendingBuckets = new ConcurrentHashMap<>();
    /** Flushes of pending URL invalidations running: up to {@value #FLUSHES} overlap their round trips. */
    private final java.util.concurrent.atomic.AtomicInteger flushing = new java.util.concurrent.atomic.AtomicInteger();
    private static final int FLUSHES = 4;
    /** After a failed batch, no flush starts before this ({@link System#nanoTime}). */
    private volatile long retryAt = System.nanoTime();
    private java.util.concurrent.ExecutorService flusher;
    /**
     * Runs physical purges, one at a time: a purge is paced to take minutes (PurgePace), and on
     * the timer it held up everything else queued there (generation refreshes, the flushes of
     * URL invalidations that writes wait for, retirements).
     */
    private java.util.concurrent.ExecutorService purger;
    private volatile long lastRefreshNanos;
    private volatile long lastFullRefreshNanos;
    /** Wall clock of the last read of the cluster's generations: the next reads what changed since. */
    private volatile long lastReadMillis;
    private volatile long lastMembership;
    private ScheduledExecutorService timer;
    private FastTierSweeper sweeper;
    private AutoCloseable handler;

    @Activate
    void activate() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-cache");
            t.setDaemon(true);
            return t;
        });
        sweeper = new FastTierSweeper(timer, () -> caches.values().stream().map(CacheSupport::sweep)
            .filter(java.util.Objects::nonNull).toList(), FastTierSweeper.SLICE);
        purger = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meridian-cache-purge");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.atomic.AtomicInteger flushThreads = new java.util.concurrent.atomic.AtomicInteger();
        flusher = Executors.newFixedThreadPool(FLUSHES, r -> {
            Thread t = new Thread(r, "meridian-cache-flush-" + flushThreads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        handler = store.onBroadcast(this::onBroadcast); // first: no raise can fall between load and handler
        lastRefreshNanos = System.nanoTime();
        lastMembership = store.membershipVersion();
        refresh(lastRefreshNanos, true);
        // a node cut off or paused during an invalidation missed its broadcast: it learns it here
        timer.scheduleWithFixedDelay(this::refreshGenerations, 1, 1, TimeUnit.SECONDS);
        engine.addListener(retirer);
    }

    /** Told of every swap: the caches of APIs the new state no longer caches are retired (on the timer). */
    private final TableListener retirer = (table, state) -> {
        Map<String, ApiDefinition> apis = state.apis();
        timer.execute(() -> retireGone(apis));
    };

    @Deactivate
    void deactivate() throws Exception {
        engine.removeListener(retirer);
        timer.shutdownNow();
        flusher.shutdownNow();
        purger.shutdownNow();
        if (handler != null) {
            handler.close();
        }
    }

    /**
     * Every second: at once when this node was paused or the cluster changed (a member left or
     * joined, a split cluster merged), a full read of the cluster's generations; otherwise every
     * 30 s a read of only those that changed since the last read (filtered where they live, so a
     * node copies what moved, not every generation). Each also forgets what is past retention.
     */
    private void refreshGenerations() {
        long now = System.nanoTime();
        boolean late = now - lastRefreshNanos > LATE_NANOS;
        lastRefreshNanos = now;
        long membership = store.membershipVersion();
        boolean moved = membership != lastMembership;
        if (late || moved) {
            LOG.info("cache: {}; re-reading invalidation generations", late ? "this node was paused" : "the cluster changed");
            lastMembership = membership;
            refresh(now, true);
        } else if (now - lastFullRefreshNanos >= FULL_REFRESH_NANOS) {
            refresh(now, false);
        }
    }

    private void refresh(long nowNanos, boolean full) {
        long nowMillis = System.currentTimeMillis();
        long since = full || lastReadMillis == 0 ? 0 : lastReadMillis - CLOCK_SLACK_MILLIS;
        try {
            generations.raiseAll(store.generations(since));
            applyUrls(store.urlGenerations(since));
            lastReadMillis = nowMillis;
            lastFullRefreshNanos = nowNanos;
        } catch (RuntimeException e) {
            LOG.debug("cache generations not readable: {}", e.toString());
        }
        int forgotten = generations.forgetExpired(nowNanos, retention.toNanos(), nowMillis);
        if (forgotten > 0) {
            LOG.debug("cache: {} generations past their retention forgotten", forgotten);
        }
    }

    private void applyUrls(Map<Integer, long[]> changes) {
        long now = System.currentTimeMillis();
        changes.forEach((bucket, change) -> generations.urls().apply(bucket, change, now, retention.toMillis()));
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
                localTier, this::invalidateUrlLater, tagCounts);
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
                        store.prepare(fresh.map(), rules.maxEntries(), rules.maxBytes());
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
    private void retireGone(Map<String, ApiDefinition> apis) {
        try {
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
            if (caches.values().stream().anyMatch(c -> c.map().equals(map))) {
                return; // the API came back with the same cache settings in the meantime: its map is in use again
            }
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
        Map<Integer, List<Long>> urls = new java.util.HashMap<>();
        for (String key : keys) {
            int q = key.indexOf('?');
            long hash = CacheSupport.urlHash(api, q < 0 ? key : key.substring(0, q), q < 0 ? null : key.substring(q + 1));
            urls.computeIfAbsent(UrlGenerations.bucket(hash), b -> new ArrayList<>()).add(hash);
            invalidated++; // a URL, all its variants
        }
        for (String tag : tags) {
            names.add("tag:" + tag);
        }
        Map<String, Long> raised = store.bump(names, retention);
        Map<Integer, long[]> raisedUrls = urls.isEmpty() ? Map.of() : store.bumpUrls(arrays(urls), java.util.Set.of(), retention);
        List<CacheStore.NodeReply> replies = announce(raised, raisedUrls, true);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        for (CacheStore.NodeReply r : replies) {
            invalidated += counted(r.reply());
        }
        purgeLater(apiCache, raised, raisedUrls);
        return new Invalidation(invalidated, tookMs, replies);
    }

    private static Map<Integer, long[]> arrays(Map<Integer, ? extends java.util.Collection<Long>> byBucket) {
        Map<Integer, long[]> out = new java.util.HashMap<>();
        byBucket.forEach((b, hashes) -> out.put(b, hashes.stream().mapToLong(Long::longValue).toArray()));
        return out;
    }

    /**
     * The physical purge, off the caller's path (entries are already refused everywhere): the
     * covered entries are removed where they live, one map after the other on this node's cache
     * thread — an API's own map for a whole-API or URL invalidation, every cached API's map for
     * tags. Entries stored after the invalidation carry the new generations and stay.
     */
    private void purgeLater(RouteCache apiCache, Map<String, Long> raised, Map<Integer, long[]> raisedUrls) {
        long apiGeneration = 0;
        Map<String, Long> tags = new java.util.HashMap<>();
        for (Map.Entry<String, Long> r : raised.entrySet()) {
            if (r.getKey().startsWith("tag:")) {
                tags.put(r.getKey().substring(4), r.getValue());
            } else {
                apiGeneration = r.getValue();
            }
        }
        Invalidated covered = new Invalidated(apiGeneration, tags, raisedUrls);
        List<RouteCache> targets = apiCache != null ? List.of(apiCache) : List.copyOf(caches.values());
        // one start for all of them: the store's gentle first seconds are the invalidation's, not each map's
        java.util.concurrent.atomic.AtomicLong started = new java.util.concurrent.atomic.AtomicLong();
        for (RouteCache c : targets) {
            purger.execute(() -> {
                started.compareAndSet(0, System.nanoTime() | 1); // when the first map's purge begins (never 0)
                purging(c.map(), () -> store.purge(c.map(), covered, started.get()));
            });
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
     * distinct URLs a round trip per batch. Memory stays bounded whatever the traffic: past
     * {@value #MAX_PENDING_URLS} pending URLs, a new one invalidates its whole URL bucket
     * ({@link UrlGenerations}: a few dozen URLs of any API) instead of queueing; traffic never
     * invalidates a whole API.
     */
    private java.util.concurrent.CompletionStage<Void> invalidateUrlLater(String apiId, String path, String rawQuery) {
        long hash = CacheSupport.urlHash(apiId, path, rawQuery);
        java.util.concurrent.CompletableFuture<Void> done = pendingUrls.get(hash);
        if (done == null) {
            done = pendingUrls.size() < MAX_PENDING_URLS
                ? pendingUrls.computeIfAbsent(hash, h -> new java.util.concurrent.CompletableFuture<>())
                : pendingBuckets.computeIfAbsent(UrlGenerations.bucket(hash), b -> new java.util.concurrent.CompletableFuture<>());
        }
        startFlush();
        return done;
    }

    /** {@code later}'s waiters complete with {@code pending} (a URL queued again while its failed batch waits to retry). */
    private static java.util.concurrent.CompletableFuture<Void> chain(java.util.concurrent.CompletableFuture<Void> pending,
                                                                     java.util.concurrent.CompletableFuture<Void> later) {
        pending.whenComplete((v, e) -> later.complete(null));
        return pending;
    }

    /** Starts one more flush unless {@value #FLUSHES} run: writers wait for theirs, so round trips overlap. */
    private void startFlush() {
        if (System.nanoTime() - retryAt < 0) {
            return; // the cluster refused the last batch; a retry is scheduled
        }
        int n;
        while ((n = flushing.get()) < FLUSHES) {
            if (flushing.compareAndSet(n, n + 1)) {
                flusher.execute(this::flushUrls);
                return;
            }
        }
    }

    private void flushUrls() {
        try {
            flushBatches();
        } finally {
            flushing.decrementAndGet();
        }
        if (!pendingUrls.isEmpty() || !pendingBuckets.isEmpty()) {
            startFlush(); // URLs queued after this flush's last look
        }
    }

    private void flushBatches() {
        while (!pendingUrls.isEmpty() || !pendingBuckets.isEmpty()) {
            Map<Integer, java.util.concurrent.CompletableFuture<Void>> whole = new java.util.HashMap<>();
            for (Integer b : List.copyOf(pendingBuckets.keySet())) {
                whole.put(b, pendingBuckets.remove(b));
            }
            Map<Long, java.util.concurrent.CompletableFuture<Void>> taken = new java.util.HashMap<>();
            Map<Integer, List<Long>> hashes = new java.util.HashMap<>();
            for (java.util.Iterator<Long> it = pendingUrls.keySet().iterator(); it.hasNext() && taken.size() < URL_BATCH; ) {
                long h = it.next();
                java.util.concurrent.CompletableFuture<Void> waiting = pendingUrls.remove(h);
                if (waiting != null) {
                    taken.put(h, waiting);
                    hashes.computeIfAbsent(UrlGenerations.bucket(h), b -> new ArrayList<>()).add(h);
                }
            }
            Map<Integer, long[]> bumped;
            long started = System.nanoTime();
            try {
                bumped = store.bumpUrls(arrays(hashes), whole.keySet(), retention);
            } catch (RuntimeException e) {
                // nothing raised: the URLs wait for the next try (they are refused nowhere yet)
                LOG.warn("invalidating {} URLs after unsafe requests failed; retrying in 1 s", taken.size() + whole.size(), e);
                taken.forEach((h, f) -> pendingUrls.merge(h, f, CacheComponent::chain));
                whole.forEach((b, f) -> pendingBuckets.merge(b, f, CacheComponent::chain));
                retryAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1); // no flush starts before then
                timer.schedule(this::startFlush, 1, TimeUnit.SECONDS);
                return;
            }
            if (!whole.isEmpty()) {
                LOG.warn("cache: more than {} URLs written at once; {} URL buckets invalidated whole", MAX_PENDING_URLS,
                    whole.size());
            }
            applyUrls(bumped);
            long bumpedAt = System.nanoTime();
            try {
                // nodes that miss it learn the bump at their next read of what changed
                announce(Map.of(), bumped, false);
            } catch (RuntimeException e) {
                LOG.warn("announcing {} URL invalidations failed; nodes learn them at their next read", taken.size(), e);
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("cache: {} URLs invalidated (bump {} us, announce {} us)", taken.size(),
                    (bumpedAt - started) / 1000, (System.nanoTime() - bumpedAt) / 1000);
            }
            taken.values().forEach(f -> f.complete(null));
            whole.values().forEach(f -> f.complete(null));
        }
    }

    /**
     * Raises generations on every live node and answers their acknowledgements; with
     * {@code sweep}, each node also drops the entries they cover from its fast tier, after it answers (an
     * invalidation by the admin API; the URLs that traffic invalidates are refused at lookup).
     */
    private List<CacheStore.NodeReply> announce(Map<String, Long> bumped, Map<Integer, long[]> urls, boolean sweep) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("op", "raise");
        message.put("generations", bumped);
        Map<String, Object> byBucket = new LinkedHashMap<>();
        urls.forEach((b, change) -> byBucket.put(Integer.toString(b), java.util.Arrays.stream(change).boxed().toList()));
        message.put("urls", byBucket);
        message.put("sweep", sweep);
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

    /**
     * Runs on this node for every broadcast: raise generations (and ask for a sweep of the fast
     * tier, which runs after this answers), or report statistics.
     */
    @SuppressWarnings("unchecked")
    private String onBroadcast(String message) {
        try {
            Map<String, Object> m = (Map<String, Object>) Json.read(message.getBytes(StandardCharsets.UTF_8));
            Object op = m.get("op");
            if ("raise".equals(op)) {
                Map<String, Object> raised = (Map<String, Object>) m.get("generations");
                raised.forEach((k, v) -> generations.raise(k, ((Number) v).longValue()));
                Object urls = m.get("urls");
                if (urls instanceof Map<?, ?> byBucket) {
                    long now = System.currentTimeMillis();
                    byBucket.forEach((b, change) -> generations.urls().apply(Integer.parseInt((String) b),
                        ((List<Number>) change).stream().mapToLong(Number::longValue).toArray(), now, retention.toMillis()));
                }
                if (!Boolean.FALSE.equals(m.get("sweep"))) {
                    // after the acknowledgement, paced: lookups already refuse what it drops
                    sweeper.request();
                }
                long counted = 0;
                for (String name : raised.keySet()) {
                    if (name.startsWith("tag:")) {
                        counted += tagCounts.take(name.substring(4));
                    }
                }
                return "{\"counted\":" + counted + "}";
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
        Map<String, Object> local = new LinkedHashMap<>();
        local.put("bytes", localTier.bytes());
        local.put("maxBytes", localTier.maxBytes());
        local.put("entries", localTier.entries());
        out.put("local", local);
        Map<String, Object> held = new LinkedHashMap<>();
        held.put("named", generations.size());
        held.put("urls", generations.urls().size());
        held.put("pendingUrls", pendingUrls.size());
        out.put("generations", held);
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
