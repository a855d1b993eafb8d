package dev.meridian.manager.internal;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.core.GatewayState;
import dev.meridian.core.RouteTable;
import dev.meridian.core.TableListener;

/**
 * Keeps this node on the cluster's newest revision, told rather than polling the engine: each
 * revision the cluster announces is adopted; when the engine says that this node's policy types
 * changed while it serves an older revision than the newest adopted (one that failed to compile,
 * a type missing here), that revision is published again. Because announcements can be missed (a
 * node frozen or cut off past the heartbeat timeout is dropped and rejoins later), the cluster's
 * newest revision is also read once a second — one small read, compared with what this node
 * adopted, never with a poll of the engine. All work runs on one thread of its own, never on the
 * engine's or on a Hazelcast event thread.
 */
final class CatchUp implements TableListener {

    private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);

    private final RevisionLog log;
    private final RevisionAdopter adopter;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meridian-revision-sync");
        t.setDaemon(true);
        return t;
    });
    private volatile long served;
    private AutoCloseable subscription;

    CatchUp(RevisionLog log, RevisionAdopter adopter) {
        this.log = log;
        this.adopter = adopter;
    }

    void start() {
        subscription = log.onCommitted(revision -> run(() -> adopter.adoptQuietly(revision)));
        worker.scheduleWithFixedDelay(this::compareWithCluster, 1, 1, TimeUnit.SECONDS);
    }

    void stop() throws Exception {
        if (subscription != null) {
            subscription.close();
        }
        worker.shutdownNow();
    }

    @Override
    public void swapped(RouteTable table, GatewayState state) {
        served = table.revision();
    }

    @Override
    public void nodeChanged() {
        if (served < adopter.newest().number()) {
            run(adopter::republishIfBehind);
        }
    }

    private void run(Runnable task) {
        try {
            worker.execute(task);
        } catch (RejectedExecutionException stopping) {
            LOG.debug("catch-up stopped; task dropped");
        }
    }

    private void compareWithCluster() {
        try {
            Optional<CommittedRevision> newest = log.latest();
            long adopted = adopter.newest().number();
            if (newest.isPresent() && newest.get().revision() > adopted) {
                LOG.info("catching up from revision {} to the cluster's {}", adopted, newest.get().revision());
                adopter.adoptQuietly(newest.get());
            } else if (served < adopted) {
                adopter.republishIfBehind();
            }
        } catch (RuntimeException e) {
            LOG.debug("cluster not readable for catch-up: {}", e.getMessage());
        }
    }
}
