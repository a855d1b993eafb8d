package dev.meridian.manager.internal;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.SharedRecords;

/**
 * The thread of one of the manager's record books (tokens, audit): what the cluster announces is
 * handed to it (never written to disk on a Hazelcast event thread), and so is the start's exchange
 * with the cluster, tried again every 2 s while there is no majority. Stopped with the book.
 */
final class BookThread {

    private static final Logger LOG = LoggerFactory.getLogger(BookThread.class);

    private final String name;
    private final ScheduledExecutorService executor;
    private AutoCloseable listening;
    /** An exchange is under way or scheduled: one retry chain at a time. */
    private final java.util.concurrent.atomic.AtomicBoolean exchanging = new java.util.concurrent.atomic.AtomicBoolean();
    private Attempt exchange;

    BookThread(String name) {
        this.name = name;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Hands every write the cluster announces to {@code onWrite} on this thread, then runs {@code exchange} here. */
    void start(SharedRecords cluster, java.util.function.BiConsumer<String, String> onWrite, Attempt exchangeWithCluster) {
        this.exchange = exchangeWithCluster;
        listening = cluster.onWrite((key, json) -> run(() -> onWrite.accept(key, json)));
        exchangeAgain();
    }

    /**
     * Runs the exchange again (a write the cluster refused, without a majority, is offered by it
     * once the majority is back), unless one is under way or scheduled.
     */
    void exchangeAgain() {
        if (exchanging.compareAndSet(false, true)) {
            run(this::untilDone);
        }
    }

    /** A step that may fail for want of the cluster (then it is tried again). */
    interface Attempt {
        void run() throws Exception;
    }

    private void untilDone() {
        try {
            exchange.run();
            exchanging.set(false);
        } catch (Exception e) {
            LOG.warn("{} not exchanged with the cluster yet ({}); again in 2 s", name, e.getMessage());
            try {
                executor.schedule(this::untilDone, 2, TimeUnit.SECONDS);
            } catch (RejectedExecutionException stopping) {
                LOG.debug("{} stopped", name);
            }
        }
    }

    /** Runs {@code r} on this thread, after what was handed to it before. */
    void run(Runnable r) {
        try {
            executor.execute(r);
        } catch (RejectedExecutionException stopping) {
            LOG.debug("{} stopped", name);
        }
    }

    void stop() throws Exception {
        if (listening != null) {
            listening.close();
        }
        executor.shutdown();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }
}
