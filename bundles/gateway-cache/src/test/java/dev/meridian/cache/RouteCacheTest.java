package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RouteCache} over an in-memory {@link CacheStore} (the Hazelcast store is exercised by
 * the cluster end-to-end tests): tiers, single flight, grace, generations, Vary.
 */
@Timeout(10) // lookups are futures: a wrong expectation must fail, not hang
class RouteCacheTest {

    /** Keeps entries in a map; no TTL (the clock of these tests is manual). */
    static final class MemoryStore implements CacheStore {
        final Map<String, byte[]> entries = new ConcurrentHashMap<>();
        final Map<String, Long> generations = new ConcurrentHashMap<>();
        final Map<String, Long> ttls = new ConcurrentHashMap<>();
        /** The clock of the member where generations live (Generations#next). */
        long wallClock = 1_000;
        int gets;
        /** When set, gets answer only when the test completes them (what the cluster's map does, later). */
        java.util.Queue<CompletableFuture<byte[]>> deferred;

        @Override
        public CompletionStage<byte[]> get(String map, String key) {
            gets++;
            if (deferred != null) {
                CompletableFuture<byte[]> later = new CompletableFuture<>();
                deferred.add(later);
                return later;
            }
            return CompletableFuture.completedFuture(entries.get(map + "/" + key));
        }

        @Override
        public void prepare(String map, long maxEntries, long maxBytes) {
        }

        @Override
        public CompletionStage<Void> put(String map, String key, byte[] value, long ttlMillis) {
            entries.put(map + "/" + key, value);
            ttls.put(map + "/" + key, ttlMillis);
            return CompletableFuture.completedFuture(null);
        }

        int touches;

        @Override
        public void touch(String map, String key) {
            touches++;
        }

        @Override
        public void remove(String map, String key, byte[] expected) {
            entries.remove(map + "/" + key, expected);
        }

        @Override
        public void remove(String map, String key) {
            entries.remove(map + "/" + key);
        }


        @Override
        public void purge(String map, Invalidated raised) {
            entries.entrySet().removeIf(e -> e.getKey().startsWith(map + "/") && CachedResponse.coveredBy(e.getValue(), raised));
        }

        @Override
        public void destroy(String map) {
            entries.keySet().removeIf(k -> k.startsWith(map + "/"));
        }

        @Override
        public long entries(String map) {
            return entries.keySet().stream().filter(k -> k.startsWith(map + "/")).count();
        }

        @Override
        public long[] localRemovals(String map) {
            return new long[] {0, 0};
        }

        @Override
        public long membershipVersion() {
            return 0;
        }

        final Map<Integer, long[]> urls = new ConcurrentHashMap<>();

        @Override
        public Map<String, Long> generations(long sinceMillis) {
            Map<String, Long> out = new java.util.HashMap<>();
            generations.forEach((k, v) -> {
                if (v >= sinceMillis) {
                    out.put(k, v);
                }
            });
            return out;
        }

        @Override
        public Map<Integer, long[]> urlGenerations(long sinceMillis) {
            Map<Integer, long[]> out = new java.util.HashMap<>();
            urls.forEach((b, record) -> {
                if (record[0] >= sinceMillis) {
                    out.put(b, UrlGenerations.changeOf(record));
                }
            });
            return out;
        }

        @Override
        public Map<Integer, long[]> bumpUrls(Map<Integer, long[]> hashes, Set<Integer> whole, Duration retention) {
            Map<Integer, long[]> out = new java.util.HashMap<>();
            Set<Integer> keys = new java.util.HashSet<>(hashes.keySet());
            keys.addAll(whole);
            for (Integer b : keys) {
                long[][] bumped = UrlGenerations.bump(urls.get(b), hashes.getOrDefault(b, new long[0]), whole.contains(b),
                    wallClock, retention.toMillis());
                if (bumped[0] == null) {
                    urls.remove(b);
                } else {
                    urls.put(b, bumped[0]);
                }
                out.put(b, bumped[1]);
            }
            return out;
        }

