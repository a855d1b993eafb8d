package dev.meridian.core.cache;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache of one API under one cache-settings version on this node: two tiers (decoded,
 * ready-to-send entries in this process in front of the cluster's map), per-node single
 * flight, grace, invalidation checks. Shared by every route table that serves the same API with
 * the same settings, so an apply that leaves the settings alone keeps every entry.
 *
 * <p>Thread-safe and non-blocking: lookups complete on the caller's thread when the fast tier
 * answers, else on the store's callback pool.
 */
public final class RouteCache {

    private static final Logger LOG = LoggerFactory.getLogger(RouteCache.class);
    /** Extra time an entry with a validator stays stored past its lifetime and grace, for revalidation. */
    static final long KEEP_MILLIS = 10 * 60 * 1000L;

    private final String apiId;
    private final CacheRules rules;
    private final String map;
    private final CacheTags tags;
    private final CacheStore store;
    private final Generations generations;
    private final CacheStats stats;
    private final LongSupplier clock;
    private final int localCapacity;
    private final boolean localTier;
    private final long maxBody;
    private final long maxKeepMillis;
    /** Decoded entries ({@link CachedResponse}) and Vary markers ({@link VaryMarker}) by key. */
    private final ConcurrentHashMap<String, Object> local = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Fill> inFlight = new ConcurrentHashMap<>();

    /** A stored {@code Vary}: the entry itself lives under the key extended by these request headers. */
    record VaryMarker(List<String> names) {
    }

    /**
     * What one node holds of an API's cache.
     *
     * @param localEntries entries of this node's fast tier (approximate)
     * @param maxBody the largest body stored
     * @param maxKeepMillis the longest an entry is kept or served after it was fetched, whatever
     *     its lifetime; invalidation generations are forgotten a little after that
     */
    public record Limits(int localEntries, long maxBody, long maxKeepMillis) {
        public Limits {
            if (localEntries < 0 || maxBody < 0 || maxKeepMillis <= 0) {
                throw new IllegalArgumentException("negative cache limits");
            }
        }
    }

    /** Invalidates one URL of an API everywhere, asynchronously (after a successful unsafe request). */
    @FunctionalInterface
    public interface UrlInvalidator {
        void invalidate(String apiId, String path, String rawQuery);
    }

    private final UrlInvalidator unsafe;
    /** Completes once the map is prepared ({@link CacheStore#prepare}); lookups wait for it (without a thread). */
    private final CompletableFuture<Void> prepared = new CompletableFuture<>();
    private final TagCounts tagCounts;
    private volatile long lastFailureLogged = System.nanoTime() - 20_000_000_000L;

    RouteCache(String apiId, CacheRules rules, CacheStore store, Generations generations, CacheStats stats,
               LongSupplier clock, Limits limits, UrlInvalidator unsafe, TagCounts tagCounts) {
        this.unsafe = unsafe;
        this.tagCounts = tagCounts;
        this.apiId = apiId;
        this.rules = rules;
        this.map = mapName(apiId, rules);
        this.tags = CacheTags.compile(rules.tagTemplates());
        this.store = store;
        this.generations = generations;
        this.stats = stats;
        this.clock = clock;
        this.localTier = store.receivesBroadcasts() && limits.localEntries() > 0;
        this.localCapacity = limits.localEntries();
        this.maxBody = limits.maxBody();
        this.maxKeepMillis = limits.maxKeepMillis();
    }

    /** {@code <api>.<settings version>}: a new map, hence a clean start, whenever key or lifetime rules change. */
    static String mapName(String apiId, CacheRules rules) {
        return apiId + "." + rules.version();
    }

    public String apiId() {
        return apiId;
    }

    public CacheRules rules() {
        return rules;
    }

    public String map() {
        return map;
    }

    public CacheStats stats() {
        return stats;
    }

    /** Largest body stored; a longer answer is passed through and released. */
    public long maxBody() {
        return maxBody;
    }

    public String key(String method, String path, String rawQuery, HeaderView request, String consumer) {
        return CacheKeys.key(rules, method, path, rawQuery, request, consumer);
    }

    /**
     * Looks {@code key} up for a GET or HEAD. Never fails: a store that cannot answer is a miss.
     */
    public CompletionStage<Lookup> lookup(String key, String path, String rawQuery, HeaderView request) {
        if (!prepared.isDone()) {
            return prepared.thenCompose(v -> lookup(key, path, rawQuery, request));
        }
        CacheControl cc = rules.respectCacheControl() ? CacheControl.parseRequest(request) : CacheControl.NONE;
        if (cc.noStore()) {
            stats.bypass.increment();
            return CompletableFuture.completedFuture(new Lookup.Bypass("no-store"));
        }
        long now = clock.getAsLong();
        if (cc.noCache()) {
            // revalidate: this request goes to the upstream and refreshes the entry
            return CompletableFuture.completedFuture(miss(lead(key, path, rawQuery, request, now)));
        }
        return find(key, request).thenCompose(entry -> decide(entry, key, path, rawQuery, request, cc, now, true));
    }

    private CompletionStage<Lookup> decide(CachedResponse entry, String key, String path, String rawQuery,
                                           HeaderView request, CacheControl cc, long now, boolean mayWait) {
        if (entry != null && now - entry.requestTimeMillis() >= maxKeepMillis) {
            // kept as long as any entry may be: its invalidation generations may be forgotten by now
            stats.expired.increment();
            local.remove(key);
            entry = null;
        }
        if (entry != null) {
            long age = Freshness.currentAgeMillis(entry.correctedInitialAgeMillis(), entry.responseTimeMillis(), now);
            if (Freshness.usable(age, entry.lifetimeMillis(), cc, entry.mustRevalidate())) {
                stats.hits.increment();
                return CompletableFuture.completedFuture(new Lookup.Hit(entry, age));
            }
            boolean inGrace = !entry.mustRevalidate() && age < entry.lifetimeMillis() + entry.graceMillis();
            if (inGrace && inFlight.containsKey(key)) {
                stats.stale.increment();
                return CompletableFuture.completedFuture(new Lookup.Stale(entry, age));
            }
            if (!inGrace) {
                stats.expired.increment();
                local.remove(key);
            }
            if ((entry.etag() != null || entry.lastModified() != null) && !inFlight.containsKey(key)) {
                // expired but with a validator: one conditional request may renew it (RFC 9111 §4.3)
                Fill fill = lead(key, path, rawQuery, request, now);
                fill.revalidating = entry;
                return CompletableFuture.completedFuture(miss(fill));
            }
        }
        Fill running = inFlight.get(key);
        if (running != null && mayWait) {
            // one upstream call per key on this node: wait for the leader, then look again here
            return running.done.thenCompose(v -> {
                CachedResponse stored = validLocal(key, request);
                if (stored != null) {
                    return decide(stored, key, path, rawQuery, request, cc, clock.getAsLong(), false);
                }
                return find(key, request).thenCompose(e -> decide(e, key, path, rawQuery, request, cc, clock.getAsLong(), false));
            });
        }
        if (mayWait && entry == null) {
            // the leader may have stored and left between this lookup's first look and now
            CachedResponse stored = validLocal(key, request);
            if (stored != null) {
                return decide(stored, key, path, rawQuery, request, cc, now, false);
            }
        }
        return CompletableFuture.completedFuture(miss(lead(key, path, rawQuery, request, now)));
    }

    private Lookup miss(Fill fill) {
        stats.misses.increment();
        return new Lookup.Miss(fill);
    }

    /** Becomes the leader for {@code key} unless another request is; a follower still fills, without waiters. */
    private Fill lead(String key, String path, String rawQuery, HeaderView request, long now) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Fill fill = new Fill(this, key, path, rawQuery, request, now, generations.epoch(),
            generations.get(Generations.api(apiId)), true, done);
        Fill previous = inFlight.putIfAbsent(key, fill);
        if (previous == null) {
            return fill;
        }
        return new Fill(this, key, path, rawQuery, request, now, generations.epoch(), generations.get(Generations.api(apiId)),
            false, new CompletableFuture<>());
    }

    /** The usable entry for {@code key} (following a Vary marker), from this node's tier or the cluster's map. */
    private CompletionStage<CachedResponse> find(String key, HeaderView request) {
        Object here = localTier ? local.get(key) : null;
        if (here != null) {
            if (here instanceof VaryMarker marker) {
                String variant = CacheKeys.varyKey(key, marker.names(), request);
                Object v = local.get(variant);
                if (v instanceof CachedResponse e) {
                    return CompletableFuture.completedFuture(checked(variant, e));
                }
                return fetch(variant, request, false);
            }
            return CompletableFuture.completedFuture(checked(key, (CachedResponse) here));
        }
        return fetch(key, request, true);
    }

    private CompletionStage<CachedResponse> fetch(String key, HeaderView request, boolean mayBeMarker) {
        CompletionStage<byte[]> got;
        try {
            got = store.get(map, key);
        } catch (RuntimeException e) {
            LOG.debug("cache store unavailable for API {}: {}", apiId, e.toString());
            return CompletableFuture.completedFuture(null);
        }
        return got.handle((bytes, failure) -> {
            if (failure != null) {
                long now = System.nanoTime();
                if (now - lastFailureLogged > 10_000_000_000L) { // at most every 10 s: an outage fails every lookup
                    lastFailureLogged = now;
                    LOG.warn("cache lookup of API {} failed, answered as a miss: {}", apiId, failure.toString());
                }
                return CompletableFuture.<CachedResponse>completedFuture(null);
            }
            if (bytes == null) {
                return CompletableFuture.<CachedResponse>completedFuture(null);
            }
            try {
                if (CachedResponse.isVaryMarker(bytes)) {
                    if (!mayBeMarker) {
                        return CompletableFuture.<CachedResponse>completedFuture(null);
                    }
                    List<String> names = CachedResponse.decodeVaryMarker(bytes).orElse(List.of());
                    return fetch(CacheKeys.varyKey(key, names, request), request, false);
                }
                CachedResponse e = CachedResponse.decode(bytes);
                CachedResponse ok = checked(key, e);
                if (ok != null) {
                    remember(key, ok);
                }
                return CompletableFuture.completedFuture(ok);
            } catch (IllegalArgumentException malformed) {
                LOG.warn("dropping an unreadable cache entry of API {}: {}", apiId, malformed.getMessage());
                store.remove(map, key);
                return CompletableFuture.<CachedResponse>completedFuture(null);
            }
        }).thenCompose(s -> s);
    }

    /** The entry for {@code key} in this node's tier (following a Vary marker) if no invalidation covers it. */
    private CachedResponse validLocal(String key, HeaderView request) {
        Object o = local.get(key);
        if (o instanceof VaryMarker marker) {
            o = local.get(CacheKeys.varyKey(key, marker.names(), request));
        }
        return o instanceof CachedResponse e && valid(e) ? e : null;
    }

    /** The entry unless an invalidation since its request covers it (then it is dropped everywhere it is). */
    private CachedResponse checked(String key, CachedResponse e) {
        if (valid(e)) {
            return e;
        }
        stats.invalidated.increment();
        local.remove(key);
        store.remove(map, key);
        return null;
    }

    private boolean valid(CachedResponse e) {
        if (e.apiGeneration() < generations.get(Generations.api(apiId))) {
            return false;
        }
        for (Map.Entry<String, Long> t : e.tagGenerations().entrySet()) {
            if (t.getValue() < generations.get(Generations.tag(t.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private void remember(String key, Object value) {
        if (!localTier) {
            return;
        }
        if (local.size() >= localCapacity) {
            // approximate bound: drop about a tenth, in hash order (pseudo-random), rather than track recency
            int drop = Math.max(1, localCapacity / 10);
            Iterator<String> it = local.keySet().iterator();
            while (drop-- > 0 && it.hasNext()) {
                it.next();
                it.remove();
                stats.size.increment();
            }
        }
        local.put(key, value);
    }

    void store(Fill fill, int status, List<Map.Entry<String, String>> headers, byte[] body) {
        try {
            if (fill.epoch != generations.epoch()) {
                return; // an invalidation ran while this answer was fetched: it may be what was invalidated
            }
            HeaderView response = HeaderView.of(headers);
            long responseTime = clock.getAsLong();
            long lifetime = Freshness.lifetimeMillis(rules, status, response);
            long grace = rules.grace().toMillis();
            CacheControl cc = rules.respectCacheControl() ? CacheControl.parse(response.values("Cache-Control")) : CacheControl.NONE;
            List<String> vary = CacheKeys.varyNames(response);
            Map<String, Long> tagGenerations = new LinkedHashMap<>();
            List<String> all = new ArrayList<>(tags.expand(fill.path, fill.rawQuery, fill.request));
            all.addAll(CacheTags.fromResponse(response));
            all.add(urlTag(fill.path, fill.rawQuery));
            for (String t : all) {
                tagGenerations.put(t, generations.get(Generations.tag(t)));
            }
            CachedResponse entry = new CachedResponse(status, CachedResponse.storableHeaders(headers), body,
                fill.requestTimeMillis, responseTime,
                Freshness.correctedInitialAgeMillis(response, fill.requestTimeMillis, responseTime),
                lifetime, grace, Freshness.mustRevalidate(cc) || cc.noCache(), vary, tagGenerations,
                fill.apiGeneration);
            long keepMillis = Math.min(maxKeepMillis - (responseTime - fill.requestTimeMillis), keepMillis(entry, responseTime));
            if (keepMillis <= 0) {
                return; // its request started longer ago than any entry may be kept
            }
            String key = fill.key;
            if (!vary.isEmpty()) {
                store.put(map, key, CachedResponse.encodeVaryMarker(vary, entry.staleUntilMillis()), keepMillis);
                remember(key, new VaryMarker(vary));
                key = CacheKeys.varyKey(key, vary, fill.request);
            }
            store.put(map, key, entry.encode(), keepMillis);
            remember(key, entry);
            tagCounts.add(all);
            stats.stored.increment();
        } catch (RuntimeException e) {
            LOG.warn("storing a response of API {} failed", apiId, e);
        } finally {
            release(fill);
        }
    }

    /**
     * How long the map keeps an entry: to the end of its grace, and, when it has a validator,
     * {@link #KEEP_MILLIS} longer, so that an expired entry can still be renewed by a 304
     * instead of fetched whole (Varnish calls this "keep").
     */
    static long keepMillis(CachedResponse entry, long now) {
        long until = entry.staleUntilMillis();
        if (entry.etag() != null || entry.lastModified() != null) {
            until = Math.max(until, entry.expiresAtMillis() + KEEP_MILLIS);
        }
        return Math.max(1, until - now);
    }

    /** Stores the merge of a revalidated entry and its 304 (unless the 304 forbids storing); answers the merge. */
    CachedResponse storeMerged(Fill fill, CachedResponse entry, List<Map.Entry<String, String>> headers) {
        long now = clock.getAsLong();
        CachedResponse merged = entry.mergedWith304(HeaderView.of(headers), fill.requestTimeMillis, now, rules);
        try {
            String refusal = Storability.refusal(rules, "GET", merged.status(), fill.request, merged.headerView());
            if (refusal == null && fill.epoch == generations.epoch()) {
                // stored anew: it records the generations of this fill, as a new answer would, so
                // that it never outlives the retention of the generations it was checked against
                Map<String, Long> current = new LinkedHashMap<>();
                for (String t : merged.tagGenerations().keySet()) {
                    current.put(t, generations.get(Generations.tag(t)));
                }
                merged = new CachedResponse(merged.status(), merged.headers(), merged.body(), merged.requestTimeMillis(),
                    merged.responseTimeMillis(), merged.correctedInitialAgeMillis(), merged.lifetimeMillis(),
                    merged.graceMillis(), merged.mustRevalidate(), merged.varyNames(), current, fill.apiGeneration);
                long keepMillis = Math.max(1, Math.min(maxKeepMillis - (now - fill.requestTimeMillis), keepMillis(merged, now)));
                String key = merged.varyNames().isEmpty() ? fill.key : CacheKeys.varyKey(fill.key, merged.varyNames(), fill.request);
                store.put(map, key, merged.encode(), keepMillis);
                remember(key, merged);
                stats.stored.increment();
            }
        } catch (RuntimeException e) {
            LOG.warn("storing a revalidated response of API {} failed", apiId, e);
        } finally {
            release(fill);
        }
        return merged;
    }

    void release(Fill fill) {
        if (fill.leader) {
            inFlight.remove(fill.key, fill);
        }
    }

    /**
     * A request with an unsafe method ({@code POST}, {@code PUT}, {@code DELETE}, ...) got a
     * non-error answer: its URL's entries are invalidated on every node, in the background
     * (RFC 9111 §4.4). Cheap on the caller's thread.
     */
    public void unsafeRequestSucceeded(String path, String rawQuery) {
        unsafe.invalidate(apiId, path, rawQuery);
    }

    /** The tag every entry of one URL carries, so {@code {"api", "keys"}} and unsafe methods invalidate all its variants. */
    public String urlTag(String path, String rawQuery) {
        return urlTag(apiId, path, rawQuery);
    }

    static String urlTag(String apiId, String path, String rawQuery) {
        String q = CacheKeys.normaliseQuery(rawQuery);
        return "url:" + apiId + " " + (q.isEmpty() ? path : path + "?" + q);
    }

    /** Drops entries of this node's tier that the current generations no longer allow; answers how many. */
    int sweep() {
        int dropped = 0;
        for (Iterator<Map.Entry<String, Object>> it = local.entrySet().iterator(); it.hasNext(); ) {
            Object v = it.next().getValue();
            if (v instanceof CachedResponse e && !valid(e)) {
                it.remove();
                dropped++;
            }
        }
        stats.invalidated.add(dropped);
        return dropped;
    }

    void markReady() {
        prepared.complete(null);
    }

    /** Forgets this node's tier (the API was deleted or its settings changed). */
    void clearLocal() {
        local.clear();
    }

    int localEntries() {
        return local.size();
    }
}
