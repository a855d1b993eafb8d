package dev.meridian.manager.internal;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;

/**
 * This node's durable copy of the cluster's history ({@link RevisionStore}): a committed revision
 * is written together with the older ones this node lacks and the cluster still holds, each
 * synced to disk before {@link #write} returns (CONTRACT §5: durable before the answer).
 * Revisions committed by other nodes are written by {@link #writeLater}, in order, on a thread of
 * the history's own: nobody waits for their answer (the committing node synced its copy before
 * answering), and an fsync of one (7 ms median, up to 90 ms on this box's shared disk) no longer
 * holds up the publish of the next one behind it.
 */
final class DurableHistory {

    private static final Logger LOG = LoggerFactory.getLogger(DurableHistory.class);
    /**
     * {@code MERIDIAN_REVISIONS_KEEP} [1000]: the newest revisions kept on disk (older files are
     * deleted after each write). Each file holds its whole state, so a rollback to any kept
     * revision needs nothing older, and the revision served is always among the newest.
     */
    static final int KEEP = Math.max(1, dev.meridian.core.Settings.integer("MERIDIAN_REVISIONS_KEEP", 1000));

    private final RevisionStore store;
    private final RevisionLog log;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "meridian-revision-write");
        t.setDaemon(true);
        return t;
    });

    DurableHistory(RevisionStore store, RevisionLog log) {
        this.store = store;
        this.log = log;
    }

    /** Writes {@code revision} (and the missing older ones) unless this disk holds it already. */
    synchronized void write(ParsedRevision revision) throws IOException {
        // older ones the bound would delete at once are not fetched
        for (long missing = Math.max(store.latest() + 1, revision.number() - KEEP + 1); missing < revision.number(); missing++) {
            Optional<CommittedRevision> older = log.get(missing);
            if (older.isPresent()) {
                store.appendPayload(missing, older.get().payload());
            }
        }
        if (revision.number() > store.latest()) {
            store.appendPayload(revision.info(), revision.committed().payload());
        }
        store.keepNewest(KEEP);
    }

    /**
     * Writes {@code revision}'s file ahead of its commit (see {@link RevisionStore#stage}).
     *
     * @throws IOException this disk cannot take it: the change must be refused before it is committed
     */
    synchronized void stage(ParsedRevision revision) throws IOException {
        store.stage(revision.number(), revision.committed().payload());
    }

    /**
     * Writes {@code revision} as {@link #write} does, after the writes asked before it, on the
     * history's thread; a failure is logged (the revision stays in the cluster, and the next
     * write of a newer one writes the older ones this disk lacks).
     */
    void writeLater(ParsedRevision revision) {
        try {
            writer.execute(() -> {
                try {
                    write(revision);
                } catch (IOException | RuntimeException e) {
                    LOG.error("revision {} could not be written to this node's disk: {}", revision.number(), e.toString(), e);
                }
            });
        } catch (RejectedExecutionException stopping) {
            LOG.debug("history stopped; revision {} left to the next start's catch-up", revision.number());
        }
    }

    /** Finishes the writes asked for (a few seconds at most) and stops the history's thread. */
    void stop() throws InterruptedException {
        writer.shutdown();
        if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
            LOG.warn("revision writes still running after 10 s; left to the next start's catch-up");
            writer.shutdownNow();
        }
    }

    /** The newest revision on this disk (0 = none). */
    long latest() {
        return store.latest();
    }

    /** The newest revision on this disk, as stored. */
    Optional<CommittedRevision> newest() {
        long latest = store.latest();
        return latest == 0 ? Optional.empty() : store.payload(latest).map(p -> new CommittedRevision(latest, p));
    }

    List<RevisionInfo> list(int limit, long before) {
        return store.list(limit, before);
    }

    Optional<GatewayAdmin.Revision> load(long revision) {
        return store.load(revision);
    }
}
