package dev.meridian.manager.internal;

import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.ClusterUnavailableException;
import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.core.Canary;
import dev.meridian.core.GatewayState;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;
import dev.meridian.manager.GatewayAdmin.Actor;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.Problem;

/**
 * One change, committed as the cluster's next revision: computed from the cluster's newest
 * revision inside {@link RevisionLog#commit} (again, if another node commits first), checked
 * (If-Match, nothing to do, base paths, policy types here and on live nodes), and handed to the
 * {@link RevisionAdopter}, which publishes it, writes it durably and waits until this node serves
 * it. The newest state is parsed at most once: the base is normally the revision this node
 * adopted last, already parsed, and the committed revision is built from the objects it was
 * computed from.
 *
 * <p>A policy type the change needs that is being replaced (here or on a live node) is waited
 * for before computing, within one deadline ({@code MERIDIAN_TYPE_WAIT}); if one turns out pending
 * while computing, the attempt leaves, waits and tries again. At the deadline the checks decide,
 * and a type still missing is refused with 422.
 */
final class CommitProtocol {

    private static final Logger LOG = LoggerFactory.getLogger(CommitProtocol.class);

    private final RevisionLog log;
    private final RevisionAdopter adopter;
    private final TypeChecks checks;
    private final ManagerMetrics metrics;

    CommitProtocol(RevisionLog log, RevisionAdopter adopter, TypeChecks checks, ManagerMetrics metrics) {
        this.log = log;
        this.adopter = adopter;
        this.checks = checks;
        this.metrics = metrics;
    }

    /** Carries an {@link AdminException} out of the commit function. */
    static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(AdminException cause) {
            super(cause.getMessage(), cause, false, false);
        }

