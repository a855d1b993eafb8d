package dev.meridian.cache;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache of one API under one cache-settings version on this node: two tiers (decoded,
 * ready-to-send entries in this process in front of the cluster's map), per-node single
 * flight, grace and RFC 5861 stale serving, invalidation checks. Shared by every route table
 * that serves the same API with the same settings, so an apply that leaves the settings alone
 * keeps every entry.
 *
 * <p>Thread-safe and non-blocking: lookups complete on the caller's thread when the fast tier
 * answers, else on the store's callback pool. Every wait has a deadline: a request waiting for
 * another's fill of the same key gives up after the upstream's timeout and fetches itself.
 */
public final class RouteCache {

    private static final Logger LOG = LoggerFactory.getLogger(RouteCache.class);
    /** Extra time an entry with a validator stays stored past its lifetime and grace, for revalidation. */
    static final long KEEP_MILLIS = 10 * 60 * 1000L;

    private final String apiId;
    /** {@code api:<id>}, the name of this API's generation: made once, not on every hit. */
    private final String apiGeneration;
    private final CacheRules rules;
    private final String map;
    private final CacheTags tags;
    private final CacheStore store;
    private final Generations generations;
    private final CacheStats stats;
    private final LongSupplier clock;
    private final long maxBody;
    private final long maxKeepMillis;
    /** Decoded entries ({@link CachedResponse}) and Vary markers ({@link VaryMarker}) by key; null for a client-mode node. */
    private final LocalTier.Segment local;
    private final ConcurrentHashMap<String, Fill> inFlight = new ConcurrentHashMap<>();

    /** A stored {@code Vary}: the entry itself lives under the key extended by these request headers. */
    record VaryMarker(List<String> names) {
    }

    /**
     * What one node holds of an API's cache.
     *
     * @param maxBody the largest body stored
     * @param maxKeepMillis the longest an entry is kept or served after it was fetched, whatever
     *     its lifetime; invalidation generations are forgotten a little after that
     */
    public record Limits(long maxBody, long maxKeepMillis) {
        public Limits {
            if (maxBody < 0 || maxKeepMillis <= 0) {
                throw new IllegalArgumentException("negative cache limits");
            }
        }
    }

    /**
     * Invalidates one URL of an API everywhere (after a successful unsafe request), batched with
     * others; the stage completes once every live node has it (or the batch failed and is retried).
     */
    @FunctionalInterface
    public interface UrlInvalidator {
        CompletionStage<Void> invalidate(String apiId, String path, String rawQuery);
    }

    private final UrlInvalidator unsafe;
    /** Completes once the map is prepared ({@link CacheStore#prepare}); lookups wait for it (without a thread). */
    private final CompletableFuture<Void> prepared = new CompletableFuture<>();
    private final TagCounts tagCounts;
    private volatile long lastFailureLogged = System.nanoTime() - 20_000_000_000L;

    RouteCache(String apiId, CacheRules rules, CacheStore store, Generations generations, CacheStats stats,
               LongSupplier clock, Limits limits, LocalTier localTier, UrlInvalidator unsafe, TagCounts tagCounts) {
        this.unsafe = unsafe;
        this.tagCounts = tagCounts;
        this.apiId = apiId;
        this.apiGeneration = Generations.api(apiId);
        this.rules = rules;
        this.map = mapName(apiId, rules);
        this.tags = CacheTags.compile(rules.tagTemplates());
        this.store = store;
        this.generations = generations;
        this.stats = stats;
        this.clock = clock;
        this.local = store.receivesBroadcasts() && localTier.maxBytes() > 0 ? localTier.segment(stats) : null;
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
     *
     * @param waitMillis how long this request may wait for another request's fetch of the same
     *     key (the upstream's timeout); past it, it fetches itself
     */
    public CompletionStage<Lookup> lookup(String key, String path, String rawQuery, HeaderView request, long waitMillis) {
        if (!prepared.isDone()) {
            return prepared.thenCompose(v -> lookup(key, path, rawQuery, request, waitMillis));
        }
        CacheControl cc = rules.respectCacheControl() ? CacheControl.parseRequest(request) : CacheControl.NONE;
        if (cc.noStore()) {
            stats.bypass.increment();
            return CompletableFuture.completedFuture(new Lookup.Bypass("no-store"));
        }
        long now = clock.getAsLong();
        if (cc.noCache() && !cc.onlyIfCached()) {
            // revalidate: this request goes to the upstream and refreshes the entry
            return CompletableFuture.completedFuture(miss(lead(key, path, rawQuery, request, now)));
        }
        CachedResponse here = localEntry(key);
        if (here != null) {
            // the hit path: this node's copy, decided on the caller's thread (no stage composed on a
            // completed one, no lambda: JFR, cache hits); a failure comes back as a failed stage, as
            // it would from the composed one
            try {
                return decide(here, key, path, rawQuery, request, cc, now, waitMillis);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return find(key, request).thenCompose(entry -> decide(entry, key, path, rawQuery, request, cc, now, waitMillis));
    }

    /**
     * This node's copy of {@code key} when it is a response no invalidation covers, else null (a
     * Vary marker, a covered copy or none: {@link #find} deals with them, and counts).
     */
    private CachedResponse localEntry(String key) {
        if (local == null) {
            return null;
        }
        if (local.get(key) instanceof CachedResponse e && valid(e)) {
            touch(key);
            return e;
        }
        return null;
    }

    /**
     * The hit of {@code key} when this node's memory holds a fresh copy for {@code request}, else
     * null, having done nothing: no count, no fill, no read of the cluster. For a caller that
     * answers such a hit before anything else and hands every other request to
     * {@link #lookup(String, String, String, HeaderView, long)}, which then decides as it always
     * does. A hit the caller answers is then passed to {@link #hitServed}.
     */
    public Lookup.Hit freshLocalHit(String key, HeaderView request) {
        if (local == null || !prepared.isDone()) {
            return null;
        }
        CacheControl cc = rules.respectCacheControl() ? CacheControl.parseRequest(request) : CacheControl.NONE;
        if (cc.noStore() || cc.noCache()) {
            return null;
        }
        Object here = local.get(key);
        if (here instanceof VaryMarker marker) {
            here = local.get(CacheKeys.varyKey(key, marker.names(), request)); // the variant this request selects
        }
        if (!(here instanceof CachedResponse entry) || !valid(entry)) {
            return null;
        }
        long now = clock.getAsLong();
        if (now - entry.requestTimeMillis() >= maxKeepMillis) {
            return null;
        }
        long age = Freshness.currentAgeMillis(entry.correctedInitialAgeMillis(), entry.responseTimeMillis(), now);
        if (!Freshness.usable(age, entry.lifetimeMillis(), cc, entry.mustRevalidate())) {
            return null;
        }
        return new Lookup.Hit(entry, age);
    }

    /**
     * Counts and touches a hit of {@code key} for {@code request} that {@link #freshLocalHit} found
     * and the caller answered, as {@code lookup} does its own (the variant's key under a Vary).
     */
    public void hitServed(String key, HeaderView request) {
        touch(local.get(key) instanceof VaryMarker marker ? CacheKeys.varyKey(key, marker.names(), request) : key);
        stats.hits.increment();
    }

    /** Looks {@code key} up without the wait argument: waits for another fetch as long as the key's fill lasts. */
    public CompletionStage<Lookup> lookup(String key, String path, String rawQuery, HeaderView request) {
        return lookup(key, path, rawQuery, request, TimeUnit.MINUTES.toMillis(5));
    }

    private CompletionStage<Lookup> decide(CachedResponse entry, String key, String path, String rawQuery,
                                           HeaderView request, CacheControl cc, long now, long waitMillis) {
        if (entry != null && now - entry.requestTimeMillis() >= maxKeepMillis) {
            // kept as long as any entry may be: its invalidation generations may be forgotten by now
            stats.expired.increment();
            forgetLocal(key);
            entry = null;
        }
        CachedResponse stale = null;
        if (entry != null) {
            long age = Freshness.currentAgeMillis(entry.correctedInitialAgeMillis(), entry.responseTimeMillis(), now);
            if (Freshness.usable(age, entry.lifetimeMillis(), cc, entry.mustRevalidate())) {
                stats.hits.increment();
                return CompletableFuture.completedFuture(new Lookup.Hit(entry, age));
            }
            stale = entry;
            boolean refreshing = inFlight.containsKey(key);
            if (refreshing && Freshness.mayServeStale(age, entry.lifetimeMillis(), entry.graceMillis(), entry.mustRevalidate(), cc)) {
                // within the configured grace while another request refreshes it
                stats.stale.increment();
                return CompletableFuture.completedFuture(new Lookup.Stale(entry, age));
            }
            if (Freshness.mayServeStale(age, entry.lifetimeMillis(), staleWhileRevalidateMillis(entry), entry.mustRevalidate(), cc)) {
                // RFC 5861 §3: served stale while one background request revalidates it
                stats.stale.increment();
                if (refreshing) {
                    return CompletableFuture.completedFuture(new Lookup.Stale(entry, age));
                }
                Fill fill = lead(key, path, rawQuery, request, now);
                fill.revalidating = entry.etag() != null || entry.lastModified() != null ? entry : null;
                return CompletableFuture.completedFuture(new Lookup.Refresh(entry, age, fill));
            }
        }
        if (cc.onlyIfCached()) {
            stats.misses.increment();
            return CompletableFuture.completedFuture(new Lookup.NotCached());
        }
        Fill running = inFlight.get(key);
        if (running == null && waitMillis > 0 && entry == null) {
            // the leader may have stored and left between this lookup's first look and now
            CachedResponse stored = validLocal(key, request);
            if (stored != null) {
                return decide(stored, key, path, rawQuery, request, cc, now, 0);
            }
        }
        Fill fill = null;
        if (running == null) {
            fill = newFill(key, path, rawQuery, request, now, true);
            // null unless another request became the leader since the look above (two cluster
            // lookups answered at once, on two threads): this one then waits for it like any other
            running = inFlight.putIfAbsent(key, fill);
        }
        if (running != null) {
            if (waitMillis > 0) {
                return awaitLeader(running, key, path, rawQuery, request, cc, stale, waitMillis);
            }
            fill = newFill(key, path, rawQuery, request, now, false); // waited once already: fetches itself
        }
        if (stale != null) {
            boolean validator = stale.etag() != null || stale.lastModified() != null;
            if (validator) {
                // expired but with a validator: a conditional request may renew it (RFC 9111 §4.3)
                fill.revalidating = stale;
            }
            fill.staleIfError = stale;
            long p = past(stale, now);
            if (p >= stale.graceMillis() && p >= staleWhileRevalidateMillis(stale) && p >= staleIfErrorMillis(stale)) {
                stats.expired.increment();
                if (!validator) {
                    forgetLocal(key); // nothing left to serve it for
                }
            }
        }
        return CompletableFuture.completedFuture(miss(fill));
    }

    /**
     * Waits for {@code running}'s fill (at most {@code waitMillis}), then looks again on this node
     * and in the cluster; past the wait, fetches itself ({@code expired}: the entry it may still
     * serve on an upstream error).
     */
    private CompletionStage<Lookup> awaitLeader(Fill running, String key, String path, String rawQuery, HeaderView request,
                                                CacheControl cc, CachedResponse expired, long waitMillis) {
        return running.done.copy().completeOnTimeout(null, waitMillis, TimeUnit.MILLISECONDS).thenCompose(v -> {
            if (!running.done.isDone()) {
                return CompletableFuture.completedFuture(miss(follow(key, path, rawQuery, request, clock.getAsLong(), expired)));
            }
            CachedResponse stored = validLocal(key, request);
            if (stored != null) {
                return decide(stored, key, path, rawQuery, request, cc, clock.getAsLong(), 0);
            }
            return find(key, request).thenCompose(e -> decide(e, key, path, rawQuery, request, cc, clock.getAsLong(), 0));
        });
    }

    private static long past(CachedResponse e, long now) {
        return Freshness.currentAgeMillis(e.correctedInitialAgeMillis(), e.responseTimeMillis(), now) - e.lifetimeMillis();
    }

    /** The entry's {@code stale-while-revalidate} window in milliseconds, 0 when none (RFC 5861 §3). */
    private long staleWhileRevalidateMillis(CachedResponse e) {
        return Freshness.staleWhileRevalidateMillis(rules, e.headerView());
    }

    /** The entry's {@code stale-if-error} window in milliseconds, 0 when none (RFC 5861 §4). */
    private long staleIfErrorMillis(CachedResponse e) {
        return Freshness.staleIfErrorMillis(rules, e.headerView());
    }

    /**
     * Whether an expired entry may answer now for a failed upstream ({@code status}: 500, 502,
     * 503 or 504, the latter two also for a connection failure or timeout), by its own
     * {@code stale-if-error} or the request's (RFC 5861 §4); never one that must be revalidated
     * or that an invalidation covers.
     */
    boolean mayServeOnError(CachedResponse e, int status, HeaderView request) {
        if (!rules.respectCacheControl()) {
            return false;
        }
        long age = Freshness.currentAgeMillis(e.correctedInitialAgeMillis(), e.responseTimeMillis(), clock.getAsLong());
        return Freshness.mayServeStaleOnError(age, e.lifetimeMillis(), staleIfErrorMillis(e), e.mustRevalidate(),
            CacheControl.parseRequest(request), status) && valid(e);
    }

    private Lookup miss(Fill fill) {
        stats.misses.increment();
        return new Lookup.Miss(fill);
    }

    /** Becomes the leader for {@code key} unless another request is; a follower still fills, without waiters. */
    private Fill lead(String key, String path, String rawQuery, HeaderView request, long now) {
        Fill fill = newFill(key, path, rawQuery, request, now, true);
        Fill previous = inFlight.putIfAbsent(key, fill);
        return previous == null ? fill : newFill(key, path, rawQuery, request, now, false);
    }

    /** A request that waited too long for the leader: it fetches (and may store) on its own. */
    private Fill follow(String key, String path, String rawQuery, HeaderView request, long now, CachedResponse stale) {
        Fill fill = newFill(key, path, rawQuery, request, now, false);
        fill.staleIfError = stale;
        return fill;
    }

    private Fill newFill(String key, String path, String rawQuery, HeaderView request, long now, boolean leader) {
        long urlHash = UrlGenerations.hash(urlTag(path, rawQuery));
        List<String> definitionTags = tags.expand(path, rawQuery, request);
        Map<String, Long> tagGenerations = definitionTags.isEmpty() ? Map.of() : new LinkedHashMap<>();
        for (String t : definitionTags) {
            tagGenerations.put(t, generations.get(Generations.tag(t)));
        }
        return new Fill(this, key, path, rawQuery, request, now, System.nanoTime(), generations.get(apiGeneration),
            urlHash, generations.urls().get(urlHash), tagGenerations, leader, new CompletableFuture<>());
    }

    /** The usable entry for {@code key} (following a Vary marker), from this node's tier or the cluster's map. */
    private CompletionStage<CachedResponse> find(String key, HeaderView request) {
        Object here = local != null ? local.get(key) : null;
        if (here != null) {
            if (here instanceof VaryMarker marker) {
                String variant = CacheKeys.varyKey(key, marker.names(), request);
                Object v = local.get(variant);
                if (v instanceof CachedResponse e && valid(e)) {
                    touch(variant);
                    return CompletableFuture.completedFuture(e);
                }
                dropRefusedLocal(variant, v);
                return fetch(variant, request, false);
            }
            CachedResponse e = (CachedResponse) here;
            if (valid(e)) {
                touch(key);
                return CompletableFuture.completedFuture(e);
            }
            // this node's copy is invalidated; the cluster's map may hold a newer one by now
            dropRefusedLocal(key, e);
        }
        return fetch(key, request, true);
    }

    /** How often this node tells the cluster that it answers hits from its copy of an entry. */
    private static final long TOUCH_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private void touch(String key) {
        if (local.touchDue(key, System.nanoTime(), TOUCH_EVERY_NANOS)) {
            store.touch(map, key);
        }
    }

    private void dropRefusedLocal(String key, Object value) {
        if (value instanceof CachedResponse) {
            stats.invalidated.increment();
            forgetLocal(key);
        }
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
                if (!valid(e)) {
                    // covered by an invalidation: dropped, unless another node replaced it meanwhile
                    stats.invalidated.increment();
                    store.remove(map, key, bytes);
                    return CompletableFuture.<CachedResponse>completedFuture(null);
                }
                remember(key, e, e.weight());
                return CompletableFuture.completedFuture(e);
            } catch (IllegalArgumentException malformed) {
                LOG.warn("dropping an unreadable cache entry of API {}: {}", apiId, malformed.getMessage());
                store.remove(map, key);
                return CompletableFuture.<CachedResponse>completedFuture(null);
            }
        }).thenCompose(s -> s);
    }

    /** The entry for {@code key} in this node's tier (following a Vary marker) if no invalidation covers it. */
    private CachedResponse validLocal(String key, HeaderView request) {
        if (local == null) {
            return null;
        }
        Object o = local.get(key);
        if (o instanceof VaryMarker marker) {
            o = local.get(CacheKeys.varyKey(key, marker.names(), request));
        }
        return o instanceof CachedResponse e && valid(e) ? e : null;
    }

    private boolean valid(CachedResponse e) {
        if (e.apiGeneration() < generations.get(apiGeneration)) {
            return false;
        }
        if (e.urlGeneration() < generations.urls().get(e.urlHash())) {
            return false;
        }
        for (Map.Entry<String, Long> t : e.tagGenerations().entrySet()) {
            if (t.getValue() < generations.get(Generations.tag(t.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private void remember(String key, Object value, long weight) {
        if (local != null) {
            local.put(key, value, weight);
        }
    }

    private void forgetLocal(String key) {
        if (local != null) {
            local.remove(key);
        }
    }

    /**
     * Whether a generation this fill depends on rose since its request was sent: its API's, its
     * URL's, its definition tags' (known when it was sent), and the tags its answer names
     * ({@code Cache-Tag}: a rise this node learned after the request was sent). The answer may
     * then be what was invalidated, so it is not stored. Invalidations of anything else do not
     * count: under steady writes to some URLs, the others are still stored.
     */
    private boolean raced(Fill fill, List<String> responseTags) {
        if (generations.get(apiGeneration) > fill.apiGeneration
            || generations.urls().get(fill.urlHash) > fill.urlGeneration) {
            return true;
        }
        for (Map.Entry<String, Long> t : fill.tagGenerations.entrySet()) {
            if (generations.get(Generations.tag(t.getKey())) > t.getValue()) {
                return true;
            }
        }
        for (String t : responseTags) {
            if (generations.risenSince(Generations.tag(t), fill.startNanos)) {
                return true;
            }
        }
        return false;
    }

    /** Stores a fill's answer; the stage completes once the cluster holds it (at once when nothing is stored). */
    CompletionStage<Void> store(Fill fill, int status, List<Map.Entry<String, String>> headers, byte[] body) {
        CompletionStage<Void> stored = CompletableFuture.completedFuture(null);
        try {
            HeaderView response = HeaderView.of(headers);
            List<String> responseTags = CacheTags.fromResponse(response);
            if (raced(fill, responseTags)) {
                return stored; // an invalidation of this answer's API, URL or tags ran while it was fetched
            }
            long responseTime = clock.getAsLong();
            long lifetime = Freshness.lifetimeMillis(rules, status, response);
            long grace = rules.grace().toMillis();
            List<String> vary = CacheKeys.varyNames(response);
            Map<String, Long> tagGenerations = new LinkedHashMap<>(fill.tagGenerations);
            for (String t : responseTags) {
                tagGenerations.putIfAbsent(t, generations.get(Generations.tag(t)));
            }
            CachedResponse entry = new CachedResponse(status, CachedResponse.storableHeaders(headers), body,
                fill.requestTimeMillis, responseTime,
                Freshness.correctedInitialAgeMillis(response, fill.requestTimeMillis, responseTime),
                lifetime, grace, Freshness.mustRevalidate(rules, response), vary, tagGenerations,
                fill.apiGeneration, fill.urlHash, fill.urlGeneration);
            long keepMillis = Math.min(maxKeepMillis - (responseTime - fill.requestTimeMillis), keepMillis(entry, responseTime,
                Math.max(staleWhileRevalidateMillis(entry), staleIfErrorMillis(entry))));
            if (keepMillis <= 0) {
                return stored; // its request started longer ago than any entry may be kept
            }
            String key = fill.key;
            if (!vary.isEmpty()) {
                stored = store.put(map, key, CachedResponse.encodeVaryMarker(vary, entry.staleUntilMillis()), keepMillis);
                remember(key, new VaryMarker(vary), 128);
                key = CacheKeys.varyKey(key, vary, fill.request);
            }
            stored = stored.thenCombine(store.put(map, key, entry.encode(), keepMillis), (a, b) -> null);
            remember(key, entry, entry.weight());
            tagCounts.add(new ArrayList<>(tagGenerations.keySet()));
            stats.stored.increment();
            return stored;
        } catch (RuntimeException e) {
            LOG.warn("storing a response of API {} failed", apiId, e);
            return stored;
        } finally {
            release(fill);
        }
    }

    /**
     * How long the map keeps an entry: to the end of its grace (or of {@code staleWindow}, its
     * stale-while-revalidate or stale-if-error window, when longer), and, when it has a validator, {@link #KEEP_MILLIS}
     * longer, so that an expired entry can still be renewed by a 304 instead of fetched whole
     * (Varnish calls this "keep").
     */
    static long keepMillis(CachedResponse entry, long now, long staleWindow) {
        long until = entry.staleUntilMillis();
        until = Math.max(until, entry.expiresAtMillis() + staleWindow);
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
            if (refusal == null && !raced(fill, List.of())) {
                // stored anew: it records the generations of this fill, as a new answer would, so
                // that it never outlives the retention of the generations it was checked against
                Map<String, Long> current = new LinkedHashMap<>();
                for (String t : merged.tagGenerations().keySet()) {
                    current.put(t, generations.get(Generations.tag(t)));
                }
                merged = merged.withGenerations(current, fill.apiGeneration, fill.urlGeneration);
                long keepMillis = Math.max(1, Math.min(maxKeepMillis - (now - fill.requestTimeMillis), keepMillis(merged, now,
                    Math.max(staleWhileRevalidateMillis(merged), staleIfErrorMillis(merged)))));
                String key = merged.varyNames().isEmpty() ? fill.key : CacheKeys.varyKey(fill.key, merged.varyNames(), fill.request);
                store.put(map, key, merged.encode(), keepMillis);
                remember(key, merged, merged.weight());
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
     * non-error answer: its URL's entries are invalidated on every node (RFC 9111 §4.4), batched
     * with other writes. Cheap on the caller's thread; the stage completes when every live node
     * refuses the URL's entries, so the writer can be answered after that (read-your-writes on
     * any node).
     */
    public CompletionStage<Void> unsafeRequestSucceeded(String path, String rawQuery) {
        return unsafe.invalidate(apiId, path, rawQuery);
    }

    /** The tag naming one URL of an API (with all its variants): what {@link UrlGenerations#hash} hashes. */
    public String urlTag(String path, String rawQuery) {
        return urlTag(apiId, path, rawQuery);
    }

    static String urlTag(String apiId, String path, String rawQuery) {
        String q = CacheKeys.normaliseQuery(rawQuery);
        return "url:" + apiId + " " + (q.isEmpty() ? path : path + "?" + q);
    }

    /**
     * A pass over this node's tier that drops the entries the generations no longer allow at the
     * moment it visits them (counted as invalidated); null without a tier. Lookups refuse such
     * entries anyway: this only gives their memory back.
     */
    LocalTier.Sweep sweep() {
        return local == null ? null : local.sweep(v -> v instanceof CachedResponse e && !valid(e), stats.invalidated);
    }

    void markReady() {
        prepared.complete(null);
    }

    /** Forgets this node's tier (the API was deleted or its settings changed). */
    void clearLocal() {
        if (local != null) {
            local.clear();
        }
    }

    int localEntries() {
        return local == null ? 0 : local.size();
    }
}
