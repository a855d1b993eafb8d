package dev.meridian.manager.internal;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.CommittedRevision;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayState;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ValidationException;
import dev.meridian.manager.AdminException;
import dev.meridian.model.DefinitionException;

/**
 * Brings this node to a committed revision: publishes it to the engine unless a newer one was
 * adopted, writes it durably, and for a change made here waits until the node serves it. Holds
 * the newest revision adopted, parsed: the manager's current state, and the base the next change
 * here is computed from without reading the cluster again. Local commits, the cluster's
 * announcements, catch-up and restore all come through {@link #adopt}: the choice of the newest
 * and its hand-off to the engine are serialized, the durable writes are ordered by the history.
 *
 * <p>Publish first, then write: serving a revision newer than the durable one is allowed (never
 * an older one), and the fsync then overlaps the compile instead of delaying it. The caller of a
 * local change still gets its answer only once both are done; a revision from another node is
 * written behind, on the history's own thread, so the thread adopting announcements is free for
 * the next one while the disk syncs.
 */
final class RevisionAdopter {

    private static final Logger LOG = LoggerFactory.getLogger(RevisionAdopter.class);
    private static final long PUBLISH_TIMEOUT_SECONDS = 30;

    private final GatewayEngine engine;
    private final DurableHistory history;
    private final NodeStatusReporter status;
    private final ManagerMetrics metrics;
    /** The revision this node served last and its propagation (the console's nodes page). */
    private final LastServed lastServed;
    private volatile ParsedRevision newest = ParsedRevision.NONE;
    /** The revision a change here is about to commit: its announcement is not parsed again. */
    private volatile ParsedRevision expected = ParsedRevision.NONE;
    /** The last revision parsed, for a base or an announcement read twice. */
    private volatile ParsedRevision lastParsed = ParsedRevision.NONE;
    /** Which failures to serve a revision are logged: catch-up retries one every second. */
    private final ServeFailures failures = new ServeFailures();

    RevisionAdopter(GatewayEngine engine, DurableHistory history, NodeStatusReporter status, ManagerMetrics metrics,
                    LastServed lastServed) {
        this.engine = engine;
        this.lastServed = lastServed;
        this.history = history;
        this.status = status;
        this.metrics = metrics;
    }

    /** The newest revision adopted (number 0 and the empty state before the first). */
    ParsedRevision newest() {
        return newest;
    }

    /** A change here proposes {@code revision}: when the cluster announces it back, it is not parsed again. */
    void expect(ParsedRevision revision) {
        expected = revision;
    }

    /**
     * Writes the file of a change made here before it is committed (CONTRACT: a full disk refuses
     * the change before anything is published).
     *
     * @throws AdminException 507 when this node's revision directory cannot take it
     */
    void stage(ParsedRevision revision) throws AdminException {
        try {
            history.stage(revision);
        } catch (IOException e) {
            LOG.error("revision {} refused: this node's revision directory cannot take it ({})", revision.number(), e.toString());
            throw new AdminException(507, "revision " + revision.number() + " cannot be written to this node's disk ("
                + e.getMessage() + "); nothing was changed");
        }
    }

    /** {@code committed}, parsed at most once: the newest, the expected or the last parsed one when it is one of them. */
    ParsedRevision read(CommittedRevision committed) throws DefinitionException {
        for (ParsedRevision known : new ParsedRevision[] {newest, expected, lastParsed}) {
            if (known.number() == committed.revision() && known.committed().payload().equals(committed.payload())) {
                return known;
            }
        }
        ParsedRevision parsed = ParsedRevision.parse(committed);
        lastParsed = parsed;
        return parsed;
    }

    /** A revision the cluster announced (or catch-up found): adopted without waiting; failures are logged and reported. */
    void adoptQuietly(CommittedRevision committed) {
        try {
            ParsedRevision mine = expected;
            if (mine.number() == committed.revision() && mine.number() > newest.number()
                && mine.committed().payload().equals(committed.payload())) {
                return; // committed here: the committing thread adopts it (and waits for it) right away
            }
            if (committed.revision() <= newest.number() && committed.revision() <= history.latest()) {
                republishIfBehind();
                return;
            }
            adopt(read(committed), false);
        } catch (AdminException | IOException | DefinitionException | RuntimeException e) {
            String line = failures.failed(committed.revision(), "could not be adopted: " + ManagerComponent.reason(e),
                System.nanoTime());
            if (line != null) {
                LOG.warn("revision {} from the cluster {}", committed.revision(), line, e);
            }
        }
    }

