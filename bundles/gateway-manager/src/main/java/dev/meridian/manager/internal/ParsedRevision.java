package dev.meridian.manager.internal;

import java.util.List;

import dev.meridian.cluster.CommittedRevision;
import dev.meridian.core.GatewayState;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.DefinitionException;

/**
 * A committed revision together with what it holds, read once: its payload (as stored in the
 * cluster and on disk), its history entry and its state. A revision committed here is built from
 * the objects it was computed from, never parsed back; one announced by the cluster is parsed
 * once when it arrives.
 */
record ParsedRevision(CommittedRevision committed, RevisionInfo info, GatewayState state) {

    static final ParsedRevision NONE = new ParsedRevision(new CommittedRevision(0, ""), null, GatewayState.EMPTY);

    /** Parses a revision the cluster (or this node's disk) holds. */
    static ParsedRevision parse(CommittedRevision committed) throws DefinitionException {
        RevisionStore.Read read = RevisionStore.read(committed.payload());
        GatewayAdmin.Revision r = read.revision();
        return new ParsedRevision(committed, r.info(), GatewayState.of(committed.revision(), r.apis(), r.consumers())
            .withCanary(read.canary()));
    }

    /** A revision this node computes: its payload written from {@code info} and {@code state}. */
    static ParsedRevision of(RevisionInfo info, GatewayState state) {
        String payload = RevisionStore.payload(info, List.copyOf(state.apis().values()),
            List.copyOf(state.consumers().values()), state.canary());
        return new ParsedRevision(new CommittedRevision(info.revision(), payload), info, state);
    }

    long number() {
        return committed.revision();
    }
}