        /** Invalidates one URL in the cluster and answers the change a node applies. */
        void bumpUrl(Generations on, String urlTag) {
            long h = UrlGenerations.hash(urlTag);
            int b = UrlGenerations.bucket(h);
            long[] change = bumpUrls(Map.of(b, new long[] {h}), Set.of(), Duration.ofHours(1)).get(b);
            on.urls().apply(b, change, wallClock, Duration.ofHours(1).toMillis());
        }

        @Override
        public Map<String, Long> bump(java.util.Collection<String> names, Duration retention) {
            Map<String, Long> out = new java.util.HashMap<>();
            names.forEach(name -> out.put(name, generations.compute(name, (k, v) -> Generations.next(v, wallClock))));
            return out;
        }

        long bump(String name) {
            return bump(List.of(name), Duration.ofHours(1)).get(name);
        }

        /** The cluster's retention ran out for {@code name}. */
        void forget(String name) {
            generations.remove(name);
        }

        @Override
        public List<NodeReply> broadcast(String message, Duration timeout) {
            return List.of();
        }

        @Override
        public AutoCloseable onBroadcast(Function<String, String> handler) {
            return () -> { };
        }

        @Override
        public boolean receivesBroadcasts() {
            return true;
        }
    }

    private static final long MAX_KEEP_MILLIS = 3_600_000;
    private final MemoryStore store = new MemoryStore();
    private final Generations generations = new Generations();
    private final LocalTier localTier = new LocalTier(64L << 20);
    private final AtomicLong now = new AtomicLong(1_000_000);
    private static final HeaderView NO_HEADERS = name -> List.of();

    private RouteCache cache(Map<String, Object> block) {
        RouteCache c = new RouteCache("orders", CacheRules.of(block).orElseThrow(), store, generations, new CacheStats(), now::get,
            new RouteCache.Limits(1024 * 1024, MAX_KEEP_MILLIS), localTier, (api, path, query) -> CompletableFuture.completedFuture(null), new TagCounts(100));
        c.markReady();
        return c;
    }

    private static Lookup lookup(RouteCache c, String path, HeaderView request) {
        String key = c.key("GET", path, null, request, null);
        return c.lookup(key, path, null, request).toCompletableFuture().join();
    }

