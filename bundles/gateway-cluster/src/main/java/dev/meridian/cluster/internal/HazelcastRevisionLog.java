package dev.meridian.cluster.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.partition.PartitionService;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;

import dev.meridian.cluster.ClusterUnavailableException;
import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;

/**
 * The {@link RevisionLog} on a Hazelcast member or client: payloads in {@code meridian.revisions}
 * by number, a head hint in {@code meridian.head}.
 *
 * <p>The commit point is {@code revisions.putIfAbsent(N + 1, payload)}: one round trip (with its
 * synchronous backup), no lock. Whoever stores N + 1 first has committed it; the others are told
 * by putIfAbsent's answer and compute again from N + 1. The head key is only a hint for readers
 * (set after each commit without waiting; after a seed, by compare-and-set, never backwards);
 * {@link #latest()} reads it and then looks for newer numbers, so a head that lags is harmless.
 */
final class HazelcastRevisionLog implements RevisionLog, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastRevisionLog.class);
    static final String REVISIONS_MAP = "meridian.revisions";
    static final String HEAD_MAP = "meridian.head";
    static final String HEAD = "head";
    static final String MAJORITY = "meridian-majority";
    /**
     * Revisions kept in the cluster: 500, or fewer when {@code MERIDIAN_REVISIONS_KEEP} says so (each
     * node keeps that many on disk; a revision the cluster dropped is read from a node's disk).
     */
    static final int KEPT = Math.max(1, Math.min(500, dev.meridian.core.Settings.integer("MERIDIAN_REVISIONS_KEEP", 1000)));
    /** How long a commit keeps computing again while other nodes commit first. */
    static final int COMMIT_SECONDS = 15;

    private final HazelcastInstance hazelcast;
    private final int majority;
    private final ClusterSeal seal;
    private final IMap<Long, String> revisions;
    private final IMap<String, Long> head;
    private final List<Consumer<CommittedRevision>> committedListeners = new CopyOnWriteArrayList<>();
    private UUID registration;

    /** @param majority members this node must see to commit (1 for a client, which counts the members it reaches) */
    HazelcastRevisionLog(HazelcastInstance hazelcast, int majority) {
        this(hazelcast, majority, ClusterSeal.none());
    }

    /** @param seal seals each payload for its number, and refuses payloads it did not seal (CONTRACT §9) */
    HazelcastRevisionLog(HazelcastInstance hazelcast, int majority, ClusterSeal seal) {
        this.seal = seal;
        this.hazelcast = hazelcast;
        this.majority = majority;
        this.revisions = hazelcast.getMap(REVISIONS_MAP);
        this.head = hazelcast.getMap(HEAD_MAP);
    }

    /**
     * Revisions: one synchronous and one asynchronous backup; no majority, no write. (A
     * one-member cluster has nothing to protect, and Hazelcast's check reports failure there.)
     */
    static void configure(Config c, int majority) {
        MapConfig revisionsConfig = new MapConfig(REVISIONS_MAP).setBackupCount(1).setAsyncBackupCount(1);
        MapConfig headConfig = new MapConfig(HEAD_MAP).setBackupCount(1).setAsyncBackupCount(1);
        if (majority > 1) {
            c.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(MAJORITY, true, majority));
            revisionsConfig.setSplitBrainProtectionName(MAJORITY);
            headConfig.setSplitBrainProtectionName(MAJORITY);
        }
        c.addMapConfig(revisionsConfig);
        c.addMapConfig(headConfig);
    }

    /**
     * Listens for revisions committed anywhere (one registration per node), and runs the commit's
     * operations once on keys no revision can have, so that the first apply after a boot does not
     * pay for loading them (tens of milliseconds measured).
     */
    void start() {
        registration = revisions.addEntryListener(new Announcer(), true);
        String warm = "warmup:" + hazelcast.getLocalEndpoint().getUuid();
        try {
            head.putIfAbsent(warm, 0L);
            head.getAsync(warm).toCompletableFuture().get(5, TimeUnit.SECONDS);
            head.replace(warm, 0L, 1L);
            head.delete(warm);
            // one key owned by each member there is now: the first commit's putIfAbsent runs on
            // whichever member owns its number, and its backups on the others; with a key of this
            // node's own only, the owner of revision 1 ran it cold (putIfAbsent 82 ms in the first
            // apply after a boot, 4.6 ms median later). The node that joins last warms them all.
            for (long key : warmupKeys(hazelcast.getPartitionService(), hazelcast.getCluster().getMembers())) {
                revisions.putIfAbsent(key, "");
                revisions.get(key);
                revisions.delete(key);
            }
            newest(); // the reads the first commit starts with (the head, revision 1), and lastSeen when there are revisions
        } catch (RuntimeException | ExecutionException | TimeoutException e) {
            LOG.debug("commit path not warmed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * For each of {@code members} that owns a partition, the first key below 0 (never a revision
     * number; the announcer ignores them) that falls into one of its partitions.
     */
    static List<Long> warmupKeys(PartitionService partitions, Set<Member> members) {
        Map<UUID, Long> byOwner = new LinkedHashMap<>();
        // 271 partitions over a handful of members: a few dozen keys find them all; the bound only
        // guards against a member that owns none (still migrating)
        for (long key = -1; key >= -4096 && byOwner.size() < members.size(); key--) {
            Member owner = partitions.getPartition(key).getOwner();
            if (owner != null && members.contains(owner)) {
                byOwner.putIfAbsent(owner.getUuid(), key);
            }
        }
        return List.copyOf(byOwner.values());
    }

    @Override
    public void close() {
        committedListeners.clear();
        if (registration != null) {
            try {
                revisions.removeEntryListener(registration);
            } catch (RuntimeException e) {
                LOG.debug("revision listener not removed: {}", e.toString());
            }
        }
    }

    //
    // The commit point is revisions.putIfAbsent(N + 1, payload): one round trip (with its
    // synchronous backup), no lock. Whoever stores N + 1 first has committed it; the others are
    // told by putIfAbsent's answer and compute again from N + 1. The head key is only a hint for
    // readers (advanced after each commit, compare-and-set, never backwards); latest() reads it
    // and then looks for newer numbers, so a head that lags by a commit is harmless.

    @Override
    public Optional<CommittedRevision> latest() {
        return newest();
    }

    @Override
    public Optional<CommittedRevision> get(long revision) {
        String payload = read(revision);
        return payload == null ? Optional.empty() : Optional.of(new CommittedRevision(revision, payload));
    }

    @Override
    public Optional<CommittedRevision> commit(Function<Optional<CommittedRevision>, Optional<String>> change)
        throws ClusterUnavailableException {
        checkMajority();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(COMMIT_SECONDS);
        try {
            CommittedRevision seen = lastSeen;
            Optional<CommittedRevision> base = seen != null ? Optional.of(seen) : newest();
            while (true) {
                if (System.nanoTime() - deadline > 0) {
                    throw new ClusterUnavailableException("other nodes kept committing first for " + COMMIT_SECONDS
                        + " s; try again");
                }
                long number = base.map(CommittedRevision::revision).orElse(0L) + 1;
                Optional<String> payload;
                try {
                    payload = change.apply(base);
                } catch (RuntimeException refusal) {
                    Optional<CommittedRevision> newer = newerThan(number);
                    if (newer.isEmpty()) {
                        throw refusal; // decided on the newest revision
                    }
                    base = newer;
                    continue;
                }
                if (payload.isEmpty()) {
                    Optional<CommittedRevision> newer = newerThan(number);
                    if (newer.isEmpty()) {
                        return Optional.empty();
                    }
                    base = newer;
                    continue;
                }
                CompletableFuture<Long> headNow = head.getAsync(HEAD).toCompletableFuture();
                String sealed = seal.seal(context(number), payload.get());
                String first;
                try {
                    first = revisions.putIfAbsent(number, sealed);
                } catch (SplitBrainProtectionException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // the answer was lost, not necessarily the write: what the number holds decides
                    first = revisions.get(number);
                    if (first == null) {
                        throw e;
                    }
                    if (first.equals(sealed)) {
                        first = null; // ours: committed
                    }
                }
                if (first != null && opened(number, first) == null) {
                    // the number is held by a value this cluster's secret did not seal: never a
                    // revision of ours, so ours takes its place (replace only that very value)
                    first = revisions.replace(number, first, sealed) ? null : revisions.get(number);
                    if (first != null && opened(number, first) == null) {
                        continue;
                    }
                }
                if (first != null) {
                    // another node committed this number first: compute again on top of it
                    CommittedRevision theirs = new CommittedRevision(number, opened(number, first));
                    remember(theirs);
                    base = Optional.of(newestFrom(theirs));
                    continue;
                }
                Long h = headOrNull(headNow);
                if (h != null && h > number + KEPT / 2) {
                    // the number was free only because it was pruned long ago: this node's idea of
                    // the newest revision was far behind (cut off and back). Undo, start from the head.
                    revisions.remove(number, sealed);
                    LOG.warn("revision {} was computed from a long outdated state (the cluster is at {}); computing again",
                        number, h);
                    base = newest();
                    continue;
                }
                CommittedRevision committed = new CommittedRevision(number, payload.get());
                remember(committed);
                // the hint, fire and forget: two commits racing may leave it one behind, which
                // readers step over (they look for the numbers after it)
                head.setAsync(HEAD, number);
                if (number > KEPT) {
                    revisions.deleteAsync(number - KEPT);
                }
                return Optional.of(committed);
            }
        } catch (SplitBrainProtectionException e) {
            throw new ClusterUnavailableException("no majority of the cluster is reachable: " + e.getMessage());
        }
    }

    /** The newest revision seen here (committed here or announced by the cluster), to skip reading its payload again. */
    private volatile CommittedRevision lastSeen;

    private void remember(CommittedRevision r) {
        CommittedRevision seen = lastSeen;
        if (seen == null || r.revision() > seen.revision()) {
            lastSeen = r;
        }
    }

    /** Empty when no revision numbered {@code next} exists (what this node computed from is the newest); else the newest. */
    private Optional<CommittedRevision> newerThan(long next) {
        String payload = read(next);
        return payload == null ? Optional.empty() : Optional.of(newestFrom(new CommittedRevision(next, payload)));
    }

    /** The cluster's newest: from the head (or what this node saw, if newer), then any numbers after it. */
    private Optional<CommittedRevision> newest() {
        Long h = head.get(HEAD);
        CommittedRevision seen = lastSeen;
        long start = Math.max(h == null ? 0 : h, seen == null ? 0 : seen.revision());
        if (start == 0) {
            String one = read(1L);
            return one == null ? Optional.empty() : Optional.of(newestFrom(new CommittedRevision(1, one)));
        }
        CommittedRevision from = seen != null && seen.revision() == start ? seen : get(start).orElse(null);
        if (from == null) {
            return Optional.empty(); // the head's payload is gone: nothing readable (a caller retries later)
        }
        return Optional.of(newestFrom(from));
    }

    /** {@code from}, or the newest revision that follows it without a gap. */
    private CommittedRevision newestFrom(CommittedRevision from) {
        CommittedRevision newest = from;
        while (true) {
            String next = read(newest.revision() + 1);
            if (next == null) {
                remember(newest);
                return newest;
            }
            newest = new CommittedRevision(newest.revision() + 1, next);
        }
    }

    /** Moves the head hint to {@code number} unless it is already there or beyond (after a seed, which may leave a gap below it). */
    private void advanceHeadNow(long number) {
        try {
            for (int attempt = 0; attempt < 100; attempt++) {
                Long h = head.get(HEAD);
                if (h != null && h >= number) {
                    return;
                }
                if (h == null ? head.putIfAbsent(HEAD, number) == null : head.replace(HEAD, h, number)) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("head not advanced to {}: {}", number, e.toString());
        }
    }

    /**
     * The head read alongside the commit, or null when it cannot be had: the revision is committed
     * already, so a failed check must not report the commit as failed (it is skipped, as when the
     * cluster holds no head yet).
     */
    private static Long headOrNull(CompletableFuture<Long> read) {
        try {
            return read.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("the head could not be read alongside a commit ({}); the outdated-state check is skipped", e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void checkMajority() throws ClusterUnavailableException {
        int size = hazelcast.getCluster().getMembers().size();
        if (size < majority) {
            throw new ClusterUnavailableException("this node reaches " + size + " of the cluster's members, a majority is "
                + majority + "; changes are refused until it reaches more");
        }
    }

    @Override
    public void seed(CommittedRevision revision) {
        try {
            checkMajority();
            Optional<CommittedRevision> newest = newest();
            if (newest.isPresent() && newest.get().revision() >= revision.revision()) {
                return;
            }
            // stored under its own number, not newest + 1: it is a revision that was committed before
            revisions.putIfAbsent(revision.revision(), seal.seal(context(revision.revision()), revision.payload()));
            advanceHeadNow(revision.revision());
            remember(revision);
        } catch (ClusterUnavailableException | RuntimeException e) {
            LOG.warn("revision {} held on disk could not be offered to the cluster: {}", revision.revision(), e.getMessage());
        }
    }

    /**
     * Announces each revision stored in the cluster. Revisions are stored once (putIfAbsent);
     * an update is a commit taking a number over a value this cluster did not seal, which is
     * announced like an addition. Numbers below 1 are the warm-up's.
     */
    private final class Announcer implements EntryAddedListener<Long, String>,
        com.hazelcast.map.listener.EntryUpdatedListener<Long, String> {

        @Override
        public void entryAdded(com.hazelcast.core.EntryEvent<Long, String> e) {
            announce(e);
        }

        @Override
        public void entryUpdated(com.hazelcast.core.EntryEvent<Long, String> e) {
            announce(e);
        }

        private void announce(com.hazelcast.core.EntryEvent<Long, String> e) {
            if (e.getKey() > 0) {
                String payload = opened(e.getKey(), e.getValue());
                if (payload != null) {
                    announced(new CommittedRevision(e.getKey(), payload));
                }
            }
        }
    }

    /** Where a revision's seal binds it: its number. */
    private static String context(long revision) {
        return "revision:" + revision;
    }

    /** The payload of revision {@code number}, or null when there is none or the one there is not sealed by this cluster. */
    private String read(long number) {
        String stored = revisions.get(number);
        return stored == null ? null : opened(number, stored);
    }

    /** The payload of a stored revision, or null (logged) when this cluster's secret did not seal it for that number. */
    private String opened(long number, String stored) {
        try {
            return seal.open(context(number), stored);
        } catch (ClusterSeal.Forged e) {
            LOG.warn("revision {} in the cluster is refused: {}; a process with another MERIDIAN_CLUSTER_SECRET, or none, wrote it",
                number, e.getMessage());
            return null;
        }
    }

    @Override
    public AutoCloseable onCommitted(Consumer<CommittedRevision> listener) {
        committedListeners.add(listener);
        return () -> committedListeners.remove(listener);
    }

    /** One Hazelcast registration per node; each payload crosses the network once, whoever listens here. */
    private void announced(CommittedRevision revision) {
        remember(revision);
        for (Consumer<CommittedRevision> l : committedListeners) {
            try {
                l.accept(revision);
            } catch (RuntimeException e) {
                LOG.error("a listener of committed revisions failed on revision {}", revision.revision(), e);
            }
        }
    }
}
