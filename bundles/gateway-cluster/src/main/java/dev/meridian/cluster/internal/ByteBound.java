package dev.meridian.cluster.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.LocalMapStats;
import com.hazelcast.map.impl.record.Record;
import com.hazelcast.partition.Partition;
import com.hazelcast.projection.Projection;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import com.hazelcast.query.impl.QueryableEntry;
import com.hazelcast.replicatedmap.ReplicatedMap;

/**
 * The byte bound of the cache's maps ({@code cache.maxBytes}), beside the entry bound that
 * Hazelcast enforces itself.
 *
 * <p><b>Why this design.</b> Hazelcast takes one max-size policy per map. The entry bound stays
 * Hazelcast's ({@code PER_NODE}, LRU, checked on every write where it lands, its evictions in
 * the map's statistics). Its byte policy ({@code USED_HEAP_SIZE}) would instead be fixed when the
 * map is first configured, in whole megabytes per member, and counts the backup copies a member
 * holds, so it could not follow the member count nor mean "bytes of cached data". So bytes are
 * enforced here, by every member on the entries it owns: a member's budget is
 * {@code maxBytes / data members now}, so the members' primary copies together stay within
 * {@code maxBytes} (the one backup holds as much again, elsewhere).
 *
 * <p><b>How.</b> One thread of the store's, every second: for each bounded map whose owned bytes
 * ({@link LocalMapStats#getOwnedEntryMemoryCost()}, which Hazelcast keeps up to date on every
 * write, so reading it is cheap) exceed the budget, a pass
 * <ol>
 * <li>samples about {@link Limits#sample()} of the owned entries where they live, projecting
 *     each to its last access time and cost only (the value is neither deserialised nor copied);
 * <li>finds from that sample, weighting each by its bytes, the access time before which the
 *     excess down to {@link #LOW_WATER 15/16} of the budget lies ({@link #cutoff});
 * <li>asks for the owned keys last used before it (a predicate on the record, no value read) and
 *     evicts them with {@link IMap#evict}, counting each in {@link #evictions}, until the owned
 *     bytes (read again every 1/64 of the victims) are down to the target.
 * </ol>
 * Entries used in the cut's very second are taken at random in the share the excess needs
 * (Hazelcast keeps access times to the second). A member under budget only reads its statistics.
 * The last access time comes from {@link QueryableEntry#getRecord()}, which Hazelcast 5 sets on
 * every entry a partition scan visits; the map's LRU eviction config makes the record keep it.
 * Without a record (another Hazelcast, an index) every entry reads as equally old and the bound
 * still holds, evicting at random; {@code HazelcastCacheStoreTest} fails then.
 *
 * <p><b>What "approximate" means.</b> Bytes are Hazelcast's estimate of the primary copies
 * (key, value and about 130 bytes of record and overhead each). Between passes a member goes over
 * its budget by what is written to it until the next pass (about a second); a pass brings it back
 * to 15/16 of the budget (less by at most 1/64 of what it evicted: it stops on the target), or
 * leaves it a few percent above that when its cut, placed from a sample and random among entries
 * last used in the same second, held too little; the next pass takes the rest if that is still
 * over the budget. So a member written less than 1/16 of its budget
 * a second stays within it; one written faster peaks at about its budget's 15/16 plus a second of
 * writes. A pass evicts at most {@link Limits#maxEvictions()} entries for at most
 * {@link Limits#maxPass()}; a larger excess takes more passes. After a member joins or leaves,
 * budgets follow at the next pass. Least recently used is to the second: an entry read after the
 * cut's second is never taken for bytes.
 *
 * <p>Bounds are kept in a replicated map ({@code meridian.cachemeta.bytes}: every member reads
 * its own copy), so a member that never served the API enforces them too, and a joining member
 * learns them. A client node records bounds but enforces nothing (it owns no entries).
 */