    /** Publishes the newest revision again if the engine serves an older one (it failed to compile before). */
    void republishIfBehind() {
        if (engine.current().revision() < newest.number()) {
            try {
                adopt(newest, false);
            } catch (AdminException | IOException | RuntimeException e) {
                long number = newest.number();
                String line = failures.failed(number, "could not be published again: " + ManagerComponent.reason(e),
                    System.nanoTime());
                if (line != null) {
                    LOG.warn("revision {} {}", number, line, e);
                }
            }
        }
    }

    /**
     * Writes {@code revision} durably and publishes it unless a newer one is adopted; with
     * {@code await}, returns once this node serves it (or throws why it cannot).
     */
    void adopt(ParsedRevision revision, boolean await) throws AdminException, IOException {
        CompletableFuture<?> published = null;
        boolean fresh;
        GatewayState state;
        synchronized (this) {
            // only the choice of the newest and the hand-off to the engine are serialized here; the
            // fsync below is not, so a revision announced while the one before is being synced is
            // published at once (the history writes them in order: it has a lock of its own)
            ParsedRevision base = newest;
            fresh = revision.number() > base.number();
            state = base.state();
            if (fresh) {
                newest = revision;
                state = revision.state();
                published = engine.publish(state);
            } else if (await || engine.current().revision() < base.number()) {
                published = engine.publish(state); // waiting for it, or it failed before: again
            }
        }
        if (await) {
            history.write(revision); // durable before the answer (CONTRACT §5)
        } else {
            history.writeLater(revision); // nobody waits: the publish of the next revision must not either
        }
        if (published == null) {
            return;
        }
        long served = state.revision();
        long committedAt = revision.info() == null ? 0 : revision.info().time().toEpochMilli();
        if (await) {
            await(published, served);
            lastServed.served(served, committedAt);
            return;
        }
        // committed by another node (or missed and caught up): count it and its propagation time
        if (fresh) {
            metrics.adopted.increment();
        }
        long since = revision.info() == null ? 0 : revision.info().time().toEpochMilli();
        published.whenComplete((table, failure) -> {
            if (failure != null) {
                String why = ManagerComponent.reason(failure);
                status.failed(served, why);
                // catch-up tries again every second: logged once per revision and reason (ServeFailures)
                String line = failures.failed(served, why, System.nanoTime());
                if (line != null) {
                    LOG.warn("revision {} cannot be served on this node: {}; tried again every second, logged again when"
                        + " the reason changes", served, line);
                }
                return;
            }
            servedNow(served);
            lastServed.served(served, committedAt);
            if (fresh && since > 0) {
                metrics.propagation(System.currentTimeMillis() - since);
            }
        });
    }

    /**
     * Compiles the newest adopted revision again (secret files read again) and publishes it as a
     * new generation, with the engine's normal swap; when the engine serves an older revision
     * (the newest failed to compile, e.g. a secret was missing) the newest is published instead.
     * Returns the table now serving.
     *
     * @throws AdminException 422 naming each reference that cannot be resolved (never a value):
     *     the current table keeps serving
     */
    RouteTable reload() throws AdminException {
        CompletableFuture<RouteTable> compiled;
        long revision;
        synchronized (this) { // against an adoption choosing the newest at the same moment
            ParsedRevision target = newest;
            revision = target.number();
            compiled = engine.current().revision() < revision ? engine.publish(target.state()) : engine.recompile();
        }
        try {
            RouteTable table = compiled.get(PUBLISH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            servedNow(table.revision());
            LOG.info("secrets reloaded: revision {} serves as generation {}", table.revision(), table.generation());
            return table;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ValidationException v) {
                throw new AdminException(422, "revision " + revision + " cannot be compiled with the secrets now on this node;"
                    + " it keeps serving as before", v.problems());
            }
            throw new AdminException(500, "recompiling revision " + revision + " failed: " + ManagerComponent.reason(e));
        } catch (TimeoutException e) {
            throw new AdminException(500, "recompiling revision " + revision + " timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(500, "interrupted while recompiling revision " + revision);
        }
    }

    /** Logs once that a revision whose failure was logged (or an older one) is served now. */
    private void servedNow(long revision) {
        long over = failures.served(revision);
        if (over >= 0) {
            LOG.info("revision {} is served on this node now (revision {} could not be before)", revision, over);
        }
    }

    private void await(CompletableFuture<?> publish, long revision) throws AdminException {
        try {
            publish.get(PUBLISH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            servedNow(revision);
        } catch (ExecutionException e) {
            status.failed(revision, ManagerComponent.reason(e));
            if (e.getCause() instanceof ValidationException v) {
                throw new AdminException(422, "revision " + revision + " is stored but cannot be served on this node",
                    v.problems());
            }
            throw new AdminException(500, "publishing revision " + revision + " failed: " + e.getCause());
        } catch (TimeoutException e) {
            throw new AdminException(500, "publishing revision " + revision + " timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(500, "interrupted while publishing revision " + revision);
        }
    }
}
