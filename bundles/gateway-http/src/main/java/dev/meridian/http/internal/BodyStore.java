package dev.meridian.http.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import org.eclipse.jetty.util.Promise;
import org.slf4j.LoggerFactory;

/**
 * Where the node keeps request bodies while it receives them whole before the upstream call
 * (nginx's {@code proxy_request_buffering on}): in memory up to {@code MERIDIAN_BODY_BUFFER} per
 * body while {@code MERIDIAN_BODY_MEMORY} lasts for all of them, else in an unlinked file of the
 * spool directory ({@code MERIDIAN_BODY_TEMP}), written and read by a small executor of its own so
 * no request thread waits for the disk. Counts what went where for {@code /metrics}.
 */
final class BodyStore implements AutoCloseable {

    /** Threads for spool I/O. Two: one body's write never waits behind another's on a 2-core box,
     *  and a stalled disk stalls spooled bodies only (memory bodies and bodiless requests never come here). */
    static final int IO_THREADS = 2;

    private final Path dir;
    private final int perBody;
    private final MemoryBudget memory;
    private final ExecutorService io;
    private final LongAdder inMemory = new LongAdder();
    private final LongAdder onDisk = new LongAdder();
    private final LongAdder spoolFailures = new LongAdder();
    private final LongAdder tooLarge = new LongAdder();
    /** Spool failures repeat with every body while a disk is full: one line a second. */
    private final RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(BodyStore.class), 1_000);

    private BodyStore(Path dir, int perBody, MemoryBudget memory, ExecutorService io) {
        this.dir = dir;
        this.perBody = perBody;
        this.memory = memory;
        this.io = io;
    }

    /**
     * Prepares {@code dir} (created, owner-only, emptied: what a previous process left is no
     * body of this one) and starts the spool's executor.
     *
     * @param perBody {@code MERIDIAN_BODY_BUFFER}: the most of one body kept in memory (0: all to disk)
     * @param memoryBudget {@code MERIDIAN_BODY_MEMORY}: the most of all bodies kept in memory at once
     */
    static BodyStore open(Path dir, long perBody, long memoryBudget) throws IOException {
        if (perBody < 0 || perBody > JettyUpstream.MAX_BODY) {
            throw new IllegalArgumentException("MERIDIAN_BODY_BUFFER must be between 0 and 10m, got " + perBody);
        }
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException notPosix) {
            // a file system without POSIX permissions: its ACLs are the operator's to set
        }
        empty(dir);
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor io = new ThreadPoolExecutor(IO_THREADS, IO_THREADS, 60, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "meridian-body-spool-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        // the queue holds at most one task per spooling request (each waits for its last)
        io.allowCoreThreadTimeOut(true);
        return new BodyStore(dir, (int) perBody, new MemoryBudget(memoryBudget), io);
    }

    /** Deletes everything inside {@code dir} (not {@code dir}: it may be a mount point). */
    static void empty(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                if (!p.equals(dir)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    Path dir() {
        return dir;
    }

    /** The most of one body kept in memory. */
    int perBody() {
        return perBody;
    }

    MemoryBudget memory() {
        return memory;
    }

    /** A new spool file, created on the spool's executor. */
    void newFile(Promise<SpoolFile> done) {
        SpoolFile.create(dir, io, done);
    }

    void countKept(boolean disk) {
        (disk ? onDisk : inMemory).increment();
    }

    /** Counts and logs (at most once a second) a body that could not be written to the spool. */
    void spoolFailed(Throwable failure) {
        spoolFailures.increment();
        log.warn("a request body could not be written to the spool " + dir + " (answered 503"
            + (diskFull(failure) ? ", the disk is full" : "") + "): " + failure);
    }

    void countTooLarge() {
        tooLarge.increment();
    }

    /** Whether {@code failure} says the disk is full (ENOSPC, EDQUOT): logged as such. */
    static boolean diskFull(Throwable failure) {
        String m = String.valueOf(failure.getMessage());
        return failure instanceof IOException && (m.contains("No space left") || m.contains("quota"));
    }

    /** The counters in Prometheus text form. */
    void metrics(StringBuilder out) {
        out.append("# HELP meridian_request_bodies_total Request bodies received whole before the upstream call, by where they were kept.\n")
            .append("# TYPE meridian_request_bodies_total counter\n")
            .append("meridian_request_bodies_total{kept=\"memory\"} ").append(inMemory.sum()).append('\n')
            .append("meridian_request_bodies_total{kept=\"disk\"} ").append(onDisk.sum()).append('\n')
            .append("# HELP meridian_request_body_spool_failures_total Request bodies answered 503 because the spool could not be written.\n")
            .append("# TYPE meridian_request_body_spool_failures_total counter\n")
            .append("meridian_request_body_spool_failures_total ").append(spoolFailures.sum()).append('\n')
            .append("# HELP meridian_request_body_too_large_total Request bodies answered 413 while they arrived (over 10 MiB).\n")
            .append("# TYPE meridian_request_body_too_large_total counter\n")
            .append("meridian_request_body_too_large_total ").append(tooLarge.sum()).append('\n')
            .append("# HELP meridian_request_body_memory_bytes Bytes of request bodies held in memory now (MERIDIAN_BODY_MEMORY bounds it).\n")
            .append("# TYPE meridian_request_body_memory_bytes gauge\n")
            .append("meridian_request_body_memory_bytes ").append(memory.used()).append('\n')
            .append("# HELP meridian_request_body_memory_peak_bytes The most bytes of request bodies held in memory at once since start.\n")
            .append("# TYPE meridian_request_body_memory_peak_bytes gauge\n")
            .append("meridian_request_body_memory_peak_bytes ").append(memory.peak()).append('\n')
            .append("# HELP meridian_request_body_memory_limit_bytes MERIDIAN_BODY_MEMORY.\n")
            .append("# TYPE meridian_request_body_memory_limit_bytes gauge\n")
            .append("meridian_request_body_memory_limit_bytes ").append(memory.limit()).append('\n');
    }

    /** Stops the spool's executor; files still open are closed on the caller's thread from now on. */
    @Override
    public void close() {
        io.shutdown();
    }
}
