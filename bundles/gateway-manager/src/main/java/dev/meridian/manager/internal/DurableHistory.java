package dev.meridian.manager.internal;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;

/**
 * This node's durable copy of the cluster's history ({@link RevisionStore}): a committed revision
 * is written together with the older ones this node lacks and the cluster still holds, each
 * synced to disk before {@link #write} returns (CONTRACT §5: durable before the answer).
 */
final class DurableHistory {

    private final RevisionStore store;
    private final RevisionLog log;

    DurableHistory(RevisionStore store, RevisionLog log) {
        this.store = store;
        this.log = log;
    }

    /** Writes {@code revision} (and the missing older ones) unless this disk holds it already. */
    synchronized void write(ParsedRevision revision) throws IOException {
        for (long missing = store.latest() + 1; missing < revision.number(); missing++) {
            Optional<CommittedRevision> older = log.get(missing);
            if (older.isPresent()) {
                store.appendPayload(missing, older.get().payload());
            }
        }
        if (revision.number() > store.latest()) {
            store.appendPayload(revision.info(), revision.committed().payload());
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
