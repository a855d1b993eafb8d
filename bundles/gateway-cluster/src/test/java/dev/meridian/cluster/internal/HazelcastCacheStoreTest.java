package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import dev.meridian.cache.CachedResponse;
import dev.meridian.cache.Invalidated;
import dev.meridian.cache.UrlGenerations;

/**
 * The cache store on a real Hazelcast member (one, on loopback, in this JVM): generations
 * bumped in one call and forgotten after their retention, entries purged by the predicate that
 * runs where they live.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HazelcastCacheStoreTest {

    private static HazelcastInstance hazelcast;
    private static HazelcastCacheStore store;

    private static final String CLUSTER = "store-test-" + UUID.randomUUID();

    @BeforeAll
    static void start() {
        hazelcast = Hazelcast.newHazelcastInstance(config());
        store = new HazelcastCacheStore(hazelcast, true);
    }

    private static Config config() {
        Config c = new Config().setClusterName(CLUSTER);
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.getNetworkConfig().setPort(5971).setPortAutoIncrement(true).setPortCount(20);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig j = c.getNetworkConfig().getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true).setMembers(java.util.stream.IntStream.range(5971, 5991).mapToObj(p -> "127.0.0.1:" + p).toList());
        HazelcastCacheStore.configure(c);
        return c;
    }

    @AfterAll
    static void stop() {
        if (store != null) {
            store.close();
        }
        if (hazelcast != null) {
            hazelcast.shutdown();
        }
    }

    @Test
    void should_bump_generations_in_one_call_and_forget_them_after_their_retention() {
        long before = System.currentTimeMillis();
        Map<String, Long> first = store.bump(List.of("tag:a", "tag:b"), Duration.ofSeconds(2));
        assertEquals(java.util.Set.of("tag:a", "tag:b"), first.keySet());
        assertTrue(first.get("tag:a") >= before, "at least the clock: " + first);
        long second = store.bump(List.of("tag:a"), Duration.ofSeconds(2)).get("tag:a");
        assertTrue(second > first.get("tag:a"));
        assertEquals(second, store.generations(0).get("tag:a"));
        store.bump(List.of("tag:kept"), Duration.ofHours(1));
        Awaitility.await("retention ran out").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
            .until(() -> !store.generations(0).containsKey("tag:a") && !store.generations(0).containsKey("tag:b"));
        assertTrue(store.generations(0).containsKey("tag:kept"), "a generation within its retention stays");
        assertTrue(store.bump(List.of("tag:a"), Duration.ofSeconds(2)).get("tag:a") > second,
            "bumped again after it was forgotten: above every earlier value");
        assertEquals(Map.of(), store.bump(List.of(), Duration.ofSeconds(2)));
    }

    @Test
    void should_count_a_purges_gentle_period_from_the_start_it_is_given() {
        HazelcastCacheStore.PurgePace pace = new HazelcastCacheStore.PurgePace(128, 8, 30_000);
        long now = System.nanoTime();
        // a map purged first: its own start
        assertTrue(new HazelcastCacheStore.PurgeClock(pace, now).gentle(now + 29_000_000_000L));
        assertFalse(new HazelcastCacheStore.PurgeClock(pace, now).gentle(now + 30_000_000_000L));
        // a map purged after others of the same invalidation for 25 s: 5 s of gentleness left, not 30
        HazelcastCacheStore.PurgeClock later = new HazelcastCacheStore.PurgeClock(pace, now - 25_000_000_000L);
        assertTrue(later.gentle(now + 4_000_000_000L));
        assertFalse(later.gentle(now + 5_000_000_000L));
        assertFalse(new HazelcastCacheStore.PurgeClock(new HazelcastCacheStore.PurgePace(128, 8), now).gentle(now),
            "no gentle period at all");
    }

    @Test
    void should_purge_only_the_entries_an_invalidation_covers() throws Exception {
        String map = "purge.v1";
        store.prepare(map, 10_000, 1L << 30);
        for (int i = 0; i < 200; i++) {
            store.put(map, "k" + i, entry(i % 2 == 0 ? "even" : "odd", 0).encode(), 60_000);
        }
        store.put(map, "later", entry("even", 1).encode(), 60_000); // stored after the invalidation
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.entries(map) == 201);
        store.purge(map, new Invalidated(0, Map.of("even", 1L), Map.of()));
        assertEquals(101, store.entries(map));
        assertNull(store.get(map, "k0").toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertArrayEquals(entry("odd", 0).encode(), store.get(map, "k1").toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertFalse(store.get(map, "later").toCompletableFuture().get(10, TimeUnit.SECONDS) == null);
        store.destroy(map);
    }

    @Test
    void should_seal_answers_refuse_forged_ones_and_still_purge_and_remove_them() throws Exception {
        HazelcastCacheStore sealed = new HazelcastCacheStore(hazelcast, true, ClusterSeal.of("cluster-secret"));
        String map = "sealed.v1";
        sealed.prepare(map, 10_000, 1L << 30);
        byte[] even = entry("even", 0).encode();
        sealed.put(map, "k0", even, 60_000).toCompletableFuture().get(10, TimeUnit.SECONDS);
        sealed.put(map, "k1", entry("odd", 0).encode(), 60_000).toCompletableFuture().get(10, TimeUnit.SECONDS);
        byte[] raw = (byte[]) hazelcast.getMap(HazelcastCacheStore.PREFIX + map).get("k0");
        assertEquals(even.length + ClusterSeal.TAG_BYTES, raw.length, "stored with its tag");
        assertArrayEquals(even, sealed.get(map, "k0").toCompletableFuture().get(10, TimeUnit.SECONDS));
        // what a process without the secret stores is a miss, here and under another key
        hazelcast.getMap(HazelcastCacheStore.PREFIX + map).put("forged", entry("even", 0).encode());
        hazelcast.getMap(HazelcastCacheStore.PREFIX + map).put("moved", raw);
        assertNull(sealed.get(map, "forged").toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertNull(sealed.get(map, "moved").toCompletableFuture().get(10, TimeUnit.SECONDS));
        // the purge reads the entry from its front, where the tag changes nothing
        sealed.purge(map, new Invalidated(0, Map.of("even", 1L), Map.of()));
        assertNull(hazelcast.getMap(HazelcastCacheStore.PREFIX + map).get("k0"));
        // a conditional remove names the answer as read; the store seals it again to match
        byte[] odd = sealed.get(map, "k1").toCompletableFuture().get(10, TimeUnit.SECONDS);
        sealed.remove(map, "k1", odd);
        Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> hazelcast.getMap(HazelcastCacheStore.PREFIX + map).get("k1") == null);
        store.destroy(map);
    }

    @Test
    void should_purge_in_slices_of_the_pace_and_answer_what_it_found() throws Exception {
        String map = "purge.sliced.v1";
        store.prepare(map, 10_000, 1L << 30);
        for (int i = 0; i < 600; i++) {
            store.put(map, "k" + i, entry(i % 3 == 0 ? "gone" : "kept", 0).encode(), 60_000);
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.entries(map) == 600);
        HazelcastCacheStore.PurgeReport report = store.purge(map, new Invalidated(0, Map.of("gone", 1L), Map.of()),
            new HazelcastCacheStore.PurgePace(3, 0));
        assertEquals(200, report.matched());
        assertTrue(report.slices() >= 200 / 3, "at most 3 keys a slice: " + report);
        assertEquals(400, store.entries(map));
        for (int i = 0; i < 600; i += 50) {
            byte[] left = store.get(map, "k" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(i % 3 != 0, left != null, "k" + i);
        }
        store.destroy(map);
    }

    @Test
    void should_leave_an_entry_stored_after_the_invalidation_when_its_key_was_found_covered_before() throws Exception {
        String map = "purge.restored.v1";
        IMap<String, byte[]> m = hazelcast.getMap(HazelcastCacheStore.PREFIX + map);
        HazelcastCacheStore.Covered covered = new HazelcastCacheStore.Covered(0, new java.util.HashMap<>(Map.of("t", 1L)),
            new java.util.HashMap<>());
        m.set("old", entry("t", 0).encode());
        m.set("restored", entry("t", 1).encode()); // the scan found it covered; it was stored again since
        m.executeOnKeys(java.util.Set.of("old", "restored", "absent"), new HazelcastCacheStore.RemoveCovered(covered));
        assertNull(m.get("old"));
        assertArrayEquals(entry("t", 1).encode(), m.get("restored"));
        assertFalse(m.containsKey("absent"));
        m.destroy();
    }

    @Test
    void should_read_a_stored_value_in_place_in_the_serialized_form_of_this_hazelcast() {
        byte[] encoded = entry("t", 0).encode();
        com.hazelcast.internal.serialization.Data data =
            ((com.hazelcast.spi.impl.SerializationServiceSupport) hazelcast).getSerializationService().toData(encoded);
        assertEquals(HazelcastCacheStore.StoredBytes.OFFSET, HazelcastCacheStore.StoredBytes.offset(data),
            "the fast path of the purge's predicate is taken");
        Invalidated raised = new Invalidated(0, Map.of("t", 1L), Map.of());
        assertTrue(CachedResponse.coveredBy(data.toByteArray(), HazelcastCacheStore.StoredBytes.OFFSET, raised));
        assertFalse(CachedResponse.coveredBy(data.toByteArray(), HazelcastCacheStore.StoredBytes.OFFSET,
            new Invalidated(0, Map.of("t", 0L), Map.of())));
        assertEquals(-1, HazelcastCacheStore.StoredBytes.offset(
            ((com.hazelcast.spi.impl.SerializationServiceSupport) hazelcast).getSerializationService().toData("text")));
    }

    @Test
    void should_send_the_purge_in_hazelcast_own_format_and_read_back_the_same_invalidation() {
        var serialization = ((com.hazelcast.spi.impl.SerializationServiceSupport) hazelcast).getSerializationService();
        long hash = 0x1234_5678_9abcL;
        HashMap<Integer, long[]> urls = new HashMap<>(Map.of(UrlGenerations.bucket(hash),
            UrlGenerations.bump(null, new long[] {hash}, false, 5_000, 60_000)[0]));
        HazelcastCacheStore.RemoveCovered sent = new HazelcastCacheStore.RemoveCovered(
            new HazelcastCacheStore.Covered(7, new HashMap<>(Map.of("t", 3L)), urls));
        com.hazelcast.internal.serialization.Data data = serialization.toData(sent);
        assertEquals(-2, data.getType(), "DataSerializable, not Java serialization");
        HazelcastCacheStore.RemoveCovered received = serialization.toObject(data);
        IMap<String, byte[]> m = hazelcast.getMap(HazelcastCacheStore.PREFIX + "purge.format.v1");
        m.set("api-old", new CachedResponse(200, List.of(), new byte[0], 1000, 1000, 0, 60_000, 0, false, List.of(),
            Map.of(), 6).encode());
        m.set("tag-old", entry("t", 2).encode());
        m.set("url-old", new CachedResponse(200, List.of(), new byte[0], 1000, 1000, 0, 60_000, 0, false, List.of(),
            Map.of(), 7, hash, 0).encode());
        m.set("fresh", new CachedResponse(200, List.of(), new byte[0], 1000, 1000, 0, 60_000, 0, false, List.of(),
            Map.of("t", 3L), 7, hash, Long.MAX_VALUE).encode());
        m.executeOnKeys(java.util.Set.of("api-old", "tag-old", "url-old", "fresh"), received);
        assertEquals(java.util.Set.of("fresh"), m.keySet());
        m.destroy();
    }

    @Test
    void should_purge_the_backup_replicas_too() throws Exception {
        HazelcastInstance second = Hazelcast.newHazelcastInstance(config());
        String map = "purge.backups.v1";
        try {
            Awaitility.await("partitions settled").atMost(Duration.ofSeconds(30))
                .until(() -> hazelcast.getCluster().getMembers().size() == 2 && hazelcast.getPartitionService().isClusterSafe());
            store.prepare(map, 10_000, 1L << 30);
            for (int i = 0; i < 300; i++) {
                store.put(map, "k" + i, entry(i % 2 == 0 ? "gone" : "kept", 0).encode(), 60_000);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.entries(map) == 300);
            store.purge(map, new Invalidated(0, Map.of("gone", 1L), Map.of()), new HazelcastCacheStore.PurgePace(16, 0));
            // backups are asynchronous: both replicas' counts settle at the entries kept
            Awaitility.await("backups purged").atMost(Duration.ofSeconds(20)).until(() ->
                hazelcast.getMap(HazelcastCacheStore.PREFIX + map).getLocalMapStats().getBackupEntryCount()
                    + second.getMap(HazelcastCacheStore.PREFIX + map).getLocalMapStats().getBackupEntryCount() == 150);
            second.getLifecycleService().terminate(); // no migration: the backups take over
            Awaitility.await("second gone").atMost(Duration.ofSeconds(30))
                .until(() -> hazelcast.getCluster().getMembers().size() == 1);
            assertEquals(150, store.entries(map));
            for (int i = 0; i < 300; i += 25) {
                assertEquals(i % 2 != 0, store.get(map, "k" + i).toCompletableFuture().get(10, TimeUnit.SECONDS) != null, "k" + i);
            }
        } finally {
            second.getLifecycleService().terminate();
            store.destroy(map);
        }
    }

    @Test
    void should_move_the_membership_version_when_a_member_joins_and_leaves() {
        long before = store.membershipVersion();
        HazelcastInstance second = Hazelcast.newHazelcastInstance(config());
        try {
            Awaitility.await("joined").atMost(Duration.ofSeconds(30)).until(() -> store.membershipVersion() > before);
        } finally {
            second.shutdown();
        }
        long joined = store.membershipVersion();
        Awaitility.await("left").atMost(Duration.ofSeconds(30)).until(() -> store.membershipVersion() > joined);
    }

    @Test
    void should_keep_the_values_it_answered_when_their_owner_dies() {
        HazelcastInstance second = Hazelcast.newHazelcastInstance(config());
        try {
            Awaitility.await("partitions settled").atMost(Duration.ofSeconds(30))
                .until(() -> hazelcast.getCluster().getMembers().size() == 2 && hazelcast.getPartitionService().isClusterSafe());
            List<String> names = java.util.stream.IntStream.range(0, 40).mapToObj(i -> "tag:owned" + i).toList();
            Map<String, Long> answered = store.bump(names, Duration.ofHours(1));
            second.getLifecycleService().terminate(); // no migration: the backups take over
            Awaitility.await("second gone").atMost(Duration.ofSeconds(30))
                .until(() -> hazelcast.getCluster().getMembers().size() == 1);
            Map<String, Long> after = store.generations(0);
            for (String name : names) {
                assertEquals(answered.get(name), after.get(name), name + ": the value every node learned");
            }
        } finally {
            second.getLifecycleService().terminate();
        }
    }

    @Test
    void should_read_only_the_generations_that_changed_since_a_time() {
        store.bump(List.of("tag:early"), Duration.ofHours(1));
        long between = System.currentTimeMillis() + 1;
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> System.currentTimeMillis() > between);
        store.bump(List.of("tag:late"), Duration.ofHours(1));
        Map<String, Long> changed = store.generations(between);
        assertTrue(changed.containsKey("tag:late"), changed.toString());
        assertFalse(changed.containsKey("tag:early"), "filtered where they live: " + changed);
        assertTrue(store.generations(0).containsKey("tag:early"));
    }

    @Test
    void should_bump_url_buckets_in_one_call_per_partition_and_read_back_what_changed() {
        long h1 = UrlGenerations.hash("url:t /one");
        long h2 = UrlGenerations.hash("url:t /two");
        int b1 = UrlGenerations.bucket(h1);
        int b2 = UrlGenerations.bucket(h2);
        long before = System.currentTimeMillis();
        Map<Integer, long[]> changes = store.bumpUrls(Map.of(b1, new long[] {h1}, b2, new long[] {h2}),
            java.util.Set.of(), Duration.ofHours(1));
        assertEquals(java.util.Set.of(b1, b2), changes.keySet());
        assertTrue(UrlGenerations.generationIn(changes.get(b1), h1) >= before);
        UrlGenerations node = new UrlGenerations();
        store.urlGenerations(0).forEach((b, change) -> node.apply(b, change, System.currentTimeMillis(), 3_600_000));
        assertEquals(UrlGenerations.generationIn(changes.get(b1), h1), node.get(h1), "a full read gives the same values");
        assertEquals(UrlGenerations.generationIn(changes.get(b2), h2), node.get(h2));
        assertTrue(store.urlGenerations(System.currentTimeMillis() + 60_000).isEmpty(), "nothing changed since");
        Map<Integer, long[]> whole = store.bumpUrls(Map.of(), java.util.Set.of(b1), Duration.ofHours(1));
        assertTrue(UrlGenerations.generationIn(whole.get(b1), h1) > UrlGenerations.generationIn(changes.get(b1), h1),
            "a whole bucket rises above its URLs");
    }

    // --- the byte bound (cache.maxBytes): ByteBound beside Hazelcast's entry bound ---

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HazelcastCacheStoreTest.class);
    private static final long MIB = 1L << 20;

    @Test
    void should_keep_owned_bytes_within_max_bytes_and_count_the_evictions_when_filled_past_it() {
        String map = "bytes.v1";
        long maxBytes = 4 * MIB;
        store.prepare(map, 100_000, maxBytes);
        int written = 400;
        long start = System.nanoTime();
        for (int i = 0; i < written; i++) {
            store.put(map, "k" + i, value(i, (10 + (i * 7) % 41) * 1024), 600_000); // 10-50 KiB, ~12 MiB in all
        }
        List<String> timeline = new java.util.concurrent.CopyOnWriteArrayList<>();
        Awaitility.await("owned bytes back within the bound").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
            .until(() -> {
                // every write landed (held or evicted) before the bytes are read, not after
                boolean landed = store.entries(map) + store.localRemovals(map)[1] == written;
                long owned = ownedBytes(hazelcast, map);
                timeline.add((System.nanoTime() - start) / 1_000_000 + "ms=" + owned);
                return landed && owned <= maxBytes;
            });
        // it stays there, and was not emptied to get there: a pass evicts to 15/16 of the budget
        Awaitility.await("settled").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
            .until(() -> {
                long owned = ownedBytes(hazelcast, map);
                timeline.add((System.nanoTime() - start) / 1_000_000 + "ms=" + owned);
                return owned <= maxBytes && owned >= maxBytes * 2 / 3;
            });
        LOG.info("byte bound {} B, owned bytes over time: {}", maxBytes, timeline);
        long[] removed = store.localRemovals(map);
        assertTrue(removed[1] > 0, "evictions for bytes are counted: " + java.util.Arrays.toString(removed));
        assertEquals(written, store.entries(map) + removed[1], "every entry not held was evicted, and counted once");
        assertEquals(0, removed[0], "none expired");
        store.destroy(map);
    }

    @Test
    void should_evict_the_least_recently_read_entries_first_when_over_max_bytes() throws Exception {
        // 6,000 entries: a pass places its cut from a sample of about 512 of them
        String map = "bytes-lru.v1";
        long maxBytes = 8 * MIB;
        int size = 2 * 1024;
        store.prepare(map, 100_000, maxBytes);
        IMap<String, byte[]> raw = hazelcast.getMap(HazelcastCacheStore.PREFIX + map);
        for (int i = 0; i < 3000; i++) {
            raw.set("old" + i, value(i, size)); // ~6.4 MB with Hazelcast's overhead: within the bound
        }
        long coldest = java.util.stream.IntStream.range(0, 3000)
            .mapToLong(i -> raw.getEntryView("old" + i).getLastAccessTime()).max().orElseThrow();
        List<String> hot = java.util.stream.IntStream.range(0, 300).mapToObj(i -> "old" + i).toList();
        // Hazelcast keeps access times to the second: read the hot ones until theirs is later
        Awaitility.await("hot entries read after the cold ones were last used").atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(200)).until(() -> {
                for (String key : hot) {
                    assertFalse(store.get(map, key).toCompletableFuture().get(10, TimeUnit.SECONDS) == null, key);
                }
                return hot.stream().allMatch(key -> raw.getEntryView(key).getLastAccessTime() > coldest);
            });
        for (int i = 0; i < 3000; i++) {
            store.put(map, "new" + i, value(i, size), 600_000); // ~12.8 MB in all: over the bound
        }
        long start = System.nanoTime();
        List<String> timeline = new java.util.concurrent.CopyOnWriteArrayList<>();
        Awaitility.await("back within the bound").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
            .until(() -> {
                boolean landed = store.entries(map) + store.localRemovals(map)[1] == 6000;
                long owned = ownedBytes(hazelcast, map);
                timeline.add((System.nanoTime() - start) / 1_000_000 + "ms=" + owned);
                return landed && owned <= maxBytes;
            });
        LOG.info("byte bound {} B, 6,000 entries, owned bytes over time: {}", maxBytes, timeline);
        for (String key : hot) {
            assertTrue(raw.containsKey(key), "a recently read entry stays: " + key);
        }
        for (int i = 0; i < 3000; i++) {
            assertTrue(raw.containsKey("new" + i), "a recently written entry stays: new" + i);
        }
        long coldGone = java.util.stream.IntStream.range(300, 3000).filter(i -> !raw.containsKey("old" + i)).count();
        assertTrue(coldGone > 1000, "the cold ones went: " + coldGone);
        assertEquals(coldGone, store.localRemovals(map)[1], "only cold ones went, each counted");
        store.destroy(map);
    }

    @Test
    void should_keep_the_entry_bound_when_the_byte_bound_is_far() {
        String map = "bytes-entries.v1";
        store.prepare(map, 1000, 1L << 30);
        for (int i = 0; i < 3000; i++) {
            store.put(map, "e" + i, value(i, 100), 600_000);
        }
        Awaitility.await("written").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
            .until(() -> store.entries(map) + store.localRemovals(map)[1] == 3000);
        assertEquals(3000, store.entries(map) + store.localRemovals(map)[1], "and nothing evicted since");
        assertTrue(store.entries(map) <= 1000, "entries: " + store.entries(map));
        assertTrue(store.entries(map) > 500, "entries: " + store.entries(map));
        assertEquals(hazelcast.getMap(HazelcastCacheStore.PREFIX + map).getLocalMapStats().getEvictionCount(),
            store.localRemovals(map)[1], "Hazelcast evicted for entries, nothing was evicted for bytes");
        store.destroy(map);
    }

    @Test
    void should_split_max_bytes_over_the_members_and_bound_each_when_only_one_node_prepared() {
        HazelcastInstance second = Hazelcast.newHazelcastInstance(config());
        HazelcastCacheStore secondStore = new HazelcastCacheStore(second, true); // never prepares the map
        String map = "bytes-two.v1";
        long maxBytes = 4 * MIB;
        try {
            Awaitility.await("partitions settled").atMost(Duration.ofSeconds(30))
                .until(() -> hazelcast.getCluster().getMembers().size() == 2 && hazelcast.getPartitionService().isClusterSafe());
            store.prepare(map, 100_000, maxBytes);
            for (int i = 0; i < 400; i++) {
                store.put(map, "k" + i, value(i, (10 + (i * 7) % 41) * 1024), 600_000);
            }
            List<String> timeline = new java.util.concurrent.CopyOnWriteArrayList<>();
            Awaitility.await("each member within half the bound").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    boolean landed = store.entries(map) + store.localRemovals(map)[1] + secondStore.localRemovals(map)[1] == 400;
                    long one = ownedBytes(hazelcast, map);
                    long two = ownedBytes(second, map);
                    timeline.add(one + "+" + two);
                    return landed && one <= maxBytes / 2 && two <= maxBytes / 2;
                });
            LOG.info("byte bound {} B over two members, owned bytes over time: {}", maxBytes, timeline);
            assertTrue(secondStore.localRemovals(map)[1] > 0, "the member that never prepared the map bounded it too");
            assertTrue(store.localRemovals(map)[1] > 0);
            store.destroy(map);
        } finally {
            secondStore.close();
            second.shutdown();
        }
    }

    @Test
    void should_stop_bounding_a_map_when_it_is_destroyed() {
        String map = "bytes-gone.v1";
        store.prepare(map, 100_000, MIB);
        store.put(map, "k", value(0, 1024), 600_000);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.entries(map) == 1);
        assertTrue(hazelcast.getReplicatedMap(ByteBound.BOUNDS).containsKey(map));
        store.destroy(map);
        assertFalse(hazelcast.getReplicatedMap(ByteBound.BOUNDS).containsKey(map), "the bound is dropped cluster-wide");
        String name = HazelcastCacheStore.PREFIX + map;
        Awaitility.await("not brought back by a pass").during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5))
            .until(() -> hazelcast.getDistributedObjects().stream().noneMatch(o -> o.getName().equals(name)));
    }

    private static long ownedBytes(HazelcastInstance member, String map) {
        return member.getMap(HazelcastCacheStore.PREFIX + map).getLocalMapStats().getOwnedEntryMemoryCost();
    }

    private static byte[] value(int seed, int size) {
        byte[] v = new byte[size];
        new java.util.Random(seed).nextBytes(v);
        return v;
    }

    private static CachedResponse entry(String tag, long generation) {
        return new CachedResponse(200, List.of(Map.entry("Content-Type", "text/plain")), tag.getBytes(), 1000, 1000, 0,
            60_000, 0, false, List.of(), Map.of(tag, generation), 0);
    }
}
