package dev.meridian.http.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one line per request, written by a writer thread in batches every 20 ms, with
 * size-based rotation. Written by hand rather than through Karaf's pax-logging because a logging
 * call per request through pax-logging cost ~14% of pass-through throughput in bench/passthrough.sh.
 *
 * <p>Each thread that logs gets a lane of its own ({@link Lane}: a ring of bytes with one producer,
 * that thread, and one consumer, the writer): the request thread encodes its line and copies it
 * into its ring, then publishes the ring's new end with one ordered store; it takes no lock and
 * makes no CAS. Written this way after JFR put the earlier design (one lock-free queue shared by
 * every request thread, and a counter of queued lines) at ~7.5% of a cache hit's samples: two CAS
 * on cache lines the request threads took from each other on every line, a queue node per line,
 * and the writer's encoding. The writer writes each ring's published bytes straight to the file.
 * As with nginx's {@code access_log ... buffer=} (a buffer per worker), lines of different threads
 * reach the file in batches, so two lines of different threads may be out of time order by up to
 * a batch (~20 ms); every line carries its own timestamp.
 *
 * <p>When a ring is full (the writer cannot keep up), the line is dropped and counted, never waited
 * for. When the file cannot be written (a full disk), lines are dropped and counted too, the file
 * is tried again every second, and writing resumes when it can be: the data plane never waits for
 * the disk.
 */