final class ByteBound implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ByteBound.class);
    static final String BOUNDS = "meridian.cachemeta.bytes";
    private static final String MAP_SERVICE = "hz:impl:mapService";
    /** A pass evicts down to this share of the budget, so it need not run again at once. */
    static final double LOW_WATER = 15.0 / 16;

    /**
     * Work limits.
     *
     * @param period time between the end of a pass and the next
     * @param sample about how many owned entries a pass samples to place its cut
     * @param maxEvictions entries one pass evicts at most, over all maps
     * @param maxPass time one pass spends evicting at most (finding what to evict comes on top:
     *     two scans of the owned entries' records, values untouched)
     */
    record Limits(Duration period, int sample, int maxEvictions, Duration maxPass) {
        static final Limits DEFAULT = new Limits(Duration.ofSeconds(1), 512, 10_000, Duration.ofMillis(250));
    }

    /**
     * Where a pass cuts: entries last used before {@code accessTime} go, and of those last used
     * at exactly that time, a random {@code share}.
     */
    record Cutoff(long accessTime, double share) {
    }

    private final HazelcastInstance hazelcast;
    private final String prefix;
    private final Limits limits;
    private final ReplicatedMap<String, Long> bounds;
    private final ConcurrentMap<String, AtomicLong> evicted = new ConcurrentHashMap<>();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private volatile Object[] partitionKeys;

    ByteBound(HazelcastInstance hazelcast, String prefix, boolean member, Limits limits) {
        this.hazelcast = hazelcast;
        this.prefix = prefix;
        this.limits = limits;
        this.bounds = hazelcast.getReplicatedMap(BOUNDS);
        if (member) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "meridian-cache-bytes");
                t.setDaemon(true);
                return t;
            });
            long period = limits.period().toMillis();
            timer.scheduleWithFixedDelay(this::pass, period, period, TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    /**
     * Bounds a map to about {@code maxBytes} bytes of primary copies cluster-wide; a map keeps
     * its first bound. Zero or less: no byte bound. A cluster round trip the first time.
     */
    void bound(String map, long maxBytes) {
        if (maxBytes > 0 && !bounds.containsKey(map)) {
            bounds.putIfAbsent(map, maxBytes);
        }
    }

    /** Stops bounding a map, cluster-wide (it is being destroyed), and forgets its count. */
    void forget(String map) {
        bounds.remove(map);
        evicted.remove(map);
    }

    /** Entries of the map this member evicted for bytes since it started. */
    long evictions(String map) {
        AtomicLong n = evicted.get(map);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** One pass over every bounded map; throws no exception (a scheduled task that throws is not run again). */
    private void pass() {
        try {
            Map<String, Long> bounded = new HashMap<>(bounds);
            Member me = hazelcast.getCluster().getLocalMember();
            if (bounded.isEmpty() || me.isLiteMember()) {
                return;
            }
            long dataMembers = Math.max(1, hazelcast.getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).count());
            Set<String> existing = existingMaps();
            int left = limits.maxEvictions();
            long leftNanos = limits.maxPass().toNanos();
            for (Map.Entry<String, Long> b : bounded.entrySet()) {
                // a map destroyed elsewhere is not brought back by reading its statistics
                if (!existing.contains(prefix + b.getKey())) {
                    continue;
                }
                try {
                    Spent spent = enforce(b.getKey(), b.getValue() / dataMembers, left, leftNanos, me);
                    left -= spent.evictions();
                    leftNanos -= spent.nanos();
                    failing.remove(b.getKey());
                } catch (RuntimeException e) {
                    if (failing.add(b.getKey())) {
                        LOG.warn("cache map {}: byte bound not enforced in this pass: {}", b.getKey(), e.toString());
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("cache byte bound pass failed: {}", e.toString());
        }
    }

    private Set<String> existingMaps() {
        Set<String> names = new HashSet<>();
        for (DistributedObject o : hazelcast.getDistributedObjects()) {
            if (MAP_SERVICE.equals(o.getServiceName()) && o.getName().startsWith(prefix)) {
                names.add(o.getName());
            }
        }
        return names;
    }

    /** What evicting in one map took: evictions tried, time spent on them. */
    private record Spent(int evictions, long nanos) {
        static final Spent NOTHING = new Spent(0, 0);
    }

    /**
     * Brings one map within its budget on this member, trying at most {@code allowed} evictions
     * and evicting for at most {@code allowedNanos} (finding the victims is not counted: it is
     * bounded by the entries the member owns, and must not eat the time to evict them).
     */
    private Spent enforce(String name, long budget, int allowed, long allowedNanos, Member me) {
        long started = System.nanoTime();
        IMap<String, byte[]> map = hazelcast.getMap(prefix + name);
        LocalMapStats stats = map.getLocalMapStats();
        long owned = stats.getOwnedEntryMemoryCost();
        long count = stats.getOwnedEntryCount();
        if (owned <= budget || count == 0 || allowed <= 0 || allowedNanos <= 0) {
            return Spent.NOTHING;
        }
        Set<Object> mine = ownedPartitionKeys(me);
        if (mine.isEmpty()) {
            return Spent.NOTHING;
        }
        long target = (long) (budget * LOW_WATER);
        double excess = (double) (owned - target) / owned;
        double p = Math.min(1.0, (double) limits.sample() / count);
        Collection<long[]> sample = map.project(new AccessAndCost(), Predicates.multiPartitionPredicate(mine, new Sample(p)));
        Optional<Cutoff> cut = cutoff(sample, excess, Math.max(1.0, allowed * p));
        if (cut.isEmpty()) {
            return Spent.NOTHING;
        }
        Set<String> victims = map.localKeySet(new LeastRecent(cut.get().accessTime(), cut.get().share()));
        long evicting = System.nanoTime();
        long deadline = evicting + allowedNanos;
        // the cut is an estimate: stop once down to the target (checked some 64 times over the victims)
        int checkEvery = Math.max(1, victims.size() / 64);
        int tried = 0;
        long gone = 0;
        for (String key : victims) {
            if (tried >= allowed || System.nanoTime() - deadline > 0) {
                break;
            }
            if (tried > 0 && tried % checkEvery == 0 && map.getLocalMapStats().getOwnedEntryMemoryCost() <= target) {
                break;
            }
            tried++;
            if (map.evict(key)) {
                gone++;
            }
        }
        evicted.computeIfAbsent(name, n -> new AtomicLong()).addAndGet(gone);
        LOG.debug("cache map {}: {} owned bytes ({} entries) over a budget of {}: {} sampled, {} evicted in {} ms", name,
            owned, count, budget, sample.size(), gone, (System.nanoTime() - started) / 1_000_000);
        return new Spent(tried, System.nanoTime() - evicting);
    }

    /** One key in each partition this member owns now (a partition predicate is addressed by keys). */
    private Set<Object> ownedPartitionKeys(Member me) {
        Object[] byPartition = partitionKeys;
        com.hazelcast.partition.PartitionService partitions = hazelcast.getPartitionService();
        if (byPartition == null) {
            int count = partitions.getPartitions().size();
            byPartition = new Object[count];
            int found = 0;
            for (int i = 0; found < count && i < count * 1000; i++) {
                String key = "b" + i;
                int id = partitions.getPartition(key).getPartitionId();
                if (byPartition[id] == null) {
                    byPartition[id] = key;
                    found++;
                }
            }
            partitionKeys = byPartition;
        }
        Set<Object> mine = new HashSet<>();
        for (Partition p : partitions.getPartitions()) {
            Member owner = p.getOwner();
            Object key = byPartition[p.getPartitionId()];
            if (owner != null && owner.getUuid().equals(me.getUuid()) && key != null) {
                mine.add(key);
            }
        }
        return mine;
    }

    /**
     * The cut that removes about {@code excess} (a share, 0 to 1) of the bytes a sample of
     * {@code {lastAccessTime, cost}} pairs stands for, oldest first, taking at most
     * {@code maxSampled} of the sample's entries. Empty when there is nothing to take.
     */
    static Optional<Cutoff> cutoff(Collection<long[]> sample, double excess, double maxSampled) {
        if (sample.isEmpty() || excess <= 0 || maxSampled <= 0) {
            return Optional.empty();
        }
        List<long[]> byAge = new ArrayList<>(sample);
        byAge.sort(Comparator.comparingLong(s -> s[0]));
        double total = 0;
        for (long[] s : byAge) {
            total += Math.max(1, s[1]);
        }
        double need = Math.min(1.0, excess) * total;
        double taken = 0;
        double takenCount = 0;
        int i = 0;
        while (i < byAge.size()) {
            long time = byAge.get(i)[0];
            double weight = 0;
            int count = 0;
            for (; i < byAge.size() && byAge.get(i)[0] == time; i++) {
                weight += Math.max(1, byAge.get(i)[1]);
                count++;
            }
            if (taken + weight >= need || takenCount + count >= maxSampled || i == byAge.size()) {
                double share = Math.min(1.0, Math.min((need - taken) / weight, (maxSampled - takenCount) / count));
                return Optional.of(new Cutoff(time, Math.max(0.0, share)));
            }
            taken += weight;
            takenCount += count;
        }
        return Optional.empty(); // not reached: the last group returns
    }

    /** The last access time Hazelcast keeps for an entry a scan visits; -1 when it does not say. */
    private static long lastAccess(Map.Entry<?, ?> entry) {
        Record<?> r = entry instanceof QueryableEntry<?, ?> q ? q.getRecord() : null;
        return r == null ? -1 : r.getLastAccessTime();
    }

    /** Each owned entry with probability {@code p}; reads neither key nor value. */
    static final class Sample implements Predicate<String, byte[]> {
        private static final long serialVersionUID = 1L;
        private final double p;

        Sample(double p) {
            this.p = p;
        }

        @Override
        public boolean apply(Map.Entry<String, byte[]> entry) {
            return p >= 1.0 || ThreadLocalRandom.current().nextDouble() < p;
        }
    }

    /** An entry as {@code {lastAccessTime, cost}}, from its record (the value stays serialised). */
    static final class AccessAndCost implements Projection<Map.Entry<String, byte[]>, long[]> {
        private static final long serialVersionUID = 1L;

        @Override
        public long[] transform(Map.Entry<String, byte[]> entry) {
            Record<?> r = entry instanceof QueryableEntry<?, ?> q ? q.getRecord() : null;
            return r == null ? new long[] {-1, 1} : new long[] {r.getLastAccessTime(), r.getCost()};
        }
    }

    /** Entries last used before a cut, and a random share of those used at the cut. */
    static final class LeastRecent implements Predicate<String, byte[]> {
        private static final long serialVersionUID = 1L;
        private final long accessTime;
        private final double share;

        LeastRecent(long accessTime, double share) {
            this.accessTime = accessTime;
            this.share = share;
        }

        @Override
        public boolean apply(Map.Entry<String, byte[]> entry) {
            long t = lastAccess(entry);
            return t < accessTime || (t == accessTime && ThreadLocalRandom.current().nextDouble() < share);
        }
    }
}