        AdminException refusal() {
            return (AdminException) getCause();
        }
    }

    /** Leaves the commit function when a policy type the change needs is on its way. */
    private static final class TypesPending extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Set<String> types;

        TypesPending(Set<String> types) {
            super("policy types being replaced: " + types, null, false, false);
            this.types = types;
        }
    }

    /** What one attempt computed: the answer, and the revision to commit (absent when nothing changes). */
    private record Outcome(Change change, Optional<ParsedRevision> next) {
    }

    /**
     * {@code mutation} applied to one base state: computed once for the type wait, and taken by the
     * commit when it computes from that same base (the usual case: the newest revision adopted here).
     */
    private record Applied(GatewayState base, GatewayState next) {

        static Applied to(GatewayState base, UnaryOperator<GatewayState> mutation) {
            try {
                return new Applied(base, mutation.apply(base));
            } catch (RuntimeException refusedOrDecidedWhenCommitting) {
                return null; // the commit applies it again and decides
            }
        }

        GatewayState nextOf(GatewayState from, UnaryOperator<GatewayState> mutation) {
            return from == base ? next : mutation.apply(from);
        }
    }

    /**
     * How a change meets a canary (CONTRACT §8). {@code CHANGE}: an ordinary change; while a canary
     * runs only its consumers may change (they reach both sides), anything else is refused with
     * 409 until the canary is promoted or aborted. {@code START}: the change becomes a canary
     * beside the newest revision (the caller's {@link Actor#canary()}); never over a running one,
     * never of consumers. {@code END}: the mutation ends the running canary (promote, abort, the
     * watch's rollback).
     */
    private enum Mode { CHANGE, START, END }

    Change commit(UnaryOperator<GatewayState> mutation, Actor actor, OptionalLong ifMatch) throws AdminException {
        return commit(mutation, actor, ifMatch, actor.canary() != null ? Mode.START : Mode.CHANGE);
    }

    /** Commits {@code mutation}, which ends the running canary (it refuses itself when none runs). */
    Change commitCanaryEnd(UnaryOperator<GatewayState> mutation, Actor actor, OptionalLong ifMatch) throws AdminException {
        return commit(mutation, actor, ifMatch, Mode.END);
    }

    private Change commit(UnaryOperator<GatewayState> mutation, Actor actor, OptionalLong ifMatch, Mode mode)
        throws AdminException {
        long start = System.nanoTime();
        long deadline = checks.deadline();
        Applied applied = Applied.to(adopter.newest().state(), mutation);
        checks.await(typesChangedBy(applied), deadline);
        while (true) {
            try {
                return commitOnce(mutation, applied, actor, ifMatch, deadline, mode, start);
            } catch (TypesPending p) {
                LOG.info("{} waits for policy types being installed or replaced: {}", actor.source(), p.types);
                checks.await(p.types, deadline);
            }
        }
    }

    /** The policy types of the APIs the mutation would add or change in this node's state (a guess: the commit decides). */
    private static Set<String> typesChangedBy(Applied applied) {
        return applied == null ? Set.of() : TypeChecks.typesOf(StateDiff.changedApis(applied.base(), applied.next().apis()));
    }

    /** {@code start}: when the change began (for the log line's timings). */
    private Change commitOnce(UnaryOperator<GatewayState> mutation, Applied applied, Actor actor, OptionalLong ifMatch,
                              long deadline, Mode mode, long start) throws AdminException {
        Outcome[] last = new Outcome[1];
        Optional<CommittedRevision> committed;
        try {
            committed = log.commit(latest -> {
                last[0] = compute(base(latest), mutation, applied, actor, ifMatch, deadline, mode);
                last[0].next().ifPresent(this::stage); // on disk before the cluster has it: a full disk refuses here
                last[0].next().ifPresent(adopter::expect);
                return last[0].next().map(p -> p.committed().payload());
            });
        } catch (Refusal r) {
            throw r.refusal();
        } catch (ClusterUnavailableException e) {
            metrics.refused.increment();
            throw new AdminException(503, e.getMessage());
        }
        long committedAt = System.nanoTime();
        Outcome outcome = last[0];
        if (committed.isEmpty()) {
            return outcome.change();
        }
        ParsedRevision revision = outcome.next().orElseThrow();
        try {
            adopter.adopt(revision, true);
        } catch (IOException e) {
            LOG.error("revision {} is committed in the cluster but could not be written here", revision.number(), e);
            throw new AdminException(500, "revision " + revision.number() + " could not be stored: " + e.getMessage());
        }
        metrics.committed.increment();
        Change change = outcome.change();
        if (LOG.isInfoEnabled()) {
            long now = System.nanoTime();
            // where an apply's time went: checks, the file staged and the cluster's commit, then this
            // node's compile and swap and the durable write (bench/propagation.sh times it from outside)
            LOG.info("revision {} by {} via {}: added {} updated {} removed {} (committed in the cluster after {} ms, served"
                + " here and written after {} ms)", change.revision(), actor.user(), actor.source(), change.added(),
                change.updated(), change.removed(), (committedAt - start) / 1_000_000, (now - start) / 1_000_000);
        }
        return change;
    }

    private void stage(ParsedRevision revision) {
        try {
            adopter.stage(revision);
        } catch (AdminException e) {
            throw new Refusal(e);
        }
    }

    /** {@code next} as {@code mode} makes it meet the canary {@code base} may run (see {@link Mode}). */
    private static GatewayState canaryOf(GatewayState base, GatewayState next, Actor actor, Mode mode) {
        Canary running = base.canary();
        switch (mode) {
            case END -> {
                return next;
            }
            case START -> {
                if (running != null) {
                    throw new Refusal(new AdminException(409, runningMessage(base)));
                }
                if (!next.consumers().equals(base.consumers())) {
                    throw new Refusal(new AdminException(422, "a canary cannot change consumers", List.of(new Problem("canary",
                        "consumers are one registry for both sides of a canary: apply consumer changes without ?canary"))));
                }
                if (next.apis().equals(base.apis())) {
                    return next.withCanary(null); // nothing to canary: answered "no change"
                }
                return next.withCanary(new Canary(actor.canary(), base.revision(), base.apis(),
                    Instant.now().truncatedTo(ChronoUnit.MILLIS), actor.user()));
            }
            default -> {
                if (running == null) {
                    return next.withCanary(null);
                }
                if (!next.apis().equals(base.apis())) {
                    throw new Refusal(new AdminException(409, runningMessage(base)));
                }
                return next.withCanary(running); // consumers only: both sides take them
            }
        }
    }

    static String runningMessage(GatewayState base) {
        return "a canary of revision " + base.revision() + " is running (" + base.canary().policy().share()
            + " beside revision " + base.canary().stableRevision() + "): promote or abort it first (POST /api/v1/canary/promote"
            + " or /api/v1/canary/abort)";
    }

    /** The state of the cluster's newest revision: the one adopted here when it is that one, else parsed once. */
    private GatewayState base(Optional<CommittedRevision> latest) {
        if (latest.isEmpty()) {
            return GatewayState.EMPTY;
        }
        try {
            return adopter.read(latest.get()).state();
        } catch (DefinitionException e) {
            throw new IllegalStateException("the cluster's revision " + latest.get().revision() + " is unreadable", e);
        }
    }

    private Outcome compute(GatewayState base, UnaryOperator<GatewayState> mutation, Applied applied, Actor actor,
                            OptionalLong ifMatch, long deadline, Mode mode) {
        if (ifMatch.isPresent() && ifMatch.getAsLong() != base.revision()) {
            throw new Refusal(new AdminException(409, "revision " + ifMatch.getAsLong() + " is stale; current is "
                + base.revision()));
        }
        GatewayState nextState = applied == null ? mutation.apply(base) : applied.nextOf(base, mutation);
        nextState = canaryOf(base, nextState, actor, mode);
        Map<String, ApiDefinition> next = nextState.apis();
        long revision = base.revision() + 1;
        Change change = StateDiff.between(base, nextState, revision, true);
        if (!change.changed() && Objects.equals(base.canary(), nextState.canary())) {
            return new Outcome(new Change(base.revision(), false, List.of(), List.of(), List.of()), Optional.empty());
        }
        if (!change.changed()) {
            change = new Change(revision, true, change.added(), change.updated(), change.removed()); // a canary ends as it was
        }
        try {
            List<ApiDefinition> changedApis = StateDiff.changedApis(base, next);
            Set<String> pending = checks.pending(changedApis);
            if (!pending.isEmpty() && System.nanoTime() - deadline < 0) {
                throw new TypesPending(pending); // commit() waits and comes back
            }
            checks.check(next, changedApis, System.nanoTime() - deadline < 0);
            if (!nextState.consumers().equals(base.consumers())) {
                ConsumerKeys.checkUnique(nextState.consumers());
            }
        } catch (TypeChecks.StillPending p) {
            throw new TypesPending(p.types); // commit() waits and comes back
        } catch (AdminException e) {
            throw new Refusal(e);
        }
        RevisionInfo info = new RevisionInfo(revision, Instant.now().truncatedTo(ChronoUnit.MILLIS), actor.user(),
            actor.source(), change.added(), change.updated(), change.removed());
        return new Outcome(change, Optional.of(ParsedRevision.of(info, nextState.withRevision(revision))));
    }
}