final class AccessLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    /** How often a file that could not be written is tried again. */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Bytes of one thread's ring (heap, allocated when the thread logs its first line): ~4,000
     * lines, 80 ms of one request thread at 50,000 lines/s, the writer draining every 20 ms.
     */
    static final int LANE_BYTES = 1 << 20;

    private final Path file;
    private final long maxBytes;
    private final int keep;
    private final int laneBytes;
    /** Every live thread's lane, for the writer; a lane leaves once its thread has died and it is drained. */
    private final List<Lane> lanes = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Lane> lane = ThreadLocal.withInitial(this::newLane);
    /** The second the timestamp prefix below was made for, and the prefix ({@code 2026-12-02T07:10:11.}). */
    private volatile Stamp stamp = new Stamp(-1, "");
    private final LongAdder dropped = new LongAdder();
    private final Thread writer;
    /** Writer thread only: whether the file cannot be written now, and the drop count when that began. */
    private boolean failing;
    private long droppedAtFailure;
    private volatile boolean closed;

    AccessLog(Path file, long maxBytes, int keep) throws IOException {
        this(file, maxBytes, keep, LANE_BYTES);
    }

    /** {@code laneBytes}: a power of two, each thread's ring. */
    AccessLog(Path file, long maxBytes, int keep, int laneBytes) throws IOException {
        if (Integer.bitCount(laneBytes) != 1) {
            throw new IllegalArgumentException("lane size must be a power of two: " + laneBytes);
        }
        this.file = file;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.laneBytes = laneBytes;
        Files.createDirectories(file.toAbsolutePath().getParent());
        writer = new Thread(this::run, "meridian-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    private record Stamp(long second, String prefix) {
    }

    /**
     * One thread's ring of encoded lines. The owner thread alone writes bytes and moves
     * {@code tail}; the writer thread alone reads them and moves {@code head}. Positions only grow;
     * a position's byte is at {@code position & mask}.
     */
    private static final class Lane {
        final Thread owner;
        final ByteBuffer ring;
        /** The writer's view of the ring (its own position and limit). */
        final ByteBuffer view;
        final int mask;
        /** End of the published bytes: stored by the owner (release), read by the writer. */
        final AtomicLong tail = new AtomicLong();
        /** Start of the bytes not yet written: stored by the writer, read by the owner. */
        final AtomicLong head = new AtomicLong();
        /** The owner's own copy of {@code tail}. */
        long end;
        /** The owner's line being built ({@link AccessLog#line()}). */
        final LogLine line = new LogLine(this);

        Lane(Thread owner, int bytes) {
            this.owner = owner;
            // on the heap (bounded by -Xmx with the rest, freed by GC with its thread): a direct ring
            // per thread would count against MaxDirectMemorySize, and the writer's copy into the
            // JDK's direct buffer happens on the writer's thread, not the request's
            this.ring = ByteBuffer.allocate(bytes);
            this.view = ring.duplicate();
            this.mask = bytes - 1;
        }

        /** Owner thread: copies {@code line} and a newline in, publishes them; false when it has no room. */
        boolean put(byte[] line, int n) {
            long t = end;
            if (n + 1 > ring.capacity() - (t - head.get())) {
                return false;
            }
            int at = (int) (t & mask);
            int first = Math.min(n, ring.capacity() - at);
            ring.put(at, line, 0, first);
            if (first < n) {
                ring.put(0, line, first, n - first);
            }
            ring.put((int) ((t + n) & mask), (byte) '\n');
            end = t + n + 1;
            tail.lazySet(end); // a release store: the bytes above are visible before the new end
            return true;
        }
    }

    private Lane newLane() {
        Lane l = new Lane(Thread.currentThread(), laneBytes);
        if (!closed) { // after close nothing drains it; what is logged on it is dropped and counted
            lanes.add(l);
        }
        return l;
    }

    /**
     * This thread's line, emptied, to build the next line in and hand to {@link #log(LogLine)}: a
     * thread has one, so a line must be logged before the thread builds another.
     */
    LogLine line() {
        return lane.get().line.reset();
    }

    /** Appends {@code line} (built in {@link #line()}, without newline) to this thread's lane; never blocks. */
    void log(LogLine line) {
        // the lane that made the line, when it is this thread's (one ThreadLocal lookup per line, in line())
        Lane l = line.owner() instanceof Lane own && own.owner == Thread.currentThread() ? own : lane.get();
        if (closed || !l.put(line.bytes(), line.length())) {
            dropped.increment();
        }
    }

    /** Appends one line (without newline) to this thread's lane, encoded as UTF-8; never blocks. */
    void log(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        if (closed || !lane.get().put(bytes, bytes.length)) {
            dropped.increment();
        }
    }

    /**
     * Appends the UTC time of {@code epochMillis} as {@code 2026-12-02T07:10:11.123Z}. The part up
     * to the second is formatted once per second (formatting an {@code Instant} per line was ~2% of a
     * request's CPU).
     */
    LogLine timestamp(LogLine line, long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        Stamp s = stamp;
        if (s.second != second) {
            String full = Instant.ofEpochSecond(second).toString(); // 2026-12-02T07:10:11Z
            s = new Stamp(second, full.substring(0, full.length() - 1) + '.');
            stamp = s;
        }
        int millis = (int) Math.floorMod(epochMillis, 1000);
        line.raw(s.prefix);
        if (millis < 100) {
            line.raw('0');
        }
        if (millis < 10) {
            line.raw('0');
        }
        return line.number(millis).raw('Z');
    }

    /** Lines dropped: a thread's lane was full, or the file could not be written. */
    long dropped() {
        return dropped.sum();
    }

    /** Lanes held now (a thread's until it has died and been drained). */
    int lanes() {
        return lanes.size();
    }

    private void run() {
        FileChannel out = null; // null while the file cannot be written (a full disk): lines are dropped and counted
        long size = 0;
        long retryAt = System.nanoTime(); // open at once (nanoTime may be negative: compare differences only)
        try {
            while (true) {
                // Drain on a timer instead of being woken: waking a waiting writer would cost the
                // request thread an unpark per line.
                boolean stop = closed; // read before draining: what was logged before close is drained
                if (out == null && System.nanoTime() - retryAt >= 0) {
                    try {
                        out = open();
                        size = out.size();
                    } catch (IOException e) {
                        failing("opened", e);
                        retryAt = System.nanoTime() + RETRY_NANOS;
                    }
                }
                long written = 0;
                boolean behind = false; // a lane a quarter full or more: drain again at once
                for (Lane l : lanes) {
                    behind |= l.tail.get() - l.head.get() >= laneBytes / 4;
                    boolean dead = !l.owner.isAlive(); // read before draining: a dead owner has published all
                    if (out == null) {
                        discard(l);
                    } else {
                        try {
                            long n = drain(out, l);
                            written += n;
                            if (failing && n > 0) { // written again: not merely an empty lane drained
                                failing = false;
                                LOG.warn("access log {} is written again; {} lines were dropped while it could not be",
                                    file, dropped.sum() - droppedAtFailure);
                            }
                        } catch (IOException e) {
                            // a full disk (or a removed mount) must not stop the data plane nor this thread:
                            // drop what the lane held, count it, and try the file again every RETRY_NANOS
                            failing("written", e);
                            discard(l);
                            closeQuietly(out);
                            out = null;
                            retryAt = System.nanoTime() + RETRY_NANOS;
                        }
                    }
                    if (dead) {
                        lanes.remove(l);
                    }
                }
                size += written;
                if (out != null && size > maxBytes) {
                    try {
                        out.close();
                        rotate();
                        out = open();
                        size = 0;
                    } catch (IOException e) {
                        failing("rotated", e);
                        closeQuietly(out);
                        out = null;
                        retryAt = System.nanoTime() + RETRY_NANOS;
                    }
                }
                if (stop) {
                    break;
                }
                if (!behind) {
                    // every 20 ms: at 100,000 lines/s over two threads, ~250 KiB per lane and write
                    TimeUnit.MILLISECONDS.sleep(20);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(out);
        }
    }

    /** Writes what {@code lane} has published to {@code out}; the bytes written. */
    private static long drain(FileChannel out, Lane lane) throws IOException {
        long h = lane.head.get();
        long t = lane.tail.get();
        if (t == h) {
            return 0;
        }
        ByteBuffer view = lane.view;
        int capacity = view.capacity();
        int at = (int) (h & lane.mask);
        int first = (int) Math.min(t - h, capacity - at);
        view.limit(at + first).position(at);
        try {
            write(out, view);
        } catch (IOException e) {
            lane.head.lazySet(h + view.position() - at); // what was written stays written, not counted as dropped
            throw e;
        }
        if (first < t - h) {
            view.limit((int) (t - h - first)).position(0);
            try {
                write(out, view);
            } catch (IOException e) {
                lane.head.lazySet(h + first + view.position());
                throw e;
            }
        }
        lane.head.lazySet(t);
        return t - h;
    }

    private static void write(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    /** Drops what {@code lane} has published, counting its lines. */
    private void discard(Lane lane) {
        long h = lane.head.get();
        long t = lane.tail.get();
        long lines = 0;
        for (long p = h; p < t; p++) {
            if (lane.ring.get((int) (p & lane.mask)) == '\n') {
                lines++;
            }
        }
        dropped.add(lines);
        lane.head.lazySet(t);
    }

    /** The writer thread's: one ERROR when writing stops, one WARN when it works again, no line per retry. */
    private void failing(String what, IOException e) {
        if (!failing) {
            failing = true;
            droppedAtFailure = dropped.sum();
            LOG.error("access log {} cannot be {} ({}); lines are dropped and counted (meridian_access_log_dropped_total), "
                + "tried again every second", file, what, e.toString());
        }
    }

    private void closeQuietly(FileChannel out) {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.warn("closing access log {} failed", file, e);
            }
        }
    }

    /** Opens the file for appending; a partial last line (a write cut short by a full disk) is ended first. */
    private FileChannel open() throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        try {
            long size = ch.size();
            if (size > 0 && lastByte(size) != '\n') {
                ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
            }
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /** The byte at {@code size - 1} (a channel cannot both append and read). */
    private byte lastByte(long size) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            in.read(last, size - 1);
            return last.get(0);
        }
    }

    private void rotate() throws IOException {
        for (int i = keep - 1; i >= 1; i--) {
            Path from = file.resolveSibling(file.getFileName() + "." + i);
            if (Files.exists(from)) {
                Files.move(from, file.resolveSibling(file.getFileName() + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        closed = true; // the writer drains every lane once more and stops
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
