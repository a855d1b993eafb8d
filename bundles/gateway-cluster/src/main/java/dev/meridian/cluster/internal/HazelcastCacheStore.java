package dev.meridian.cluster.internal;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;

import dev.meridian.cache.CacheStore;

/**
 * The shared response cache over Hazelcast: one {@code IMap<String, byte[]>} per API and
 * cache-settings version ({@code meridian.cache.<name>}), one synchronous backup so losing a
 * node loses no entry, LRU-bounded per member in entries (by Hazelcast) and bytes
 * ({@link ByteBound}). Generations are a small map
 * updated by an entry processor (atomic on the key's owner, no lock). Broadcasts run a task on
 * every member through a Hazelcast executor; the task finds this node's handler in the
 * instance's user context, so no static state is needed.
 */
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service",
    attribute = "objectClass:List<String>=dev.meridian.cache.CacheStore") // registered by HazelcastMembership, not DS
final class HazelcastCacheStore implements CacheStore {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastCacheStore.class);
    static final String PREFIX = "meridian.cache.";
    static final String GENERATIONS = "meridian.cachemeta.generations";
    /** URL buckets ({@link dev.meridian.cache.UrlGenerations}): {@code long[]} by bucket. */
    static final String URL_GENERATIONS = "meridian.cachemeta.urls";
    static final String EXECUTOR = "meridian.cachemeta.broadcast";
    private static final String BROADCAST_CONTEXT = "broadcast";
    static final String HANDLER = "meridian.cache.broadcast-handler";

    private final HazelcastInstance hazelcast;
    private final boolean member;
    private final IMap<String, Long> generations;
    private final IMap<Integer, long[]> urlGenerations;
    private final Set<String> configured = ConcurrentHashMap.newKeySet();
    private final ConcurrentMap<String, IMap<String, byte[]>> maps = new ConcurrentHashMap<>();
    private final ByteBound bytes;
    private final ClusterSeal seal;
    /** When a forged entry was last logged (at most one line a minute: a flood of them must not flood the log). */
    private final java.util.concurrent.atomic.AtomicLong forgedLoggedAt = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);

    private final java.util.concurrent.atomic.AtomicLong membershipVersion = new java.util.concurrent.atomic.AtomicLong();

    HazelcastCacheStore(HazelcastInstance hazelcast, boolean member) {
        this(hazelcast, member, ClusterSeal.none());
    }

    /** @param seal seals every stored answer for its map and key, and every broadcast (CONTRACT §9) */
    HazelcastCacheStore(HazelcastInstance hazelcast, boolean member, ClusterSeal seal) {
        this.seal = seal;
        this.hazelcast = hazelcast;
        this.member = member;
        this.generations = hazelcast.getMap(GENERATIONS);
        this.urlGenerations = hazelcast.getMap(URL_GENERATIONS);
        this.bytes = new ByteBound(hazelcast, PREFIX, member, ByteBound.Limits.DEFAULT);
        hazelcast.getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
            @Override
            public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
                membershipVersion.incrementAndGet();
            }

            @Override
            public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
                membershipVersion.incrementAndGet();
            }
        });
        hazelcast.getLifecycleService().addLifecycleListener(event -> {
            switch (event.getState()) {
                case MERGED, CLIENT_CONNECTED, CLIENT_CHANGED_CLUSTER -> membershipVersion.incrementAndGet();
                default -> { }
            }
        });
    }

    @Override
    public long membershipVersion() {
        return membershipVersion.get();
    }

    /** Cluster-wide settings of the cache's maps, added to the member configuration at start. */
    static void configure(com.hazelcast.config.Config c) {
        c.addMapConfig(new MapConfig(GENERATIONS).setBackupCount(1).setAsyncBackupCount(1));
        c.addMapConfig(new MapConfig(URL_GENERATIONS).setBackupCount(1).setAsyncBackupCount(1));
        c.getExecutorConfig(EXECUTOR).setPoolSize(4).setStatisticsEnabled(false);
        if (c.getUserContext() == null || c.getUserContext().isEmpty()) {
            c.setUserContext(new ConcurrentHashMap<>());
        }
    }

    private IMap<String, byte[]> map(String name) {
        IMap<String, byte[]> m = maps.get(name);
        return m != null ? m : maps.computeIfAbsent(name, n -> hazelcast.getMap(PREFIX + n));
    }

    /**
     * Continues a lookup answered by the map on this pool rather than Hazelcast's default: the
     * common ForkJoinPool, which requests must not share with whatever else runs there, or a new
     * thread per callback when its parallelism is 1, as on 2 cores without {@code bin/setenv}'s
     * {@code -Djava.util.concurrent.ForkJoinPool.common.parallelism=4} (measured then: 230
     * misses/s per node; ~375-410 µs of CPU per asynchronous operation against 12-25 µs with the
     * property). What runs here is the request's non-blocking rest.
     */
    private final java.util.concurrent.ExecutorService callbacks = java.util.concurrent.Executors.newFixedThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "meridian-cache-io");
            t.setDaemon(true);
            return t;
        });

    @Override
    public CompletionStage<byte[]> get(String map, String key) {
        java.util.concurrent.CompletableFuture<byte[]> out = new java.util.concurrent.CompletableFuture<>();
        map(map).getAsync(key).whenCompleteAsync((value, failure) -> {
            if (failure != null) {
                out.completeExceptionally(failure);
            } else {
                out.complete(value == null ? null : opened(map, key, value));
            }
        }, callbacks);
        return out;
    }

    /** Where an answer's seal binds it: its map and key. */
    private static String context(String map, String key) {
        return "cache:" + map + "\0" + key;
    }

    /** The stored answer without its seal, or null (a miss) when this cluster's secret did not seal it there. */
    private byte[] opened(String map, String key, byte[] stored) {
        try {
            return seal.open(context(map, key), stored);
        } catch (ClusterSeal.Forged e) {
            long now = System.nanoTime();
            long last = forgedLoggedAt.get();
            if ((last == Long.MIN_VALUE || now - last > 60_000_000_000L) && forgedLoggedAt.compareAndSet(last, now)) {
                LOG.warn("a cache entry of {} is refused and treated as a miss: {}; a process with another"
                    + " MERIDIAN_CLUSTER_SECRET, or none, wrote it (logged at most once a minute)", map, e.getMessage());
            }
            return null;
        }
    }

    void close() {
        bytes.close();
        callbacks.shutdown();
    }

    @Override
    public CompletionStage<Void> put(String map, String key, byte[] value, long ttlMillis) {
        return map(map).setAsync(key, seal.seal(context(map, key), value), Math.max(1, ttlMillis), TimeUnit.MILLISECONDS)
            .exceptionally(failure -> null); // a lost write is a later miss
    }

    /**
     * Both bounds: entries by Hazelcast ({@link #bound}), bytes by {@link ByteBound} on every
     * member (recorded cluster-wide, so members that never serve the API enforce it too).
     */
    @Override
    public void prepare(String map, long maxEntries, long maxBytes) {
        if (!configured.contains(map)) {
            bound(map, maxEntries);
        }
        bytes.bound(map, maxBytes);
    }

    /**
     * Adds the map's entry bound to the cluster's configuration before its first write. The
     * bound is per member (Hazelcast's {@code PER_NODE}), so {@code maxEntries} is divided by the
     * members there are now: approximate, as CONTRACT §6 says. A later, different
     * {@code maxEntries} for the same settings version keeps the first bound (Hazelcast refuses
     * to change a map's configuration); it applies from the next settings version. The LRU policy
     * also makes each entry's record keep its last access time, which {@link ByteBound} reads.
     */
    private void bound(String map, long maxEntries) {
        if (!member) {
            configured.add(map); // a client cannot add member configuration; members apply the default
            return;
        }
        int members = Math.max(1, hazelcast.getCluster().getMembers().size());
        int perMember = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (maxEntries + members - 1) / members));
        MapConfig config = new MapConfig(PREFIX + map)
            .setBackupCount(1)
            .setStatisticsEnabled(true)
            .setEvictionConfig(new EvictionConfig()
                .setEvictionPolicy(EvictionPolicy.LRU)
                .setMaxSizePolicy(MaxSizePolicy.PER_NODE)
                .setSize(perMember));
        try {
            hazelcast.getConfig().addMapConfig(config);
        } catch (RuntimeException e) {
            LOG.debug("cache map {} keeps its first bound: {}", map, e.getMessage());
        }
        configured.add(map);
    }

    @Override
    public void touch(String map, String key) {
        IMap<String, byte[]> m = map(map);
        // containsKey updates the entry's last access time where it lives and returns no value
        callbacks.execute(() -> {
            try {
                m.containsKey(key);
            } catch (RuntimeException e) {
                LOG.debug("touching a cache entry of {} failed: {}", map, e.toString());
            }
        });
    }

    @Override
    public void remove(String map, String key, byte[] expected) {
        IMap<String, byte[]> m = map(map);
        // conditional on the bytes (compared in serialized form where the entry lives); off the caller's thread
        callbacks.execute(() -> {
            try {
                m.remove(key, seal.seal(context(map, key), expected)); // the seal is deterministic: the stored bytes again
            } catch (RuntimeException e) {
                LOG.debug("removing a refused cache entry of {} failed: {}", map, e.toString());
            }
        });
    }

    @Override
    public void remove(String map, String key) {
        map(map).deleteAsync(key);
    }

    /**
     * In small steps, each followed by a rest proportional to its round trip. Measured
     * ({@code bench/invalidate.sh}, a million entries, three nodes on 2 cores): the earlier
     * {@code removeAll} of a whole partition (about 3,700 entries) held one partition thread of
     * the owner, then of the backup, for tens of milliseconds (every operation queued behind it
     * waited that long), copied every value it looked at, and p99 of other traffic was
     * 1.45-1.78x steady however long the rests between partitions were. This way the purge
     * window's p99 is 0.93-1.15x steady once the purge runs; its pace is {@link PurgePace#DEFAULT}
     * ({@code bench/README.md}).
     *
     * <p>Per partition: one scan that only reads ({@link Covered} on the stored bytes, the keys
     * it matches come back), then those keys {@link PurgePace#slice()} at a time to
     * {@link RemoveCovered}, which checks each entry again where it lives (an entry stored since
     * the scan carries the new generations and stays) and removes it; its backup does the same
     * on the backup replica. A slice waits for the previous one, so the purge keeps at most one
     * partition thread of the cluster busy, and rests {@link PurgePace#rest()} times as long as
     * the slice took: a slice that took long because the partition threads were busy with
     * traffic is followed by a longer rest.
     */
    @Override
    public void purge(String map, dev.meridian.cache.Invalidated raised) {
        purge(map, raised, PurgePace.DEFAULT, System.nanoTime());
    }

    /**
     * The gentle first seconds ({@link PurgePace#gentleMillis}) count from {@code startedNanos}: an
     * invalidation by tag purges every cached API's map one after the other, and each map used to
     * start its own (32x rests for 30 s): a map with nothing covered took 10-30 s of rests, so
     * fifty small cached APIs would have rested minutes before the map that mattered.
     */
    @Override
    public void purge(String map, dev.meridian.cache.Invalidated raised, long startedNanos) {
        purge(map, raised, PurgePace.DEFAULT, startedNanos);
    }

    /** {@link #purge(String, dev.meridian.cache.Invalidated)} at a given pace; answers what it did. */
    PurgeReport purge(String map, dev.meridian.cache.Invalidated raised, PurgePace pace) {
        return purge(map, raised, pace, System.nanoTime());
    }

    /** The purge, at {@code pace}, its gentle period counted from {@code startedNanos}; logs what it did. */
    private PurgeReport purge(String map, dev.meridian.cache.Invalidated raised, PurgePace pace, long startedNanos) {
        IMap<String, byte[]> m = map(map);
        Covered covered = new Covered(raised.apiGeneration(), new HashMap<>(raised.tags()), new HashMap<>(raised.urls()));
        RemoveCovered remove = new RemoveCovered(covered);
        PurgeClock clock = new PurgeClock(pace, startedNanos);
        long matched = 0;
        int slices = 0;
        try {
            for (Object partitionKey : partitionKeys()) {
                long start = System.nanoTime();
                Set<String> keys = m.keySet(com.hazelcast.query.Predicates.partitionPredicate(partitionKey, covered));
                clock.scanned(System.nanoTime() - start);
                matched += keys.size();
                List<String> all = new ArrayList<>(keys);
                for (int from = 0; from < all.size(); from += pace.slice()) {
                    java.util.HashSet<String> slice = new java.util.HashSet<>(all.subList(from, Math.min(all.size(), from + pace.slice())));
                    long sliceStart = System.nanoTime();
                    m.submitToKeys(slice, remove).toCompletableFuture().get(30, TimeUnit.SECONDS);
                    clock.sliced(System.nanoTime() - sliceStart);
                    slices++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("purging cache map " + map + " failed: " + e, e);
        }
        PurgeReport report = clock.report(matched, slices);
        LOG.info("cache map {}: purge of {} covered entries in {} slices: {}", map, report.matched(), report.slices(), report);
        return report;
    }

    /**
     * How a purge paces itself.
     *
     * @param slice keys removed in one operation at most (one partition thread holds them all)
     * @param rest how many times its own time the purge rests after each scan and slice
     * @param gentleMillis for this long from its start, the purge rests four times as long: its
     *     first seconds share the box with the invalidation's own work on every node and run code
     *     not yet compiled (the worst window of other traffic's p99 was the first in most runs)
     */
    record PurgePace(int slice, double rest, long gentleMillis) {
        /**
         * Measured with {@code bench/invalidate.sh} (a million entries, three nodes, two cores):
         * resting 3x its time, a purge took 60-85 s and other traffic's p99 rose to 1.38-1.85x
         * steady in its first 20 s; resting 8x (16x for 20 s), 200-230 s and 1.29-1.35x; resting
         * 8x (32x for its first 30 s), about 200 s and 1.02x. Nobody waits for the purge (the
         * entries stopped being served when the invalidation answered), so it goes slowly.
         */
        static final PurgePace DEFAULT = new PurgePace(128, 8, 30_000);

        PurgePace(int slice, double rest) {
            this(slice, rest, 0);
        }

        PurgePace {
            if (slice < 1 || rest < 0 || gentleMillis < 0) {
                throw new IllegalArgumentException("slice >= 1, rest >= 0 and gentleMillis >= 0: " + slice + ", " + rest
                    + ", " + gentleMillis);
            }
        }
    }

    /**
     * What a purge did: covered entries found, slices sent, the scans' and the slices' longest
     * and total round trips, time resting.
     */
    record PurgeReport(long matched, int slices, long longestScanMicros, long scanMillis, long longestSliceMicros,
        long sliceMillis, long restedMillis) {
        @Override
        public String toString() {
            return "scans " + scanMillis + " ms (longest " + longestScanMicros / 1000.0 + " ms), slices " + sliceMillis
                + " ms (longest " + longestSliceMicros / 1000.0 + " ms), resting " + restedMillis + " ms";
        }
    }

    /** Times a purge's steps and rests after each; one purge, one thread. */
    static final class PurgeClock {
        private final PurgePace pace;
        private long longestScan;
        private long longestSlice;
        private long scans;
        private long slices;
        private long rested;

        private final long started;

        /** @param started when the gentle period began ({@link System#nanoTime}) */
        PurgeClock(PurgePace pace, long started) {
            this.pace = pace;
            this.started = started;
        }

        void scanned(long nanos) throws InterruptedException {
            longestScan = Math.max(longestScan, nanos);
            scans += nanos;
            rest(nanos);
        }

        void sliced(long nanos) throws InterruptedException {
            longestSlice = Math.max(longestSlice, nanos);
            slices += nanos;
            rest(nanos);
        }

        /** Whether the purge is still in its gentle period at {@code nowNanos}. */
        boolean gentle(long nowNanos) {
            return nowNanos - started < TimeUnit.MILLISECONDS.toNanos(pace.gentleMillis());
        }

        private void rest(long tookNanos) throws InterruptedException {
            long restNanos = (long) (tookNanos * pace.rest() * (gentle(System.nanoTime()) ? 4 : 1));
            if (restNanos > 0) {
                long start = System.nanoTime();
                TimeUnit.NANOSECONDS.sleep(restNanos);
                rested += System.nanoTime() - start;
            }
        }

        PurgeReport report(long matched, int sliceCount) {
            return new PurgeReport(matched, sliceCount, longestScan / 1000, scans / 1_000_000, longestSlice / 1000,
                slices / 1_000_000, rested / 1_000_000);
        }
    }

    /**
     * Removes the entry if the invalidation still covers it, on the primary and (as its own
     * backup processor) on the backup replica, which holds the same bytes. Answers nothing, so
     * nothing but the keys crosses the network, and reads the value only in place (JFR:
     * {@code setValue(null)} first deserialized the old value, a 1.4 KB copy per removal).
     */
    static final class RemoveCovered implements EntryProcessor<String, byte[], Void>,
        com.hazelcast.nio.serialization.DataSerializable {
        private static final long serialVersionUID = 1L;
        private Covered covered;

        RemoveCovered(Covered covered) {
            this.covered = covered;
        }

        /** For Hazelcast's deserialization, then {@link #readData}. */
        RemoveCovered() {
            this(new Covered());
        }

        @Override
        public void writeData(com.hazelcast.nio.ObjectDataOutput out) throws java.io.IOException {
            covered.writeData(out);
        }

        @Override
        public void readData(com.hazelcast.nio.ObjectDataInput in) throws java.io.IOException {
            covered.readData(in);
        }

        @Override
        public Void process(Map.Entry<String, byte[]> entry) {
            if (covered.apply(entry)) {
                if (entry instanceof com.hazelcast.map.impl.LazyMapEntry<?, ?> stored) {
                    stored.remove(); // what setValue(null) does, without first deserializing (copying) the old value
                } else {
                    entry.setValue(null);
                }
            }
            return null;
        }
    }

    private volatile List<String> partitionKeys;

    /** One key per partition (a partition predicate is addressed by a key that lives there). */
    private List<String> partitionKeys() {
        List<String> keys = partitionKeys;
        if (keys == null) {
            com.hazelcast.partition.PartitionService partitions = hazelcast.getPartitionService();
            int count = partitions.getPartitions().size();
            String[] byPartition = new String[count];
            int found = 0;
            for (int i = 0; found < count && i < count * 1000; i++) {
                String key = "p" + i;
                int id = partitions.getPartition(key).getPartitionId();
                if (byPartition[id] == null) {
                    byPartition[id] = key;
                    found++;
                }
            }
            keys = java.util.Arrays.stream(byPartition).filter(java.util.Objects::nonNull).toList();
            partitionKeys = keys;
        }
        return keys;
    }

    /**
     * Matches entries an invalidation covers; runs on the members that own them, on every entry
     * of a partition, then again on each covered one (primary and backup) before it is removed.
     * Reads the value where Hazelcast keeps it (its serialized form) instead of asking for a
     * copy: the copy was 1.4 KB of garbage per visit.
     */
    static final class Covered implements com.hazelcast.query.Predicate<String, byte[]>,
        com.hazelcast.nio.serialization.DataSerializable {
        private static final long serialVersionUID = 2L;
        private long apiGeneration;
        private HashMap<String, Long> tags;
        private HashMap<Integer, long[]> urls;
        private transient dev.meridian.cache.Invalidated raised;

        Covered(long apiGeneration, HashMap<String, Long> tags, HashMap<Integer, long[]> urls) {
            this.apiGeneration = apiGeneration;
            this.tags = tags;
            this.urls = urls;
        }

        /** For Hazelcast's deserialization, then {@link #readData}. */
        Covered() {
            this(0, new HashMap<>(), new HashMap<>());
        }

        /** Hazelcast's own format rather than Java serialization's: sent with every scan and slice, and every backup. */
        @Override
        public void writeData(com.hazelcast.nio.ObjectDataOutput out) throws java.io.IOException {
            out.writeLong(apiGeneration);
            out.writeInt(tags.size());
            for (Map.Entry<String, Long> t : tags.entrySet()) {
                out.writeString(t.getKey());
                out.writeLong(t.getValue());
            }
            out.writeInt(urls.size());
            for (Map.Entry<Integer, long[]> u : urls.entrySet()) {
                out.writeInt(u.getKey());
                out.writeLongArray(u.getValue());
            }
        }

        @Override
        public void readData(com.hazelcast.nio.ObjectDataInput in) throws java.io.IOException {
            apiGeneration = in.readLong();
            tags = new HashMap<>();
            for (int i = 0, n = in.readInt(); i < n; i++) {
                tags.put(in.readString(), in.readLong());
            }
            urls = new HashMap<>();
            for (int i = 0, n = in.readInt(); i < n; i++) {
                urls.put(in.readInt(), in.readLongArray());
            }
            raised = null;
        }

        @Override
        public boolean apply(Map.Entry<String, byte[]> entry) {
            if (raised == null) {
                raised = new dev.meridian.cache.Invalidated(apiGeneration, tags, urls);
            }
            if (entry instanceof com.hazelcast.query.impl.QueryableEntry<?, ?> stored) {
                com.hazelcast.internal.serialization.Data data = stored.getValueData();
                int at = StoredBytes.offset(data);
                if (at >= 0) {
                    return dev.meridian.cache.CachedResponse.coveredBy(data.toByteArray(), at, raised);
                }
            }
            return dev.meridian.cache.CachedResponse.coveredBy(entry.getValue(), raised);
        }
    }

    /**
     * Where a {@code byte[]} value's own bytes start inside Hazelcast's serialized form of it:
     * an 8-byte header (partition hash, type id {@value #BYTE_ARRAY_TYPE}), the array's length
     * as a big-endian int, then the bytes, to the end. {@code toByteArray()} of a heap
     * {@code Data} is that array itself, not a copy.
     */
    static final class StoredBytes {
        /** Hazelcast's type id of {@code byte[]} ({@code SerializationConstants.CONSTANT_TYPE_BYTE_ARRAY}). */
        static final int BYTE_ARRAY_TYPE = -12;
        static final int OFFSET = 12;

        private StoredBytes() {
        }

        /** The offset of the value's bytes, or -1 when the form is not the expected one (then copy). */
        static int offset(com.hazelcast.internal.serialization.Data data) {
            if (data == null || data.getType() != BYTE_ARRAY_TYPE) {
                return -1;
            }
            byte[] b = data.toByteArray();
            if (b == null || b.length < OFFSET) {
                return -1;
            }
            int length = (b[8] & 0xFF) << 24 | (b[9] & 0xFF) << 16 | (b[10] & 0xFF) << 8 | b[11] & 0xFF;
            return length == b.length - OFFSET ? OFFSET : -1; // little-endian serialization, or another layout: copy
        }
    }

    @Override
    public void destroy(String map) {
        bytes.forget(map);
        IMap<String, byte[]> m = maps.remove(map);
        (m != null ? m : hazelcast.<String, byte[]>getMap(PREFIX + map)).destroy();
        configured.remove(map);
    }

    @Override
    public long entries(String map) {
        return map(map).size();
    }

    @Override
    public long[] localRemovals(String map) {
        if (!member) {
            return new long[] {0, 0};
        }
        com.hazelcast.map.LocalMapStats stats = map(map).getLocalMapStats();
        // Hazelcast counts its own (entry bound) evictions; IMap.evict for bytes is not among them
        return new long[] {stats.getExpirationCount(), stats.getEvictionCount() + bytes.evictions(map)};
    }

    @Override
    public Map<String, Long> generations(long sinceMillis) {
        if (sinceMillis <= 0) {
            return new HashMap<>(generations);
        }
        // filtered on the members that own them: only what changed crosses the network
        return new HashMap<>(generations.entrySet(new NamedSince(sinceMillis)).stream()
            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    }

    @Override
    public Map<Integer, long[]> urlGenerations(long sinceMillis) {
        Map<Integer, long[]> out = new HashMap<>();
        java.util.Collection<Map.Entry<Integer, long[]>> changed = sinceMillis <= 0 ? urlGenerations.entrySet()
            : urlGenerations.entrySet(new UrlsSince(sinceMillis));
        for (Map.Entry<Integer, long[]> e : changed) {
            out.put(e.getKey(), dev.meridian.cache.UrlGenerations.changeOf(e.getValue()));
        }
        return out;
    }

    @Override
    public Map<Integer, long[]> bumpUrls(Map<Integer, long[]> hashes, Set<Integer> whole, Duration retention) {
        Set<Integer> keys = new java.util.HashSet<>(hashes.keySet());
        keys.addAll(whole);
        if (keys.isEmpty()) {
            return Map.of();
        }
        // one operation per partition, each carrying only its own buckets' hashes (executeOnKeys
        // would send every partition the whole batch)
        long now = System.currentTimeMillis();
        Map<Integer, List<Integer>> byPartition = new HashMap<>();
        com.hazelcast.partition.PartitionService partitions = hazelcast.getPartitionService();
        for (Integer key : keys) {
            byPartition.computeIfAbsent(partitions.getPartition(key).getPartitionId(), p -> new ArrayList<>()).add(key);
        }
        List<CompletionStage<Map<Integer, long[]>>> calls = new ArrayList<>();
        for (List<Integer> group : byPartition.values()) {
            HashMap<Integer, long[]> mine = new HashMap<>();
            java.util.HashSet<Integer> wholeHere = new java.util.HashSet<>();
            for (Integer key : group) {
                long[] h = hashes.get(key);
                if (h != null) {
                    mine.put(key, h);
                }
                if (whole.contains(key)) {
                    wholeHere.add(key);
                }
            }
            calls.add(urlGenerations.submitToKeys(new java.util.HashSet<>(group), new UrlBump(mine, wholeHere, now,
                retention.toMillis())));
        }
        Map<Integer, long[]> out = new HashMap<>();
        try {
            for (CompletionStage<Map<Integer, long[]>> call : calls) {
                out.putAll(call.toCompletableFuture().get(30, TimeUnit.SECONDS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while invalidating URLs", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("invalidating URLs failed: " + e, e);
        }
        return out;
    }

    /** Named generations bumped at or after a time: their value is at least the bumping node's clock then. */
    static final class NamedSince implements com.hazelcast.query.Predicate<String, Long> {
        private static final long serialVersionUID = 1L;
        private final long sinceMillis;

        NamedSince(long sinceMillis) {
            this.sinceMillis = sinceMillis;
        }

        @Override
        public boolean apply(Map.Entry<String, Long> entry) {
            Long v = entry.getValue();
            return v != null && v >= sinceMillis;
        }
    }

    /** URL buckets changed at or after a time (the first element of their record). */
    static final class UrlsSince implements com.hazelcast.query.Predicate<Integer, long[]> {
        private static final long serialVersionUID = 1L;
        private final long sinceMillis;

        UrlsSince(long sinceMillis) {
            this.sinceMillis = sinceMillis;
        }

        @Override
        public boolean apply(Map.Entry<Integer, long[]> entry) {
            long[] v = entry.getValue();
            return v != null && v.length > 0 && v[0] >= sinceMillis;
        }
    }

    /**
     * {@link dev.meridian.cache.UrlGenerations#bump} on one bucket's owner, with the caller's
     * clock (deterministic: the backup reaches the same record). The bucket is kept
     * {@code retentionMillis} after its last change; answers what nodes apply.
     */
    static final class UrlBump implements EntryProcessor<Integer, long[], long[]> {
        private static final long serialVersionUID = 1L;
        private final HashMap<Integer, long[]> hashes;
        private final java.util.HashSet<Integer> whole;
        private final long nowMillis;
        private final long retentionMillis;

        UrlBump(HashMap<Integer, long[]> hashes, java.util.HashSet<Integer> whole, long nowMillis, long retentionMillis) {
            this.hashes = hashes;
            this.whole = whole;
            this.nowMillis = nowMillis;
            this.retentionMillis = retentionMillis;
        }

        @Override
        public long[] process(Map.Entry<Integer, long[]> entry) {
            long[] mine = hashes.getOrDefault(entry.getKey(), new long[0]);
            long[][] bumped = dev.meridian.cache.UrlGenerations.bump(entry.getValue(), mine,
                whole.contains(entry.getKey()), nowMillis, retentionMillis);
            if (bumped[0] == null) {
                entry.setValue(null);
            } else {
                ((com.hazelcast.map.ExtendedMapEntry<Integer, long[]>) entry).setValue(bumped[0], retentionMillis,
                    TimeUnit.MILLISECONDS);
            }
            return bumped[1];
        }
    }

    @Override
    public Map<String, Long> bump(java.util.Collection<String> names, Duration retention) {
        if (names.isEmpty()) {
            return Map.of();
        }
        return generations.executeOnKeys(new java.util.HashSet<>(names), new Increment(retention.toMillis(), System.currentTimeMillis()));
    }

    @Override
    public boolean receivesBroadcasts() {
        return member;
    }

    @Override
    @SuppressWarnings("unchecked")
    public AutoCloseable onBroadcast(Function<String, String> handler) {
        ConcurrentMap<String, Object> context = hazelcast.getUserContext();
        // a broadcast that this cluster's secret did not seal (an invalidation from a foreign process) is refused
        Function<String, String> checked = message -> handler.apply(seal.open(BROADCAST_CONTEXT, message));
        context.put(HANDLER, checked);
        return () -> context.remove(HANDLER, checked);
    }

    @Override
    public List<NodeReply> broadcast(String message, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        IExecutorService executor = hazelcast.getExecutorService(EXECUTOR);
        Map<Member, Future<String>> futures = executor.submitToAllMembers(new Broadcast(seal.seal(BROADCAST_CONTEXT, message)));
        Map<Member, Long> answeredAt = new ConcurrentHashMap<>();
        futures.forEach((m, f) -> {
            if (f instanceof CompletionStage<?> stage) {
                stage.whenComplete((r, e) -> answeredAt.put(m, System.nanoTime()));
            }
        });
        List<NodeReply> replies = new ArrayList<>();
        for (Map.Entry<Member, Future<String>> e : futures.entrySet()) {
            String node = String.valueOf(e.getKey().getAttribute(HazelcastMembership.NODE_ATTRIBUTE));
            try {
                String reply = e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                long at = answeredAt.getOrDefault(e.getKey(), System.nanoTime());
                replies.add(new NodeReply(node, (at - start) / 1_000_000, reply, null));
            } catch (TimeoutException ex) {
                replies.add(new NodeReply(node, (System.nanoTime() - start) / 1_000_000, null, "no answer within " + timeout.toMillis() + " ms"));
            } catch (ExecutionException ex) {
                replies.add(new NodeReply(node, (System.nanoTime() - start) / 1_000_000, null, String.valueOf(ex.getCause())));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                replies.add(new NodeReply(node, (System.nanoTime() - start) / 1_000_000, null, "interrupted"));
            }
        }
        return replies;
    }

    /** Runs on every member: hands the message to that node's handler. */
    static final class Broadcast implements java.util.concurrent.Callable<String>, Serializable, HazelcastInstanceAware {
        private static final long serialVersionUID = 1L;
        private final String message;
        private transient HazelcastInstance instance;

        Broadcast(String message) {
            this.message = message;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
            this.instance = hazelcastInstance;
        }

        @Override
        @SuppressWarnings("unchecked")
        public String call() {
            Object handler = instance.getUserContext().get(HANDLER);
            // a node whose cache is not active yet holds nothing to drop; it loads generations when it starts
            return handler == null ? "{}" : ((Function<String, String>) handler).apply(message);
        }
    }

    /** Adds one (a missing value counts as 0); answers the new value. */
    /**
     * Raises a generation to {@link dev.meridian.cache.Generations#next} with the caller's
     * clock (which keeps it above its values before it was forgotten), which the map then keeps
     * {@code retentionMillis}. Deterministic: the backup runs it too and must reach the very
     * value the primary answered (with each replica reading its own clock, a promoted backup
     * held a slightly higher value than every node had learned, and refused their entries).
     */
    static final class Increment implements EntryProcessor<String, Long, Long> {
        private static final long serialVersionUID = 4L;
        private final long retentionMillis;
        private final long nowMillis;

        Increment(long retentionMillis, long nowMillis) {
            this.retentionMillis = retentionMillis;
            this.nowMillis = nowMillis;
        }

        @Override
        public Long process(Map.Entry<String, Long> entry) {
            long next = dev.meridian.cache.Generations.next(entry.getValue(), nowMillis);
            ((com.hazelcast.map.ExtendedMapEntry<String, Long>) entry).setValue(next, retentionMillis, TimeUnit.MILLISECONDS);
            return next;
        }
    }
}