    private static void fill(Lookup l, String body, String... headers) {
        List<Map.Entry<String, String>> h = new java.util.ArrayList<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.add(Map.entry(headers[i], headers[i + 1]));
        }
        ((Lookup.Miss) l).fill().store(200, h, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void should_answer_a_stored_response_from_this_node_and_from_the_cluster() {
        RouteCache here = cache(Map.of("ttl", "30s"));
        fill(lookup(here, "/orders/1", NO_HEADERS), "one");
        assertInstanceOf(Lookup.Hit.class, lookup(here, "/orders/1", NO_HEADERS));
        RouteCache elsewhere = cache(Map.of("ttl", "30s")); // another node: empty fast tier, same map
        Lookup there = lookup(elsewhere, "/orders/1", NO_HEADERS);
        assertEquals("one", new String(((Lookup.Hit) there).entry().body(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void should_find_a_fresh_local_hit_without_doing_anything_else() {
        RouteCache c = cache(Map.of("ttl", "10s"));
        String key = c.key("GET", "/orders/fresh", null, NO_HEADERS, null);
        assertNull(c.freshLocalHit(key, NO_HEADERS), "nothing stored");
        String before = c.stats().toTree().toString();
        assertNull(c.freshLocalHit(key, NO_HEADERS));
        assertEquals(before, c.stats().toTree().toString(), "a miss found nothing and counted nothing");
        Lookup leader = c.lookup(key, "/orders/fresh", null, NO_HEADERS).toCompletableFuture().join();
        assertInstanceOf(Lookup.Miss.class, leader, "no fill was started by the look: the next lookup leads");
        fill(leader, "fresh");
        Lookup.Hit hit = c.freshLocalHit(key, NO_HEADERS);
        assertEquals("fresh", new String(hit.entry().body(), java.nio.charset.StandardCharsets.UTF_8));
        String counted = c.stats().toTree().toString();
        c.hitServed(key, NO_HEADERS);
        assertNotEquals(counted, c.stats().toTree().toString(), "a hit served counts as lookup's own");
        assertNull(c.freshLocalHit(key, name -> name.equalsIgnoreCase("Cache-Control") ? List.of("no-cache") : List.of()),
            "a request that asks to revalidate takes lookup's way");
        RouteCache elsewhere = cache(Map.of("ttl", "10s")); // another node: the entry is only in the cluster
        assertNull(elsewhere.freshLocalHit(key, NO_HEADERS), "not in this node's memory: lookup's way");
        now.addAndGet(11_000);
        assertNull(c.freshLocalHit(key, NO_HEADERS), "expired: lookup's way (refresh, stale)");
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/fresh", NO_HEADERS));
    }

    @Test
    void should_find_the_fresh_local_variant_a_request_selects_under_vary() {
        RouteCache c = cache(Map.of("ttl", "10s"));
        HeaderView gzip = name -> name.equalsIgnoreCase("Accept-Encoding") ? List.of("gzip") : List.of();
        HeaderView plain = name -> List.of();
        String key = c.key("GET", "/orders/vary", null, gzip, null);
        fill(c.lookup(key, "/orders/vary", null, gzip).toCompletableFuture().join(), "zipped", "Vary", "Accept-Encoding");
        Lookup.Hit hit = c.freshLocalHit(key, gzip);
        assertEquals("zipped", new String(hit.entry().body(), java.nio.charset.StandardCharsets.UTF_8));
        assertNull(c.freshLocalHit(c.key("GET", "/orders/vary", null, plain, null), plain), "no variant for this request yet");
        c.hitServed(key, gzip);
        assertInstanceOf(Lookup.Hit.class, c.lookup(key, "/orders/vary", null, gzip).toCompletableFuture().join());
    }

    @Test
    void should_make_concurrent_misses_wait_for_one_fill() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        String key = c.key("GET", "/orders/2", null, NO_HEADERS, null);
        Lookup leader = c.lookup(key, "/orders/2", null, NO_HEADERS).toCompletableFuture().join();
        CompletableFuture<Lookup> follower = c.lookup(key, "/orders/2", null, NO_HEADERS).toCompletableFuture();
        assertFalse(follower.isDone(), "the follower waits for the leader");
        fill(leader, "two");
        assertInstanceOf(Lookup.Hit.class, follower.join());
    }

    @Test
    void should_make_misses_whose_cluster_lookups_answer_together_wait_for_one_fill() {
        // both requests miss this node's tier and ask the cluster; both answers (nothing) arrive
        // before either request has become the leader: the second to lead must wait, not fetch
        RouteCache c = cache(Map.of("ttl", "30s"));
        String key = c.key("GET", "/orders/5", null, NO_HEADERS, null);
        store.deferred = new java.util.ArrayDeque<>();
        CompletableFuture<Lookup> first = c.lookup(key, "/orders/5", null, NO_HEADERS).toCompletableFuture();
        CompletableFuture<Lookup> second = c.lookup(key, "/orders/5", null, NO_HEADERS).toCompletableFuture();
        assertEquals(2, store.deferred.size(), "both asked the cluster");
        store.deferred.poll().complete(null);
        store.deferred.poll().complete(null);
        assertInstanceOf(Lookup.Miss.class, first.join());
        assertFalse(second.isDone(), "the second waits for the first's fill");
        store.deferred = null;
        fill(first.join(), "five");
        assertInstanceOf(Lookup.Hit.class, second.join());
    }

    @Test
    void should_make_one_leader_when_cluster_lookups_answer_on_two_threads_at_once() throws Exception {
        // the race CacheE2EIT met once: two answers decided at the same moment on two threads
        RouteCache c = cache(Map.of("ttl", "30s"));
        int keys = 3000;
        int doubled = 0;
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < keys; i++) {
                String path = "/orders/race/" + i;
                String key = c.key("GET", path, null, NO_HEADERS, null);
                store.deferred = new java.util.ArrayDeque<>();
                CompletableFuture<Lookup> a = c.lookup(key, path, null, NO_HEADERS).toCompletableFuture();
                CompletableFuture<Lookup> b = c.lookup(key, path, null, NO_HEADERS).toCompletableFuture();
                CompletableFuture<byte[]> ga = store.deferred.poll();
                CompletableFuture<byte[]> gb = store.deferred.poll();
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
                var fa = two.submit(() -> { together.await(); return ga.complete(null); });
                var fb = two.submit(() -> { together.await(); return gb.complete(null); });
                fa.get();
                fb.get();
                int misses = (a.isDone() ? 1 : 0) + (b.isDone() ? 1 : 0);
                assertTrue(misses >= 1, "one of them leads");
                if (misses == 2) {
                    doubled++;
                }
                CompletableFuture<Lookup> waiter = !a.isDone() ? a : !b.isDone() ? b : null;
                Lookup leader = (waiter == a ? b : a).join();
                store.deferred = null;
                fill(leader, "r" + i);
                if (waiter != null) {
                    assertInstanceOf(Lookup.Hit.class, waiter.join(), "the waiter hits the leader's answer");
                }
            }
        } finally {
            two.shutdownNow();
        }
        assertEquals(0, doubled, "keys fetched twice by requests that missed together");
    }

    @Test
    void should_let_followers_call_the_upstream_when_the_leader_could_not_store() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        String key = c.key("GET", "/orders/3", null, NO_HEADERS, null);
        Lookup leader = c.lookup(key, "/orders/3", null, NO_HEADERS).toCompletableFuture().join();
        CompletableFuture<Lookup> follower = c.lookup(key, "/orders/3", null, NO_HEADERS).toCompletableFuture();
        ((Lookup.Miss) leader).fill().release();
        assertInstanceOf(Lookup.Miss.class, follower.join());
    }

    @Test
    void should_expire_at_the_lifetime_and_serve_stale_within_grace_while_one_request_refreshes() {
        RouteCache c = cache(Map.of("ttl", "10s", "grace", "5s"));
        fill(lookup(c, "/orders/4", NO_HEADERS), "four");
        now.addAndGet(12_000);
        Lookup refresher = lookup(c, "/orders/4", NO_HEADERS);
        assertInstanceOf(Lookup.Miss.class, refresher, "one request refreshes");
        assertInstanceOf(Lookup.Stale.class, lookup(c, "/orders/4", NO_HEADERS), "the others get the stale entry meanwhile");
        fill(refresher, "four again");
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/4", NO_HEADERS));
        now.addAndGet(20_000);
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/4", NO_HEADERS), "past lifetime and grace");
    }

    @Test
    void should_refuse_entries_an_invalidation_covers_on_every_tier() {
        RouteCache c = cache(Map.of("ttl", "30s", "tags", List.of("order:{path.2}")));
        fill(lookup(c, "/orders/5", NO_HEADERS), "five");
        fill(lookup(c, "/orders/6", NO_HEADERS), "six", "Cache-Tag", "upstream");
        generations.raise("tag:order:5", store.bump("tag:order:5"));
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/5", NO_HEADERS));
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/6", NO_HEADERS));
        generations.raise("tag:upstream", store.bump("tag:upstream"));
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/6", NO_HEADERS), "tags from Cache-Tag count too");
        RouteCache other = cache(Map.of("ttl", "30s"));
        fill(lookup(other, "/orders/7", NO_HEADERS), "seven");
        generations.raise("api:orders", store.bump("api:orders"));
        assertInstanceOf(Lookup.Miss.class, lookup(other, "/orders/7", NO_HEADERS), "a whole API");
        fill(lookup(other, "/orders/8", NO_HEADERS), "eight");
        fill(lookup(other, "/orders/88", NO_HEADERS), "eighty-eight");
        store.bumpUrl(generations, other.urlTag("/orders/8", null));
        assertInstanceOf(Lookup.Miss.class, lookup(other, "/orders/8", NO_HEADERS), "one URL");
        assertInstanceOf(Lookup.Hit.class, lookup(other, "/orders/88", NO_HEADERS), "and no other");
    }

    @Test
    void should_sweep_from_the_fast_tier_exactly_the_entries_lookups_refuse() {
        RouteCache tagged = cache(Map.of("ttl", "30s", "tags", List.of("order:{path.2}")));
        for (int i = 1; i <= 6; i++) {
            fill(lookup(tagged, "/orders/" + (100 + i), NO_HEADERS), "n" + i);
        }
        assertEquals(6, localTier.entries());
        sweepAll(tagged);
        assertEquals(6, localTier.entries(), "nothing covered: nothing swept");
        generations.raise("tag:order:101", store.bump("tag:order:101")); // one by its tag
        store.bumpUrl(generations, tagged.urlTag("/orders/102", null)); // one by its URL
        sweepAll(tagged);
        assertEquals(4, localTier.entries(), "the tag's and the URL's entries swept, the others kept");
        for (int i = 3; i <= 6; i++) {
            assertInstanceOf(Lookup.Hit.class, lookup(tagged, "/orders/" + (100 + i), NO_HEADERS));
        }
        generations.raise("api:orders", store.bump("api:orders")); // all by their API
        sweepAll(tagged);
        assertEquals(0, localTier.entries());
    }

    private static void sweepAll(RouteCache c) {
        LocalTier.Sweep sweep = c.sweep();
        while (!sweep.done()) {
            sweep.step(Integer.MAX_VALUE);
        }
    }

    @Test
    void should_not_store_an_answer_fetched_across_an_invalidation_of_its_api() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        Lookup miss = lookup(c, "/orders/9", NO_HEADERS);
        generations.raise("api:orders", store.bump("api:orders"));
        fill(miss, "fetched before the invalidation answered");
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/9", NO_HEADERS));
    }

    @Test
    void should_not_store_an_answer_fetched_across_an_invalidation_of_one_of_its_tags() {
        RouteCache c = cache(Map.of("ttl", "30s", "tags", List.of("order:{path.2}")));
        Lookup miss = lookup(c, "/orders/12", NO_HEADERS);
        generations.raise("tag:order:12", store.bump("tag:order:12"));
        fill(miss, "fetched before the invalidation answered");
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/12", NO_HEADERS));
    }

    @Test
    void should_store_across_a_refresh_that_raises_nothing() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        Lookup miss = lookup(c, "/orders/13", NO_HEADERS);
        generations.raiseAll(store.generations(0)); // the periodic refresh re-reads what is known
        fill(miss, "thirteen");
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/13", NO_HEADERS));
    }

    @Test
    void should_hit_an_answer_whose_date_lags_by_most_of_a_second_within_its_max_age() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        fill(lookup(c, "/orders/14", NO_HEADERS), "fourteen", "Date", Freshness.formatHttpDate(now.get() - 900),
            "Cache-Control", "max-age=2", "Content-Type", "text/plain");
        now.addAndGet(50);
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/14", NO_HEADERS));
        assertInstanceOf(Lookup.Hit.class, lookup(cache(Map.of("ttl", "30s")), "/orders/14", NO_HEADERS), "from the map");
    }

    @Test
    void should_keep_one_entry_per_variant_of_a_vary_header() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        HeaderView json = name -> name.equalsIgnoreCase("Accept") ? List.of("application/json") : List.of();
        HeaderView xml = name -> name.equalsIgnoreCase("Accept") ? List.of("application/xml") : List.of();
        fill(lookup(c, "/orders/10", json), "{}", "Vary", "Accept");
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/10", json));
        Lookup other = lookup(c, "/orders/10", xml);
        assertInstanceOf(Lookup.Miss.class, other);
        fill(other, "<x/>", "Vary", "Accept");
        Lookup x = lookup(c, "/orders/10", xml);
        assertEquals("<x/>", new String(((Lookup.Hit) x).entry().body(), java.nio.charset.StandardCharsets.UTF_8));
        RouteCache elsewhere = cache(Map.of("ttl", "30s"));
        assertInstanceOf(Lookup.Hit.class, lookup(elsewhere, "/orders/10", json), "the marker is in the cluster's map too");
    }

    @Test
    void should_bypass_a_no_store_request_and_revalidate_a_no_cache_one() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        fill(lookup(c, "/orders/11", NO_HEADERS), "eleven");
        HeaderView noStore = name -> name.equalsIgnoreCase("Cache-Control") ? List.of("no-store") : List.of();
        HeaderView noCache = name -> name.equalsIgnoreCase("Cache-Control") ? List.of("no-cache") : List.of();
        assertInstanceOf(Lookup.Bypass.class, lookup(c, "/orders/11", noStore));
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/11", noCache));
        assertTrue(c.stats().toTree().toString().contains("bypass=1"), c.stats().toTree().toString());
    }

    @Test
    void should_keep_and_serve_no_entry_longer_than_the_longest_keep() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        fill(lookup(c, "/orders/20", NO_HEADERS), "a year", "Cache-Control", "max-age=31536000", "ETag", "\"y\"");
        assertTrue(store.ttls.values().stream().allMatch(t -> t <= MAX_KEEP_MILLIS), store.ttls.toString());
        now.addAndGet(MAX_KEEP_MILLIS - 1);
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/20", NO_HEADERS));
        now.addAndGet(1);
        Lookup past = lookup(c, "/orders/20", NO_HEADERS);
        assertInstanceOf(Lookup.Miss.class, past, "fresh for a year, but kept for at most an hour");
        assertNull(((Lookup.Miss) past).fill().revalidating(), "not revalidated either: fetched anew");
    }

    @Test
    void should_forget_generations_the_cluster_forgot_without_reviving_what_they_refused() {
        RouteCache c = cache(Map.of("ttl", "30s", "tags", List.of("order:{path.2}")));
        fill(lookup(c, "/orders/21", NO_HEADERS), "before");
        generations.raise("tag:order:21", store.bump("tag:order:21"));
        Lookup refused = lookup(c, "/orders/21", NO_HEADERS);
        assertInstanceOf(Lookup.Miss.class, refused, "refused, and dropped from both tiers");
        fill(refused, "after");
        // the retention ran out: the cluster forgot the generation, then so does this node
        store.forget("tag:order:21");
        long retention = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(MAX_KEEP_MILLIS + 600_000);
        long learned = System.nanoTime();
        assertEquals(0, generations.forgetExpired(learned + retention / 2, retention, store.wallClock), "within its retention: kept");
        assertEquals(1, generations.forgetExpired(learned + retention, retention, store.wallClock));
        assertEquals(0, generations.get("tag:order:21"));
        Lookup hit = lookup(c, "/orders/21", NO_HEADERS);
        assertEquals("after", new String(((Lookup.Hit) hit).entry().body(), java.nio.charset.StandardCharsets.UTF_8),
            "what was stored after the bump still serves");
        // bumped again a day later: above the value the entry recorded, so it is refused
        store.wallClock += 86_400_000;
        generations.raise("tag:order:21", store.bump("tag:order:21"));
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/21", NO_HEADERS), "a later bump refuses what the earlier value allowed");
    }

    @Test
    void should_store_answers_while_other_urls_tags_and_apis_are_invalidated() {
        RouteCache c = cache(Map.of("ttl", "30s", "tags", List.of("order:{path.2}")));
        Lookup miss = lookup(c, "/orders/30", NO_HEADERS);
        for (int i = 0; i < 50; i++) {
            store.bumpUrl(generations, c.urlTag("/orders/other-" + i, null)); // writes to other URLs
        }
        generations.raise("tag:order:31", store.bump("tag:order:31"));
        generations.raise("api:billing", store.bump("api:billing"));
        fill(miss, "thirty", "Cache-Tag", "unrelated");
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/30", NO_HEADERS),
            "only what this answer depends on may refuse it (the epoch of every generation did before)");
    }

    @Test
    void should_not_store_an_answer_fetched_across_an_invalidation_of_its_url_or_a_tag_it_names() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        Lookup miss = lookup(c, "/orders/32", NO_HEADERS);
        store.bumpUrl(generations, c.urlTag("/orders/32", null));
        fill(miss, "fetched before the write answered");
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/32", NO_HEADERS));
        Lookup tagged = lookup(c, "/orders/33", NO_HEADERS);
        generations.raise("tag:product-9", store.bump("tag:product-9"));
        fill(tagged, "names the tag invalidated meanwhile", "Cache-Tag", "product-9");
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/33", NO_HEADERS));
    }

    @Test
    void should_stop_waiting_for_a_stuck_leader_and_fetch_itself() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        String key = c.key("GET", "/orders/34", null, NO_HEADERS, null);
        Lookup leader = c.lookup(key, "/orders/34", null, NO_HEADERS, 200).toCompletableFuture().join();
        long start = System.nanoTime();
        Lookup follower = c.lookup(key, "/orders/34", null, NO_HEADERS, 200).toCompletableFuture().join();
        long waited = (System.nanoTime() - start) / 1_000_000;
        assertInstanceOf(Lookup.Miss.class, follower, "fetches itself");
        assertTrue(waited >= 150 && waited < 5_000, "waited " + waited + " ms");
        fill(follower, "from the follower");
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/34", NO_HEADERS), "and may store");
        ((Lookup.Miss) leader).fill().release();
    }

    @Test
    void should_answer_only_if_cached_from_the_cache_or_not_at_all() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        HeaderView onlyIfCached = name -> name.equalsIgnoreCase("Cache-Control") ? List.of("only-if-cached") : List.of();
        assertInstanceOf(Lookup.NotCached.class, lookup(c, "/orders/35", onlyIfCached), "RFC 9111 5.2.1.7: 504, no upstream");
        fill(lookup(c, "/orders/35", NO_HEADERS), "thirty-five");
        assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/35", onlyIfCached));
    }

    @Test
    void should_serve_stale_while_revalidating_in_the_background_within_the_window_only() {
        RouteCache c = cache(Map.of("ttl", "0s"));
        fill(lookup(c, "/orders/36", NO_HEADERS), "v1", "Cache-Control", "max-age=2, stale-while-revalidate=10", "ETag", "\"1\"");
        now.addAndGet(5_000);
        Lookup first = lookup(c, "/orders/36", NO_HEADERS);
        Lookup.Refresh refresh = assertInstanceOf(Lookup.Refresh.class, first, "stale, and one background refresh");
        assertEquals("\"1\"", refresh.fill().revalidating().etag(), "conditional on its validator");
        assertInstanceOf(Lookup.Stale.class, lookup(c, "/orders/36", NO_HEADERS), "no second refresh meanwhile");
        refresh.fill().release();
        now.addAndGet(10_000);
        assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/36", NO_HEADERS), "past the window: a normal miss");
    }

    @Test
    void should_offer_a_stale_entry_for_upstream_errors_within_stale_if_error_only() {
        RouteCache c = cache(Map.of("ttl", "0s"));
        fill(lookup(c, "/orders/37", NO_HEADERS), "v1", "Cache-Control", "max-age=2, stale-if-error=10");
        now.addAndGet(5_000);
        Lookup.Miss miss = assertInstanceOf(Lookup.Miss.class, lookup(c, "/orders/37", NO_HEADERS));
        assertEquals("v1", new String(miss.fill().staleIfError(503).body(), java.nio.charset.StandardCharsets.UTF_8));
        assertNull(miss.fill().staleIfError(404), "not an error stale-if-error covers");
        now.addAndGet(10_000);
        assertNull(miss.fill().staleIfError(503), "past its window");
        miss.fill().release();
        fill(lookup(c, "/orders/38", NO_HEADERS), "v1", "Cache-Control", "max-age=2, stale-if-error=60, must-revalidate");
        now.addAndGet(5_000);
        assertNull(((Lookup.Miss) lookup(c, "/orders/38", NO_HEADERS)).fill().staleIfError(503), "never with must-revalidate");
    }

    @Test
    void should_tell_the_cluster_now_and_then_that_a_fast_tier_entry_is_used() {
        RouteCache c = cache(Map.of("ttl", "30s"));
        fill(lookup(c, "/orders/39", NO_HEADERS), "thirty-nine");
        int before = store.touches;
        for (int i = 0; i < 100; i++) {
            assertInstanceOf(Lookup.Hit.class, lookup(c, "/orders/39", NO_HEADERS));
        }
        assertTrue(store.touches - before <= 1, "at most once per 5 s, not per hit: " + (store.touches - before));
    }
}
