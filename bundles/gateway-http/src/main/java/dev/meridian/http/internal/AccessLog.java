package dev.meridian.http.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one line per request, handed to a writer thread through a bounded queue and
 * written in batches every 20 ms, with size-based rotation. Written by hand rather than through Karaf's
 * pax-logging because a logging call per request through pax-logging cost ~14% of pass-through
 * throughput in bench/passthrough.sh; here the request thread only enqueues a string, on a
 * lock-free queue (an {@code ArrayBlockingQueue}'s lock, contended by the request threads, parked
 * and unparked them: JFR put {@code LockSupport.unpark} at the top of pass-through). When the
 * writer cannot keep up, lines are dropped and counted, never waited for. When the file cannot be
 * written (a full disk), lines are dropped and counted too, the file is tried again every second,
 * and writing resumes when it can be: the data plane never waits for the disk.
 */
final class AccessLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    private static final String POISON = "";
    /** How often a file that could not be written is tried again. */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Path file;
    private final long maxBytes;
    private final int keep;
    private static final int CAPACITY = 65_536;
    private final ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    /** The second the timestamp prefix below was made for, and the prefix ({@code 2026-12-02T07:10:11.}). */
    private volatile Stamp stamp = new Stamp(-1, "");
    private final LongAdder dropped = new LongAdder();
    private final Thread writer;
    /** Writer thread only: whether the file cannot be written now, and the drop count when that began. */
    private boolean failing;
    private long droppedAtFailure;
    private volatile boolean closed;

    AccessLog(Path file, long maxBytes, int keep) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.keep = keep;
        Files.createDirectories(file.toAbsolutePath().getParent());
        writer = new Thread(this::run, "meridian-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    private record Stamp(long second, String prefix) {
    }

    /** Enqueues one line (without newline); never blocks. */
    void log(String line) {
        if (closed || queued.incrementAndGet() > CAPACITY) {
            if (!closed) {
                queued.decrementAndGet();
            }
            dropped.increment();
            return;
        }
        queue.offer(line);
    }

    /**
     * Appends the UTC time of {@code epochMillis} as {@code 2026-12-02T07:10:11.123Z}. The part up
     * to the second is formatted once per second (formatting an {@code Instant} per line was ~2% of a
     * request's CPU).
     */
    StringBuilder timestamp(StringBuilder sb, long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        Stamp s = stamp;
        if (s.second != second) {
            String full = Instant.ofEpochSecond(second).toString(); // 2026-12-02T07:10:11Z
            s = new Stamp(second, full.substring(0, full.length() - 1) + '.');
            stamp = s;
        }
        int millis = (int) Math.floorMod(epochMillis, 1000);
        sb.append(s.prefix);
        if (millis < 100) {
            sb.append('0');
        }
        if (millis < 10) {
            sb.append('0');
        }
        return sb.append(millis).append('Z');
    }

    /** Lines dropped: the queue was full, or the file could not be written. */
    long dropped() {
        return dropped.sum();
    }

    private void run() {
        List<String> batch = new ArrayList<>(1024);
        // Lines are encoded to UTF-8 bytes here (an intrinsic copy for ASCII) into a direct buffer
        // written straight to the file: a BufferedWriter's char encoder was half of this thread's
        // CPU under load (JFR), ~4% of a cache hit's.
        ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        FileChannel out = null; // null while the file cannot be written (a full disk): lines are dropped and counted
        long size = 0;
        long retryAt = System.nanoTime(); // open at once (nanoTime may be negative: compare differences only)
        try {
            while (true) {
                // Poll on a timer instead of waiting on the queue: a waiting consumer would cost the
                // request thread an unpark per line.
                String polled;
                while (batch.size() < 8192 && (polled = queue.poll()) != null) {
                    batch.add(polled);
                }
                queued.addAndGet(-batch.size());
                boolean stop = batch.removeIf(line -> line == POISON); // by identity: the marker, not a line
                if (out == null && System.nanoTime() - retryAt >= 0) {
                    try {
                        out = open();
                        size = out.size();
                    } catch (IOException e) {
                        failing("opened", e);
                        retryAt = System.nanoTime() + RETRY_NANOS;
                    }
                }
                if (batch.isEmpty()) {
                    if (stop || closed && queue.isEmpty()) {
                        break;
                    }
                    TimeUnit.MILLISECONDS.sleep(20);
                    continue;
                }
                if (out == null) {
                    dropped.add(batch.size());
                } else {
                    try {
                        size += write(out, buffer, batch);
                        if (failing) {
                            failing = false;
                            LOG.warn("access log {} is written again; {} lines were dropped while it could not be",
                                file, dropped.sum() - droppedAtFailure);
                        }
                        if (size > maxBytes) {
                            out.close();
                            rotate();
                            out = open();
                            size = 0;
                        }
                    } catch (IOException e) {
                        // a full disk (or a removed mount) must not stop the data plane nor this thread:
                        // drop the batch, count it, and try the file again every RETRY_NANOS
                        failing("written", e);
                        dropped.add(batch.size());
                        closeQuietly(out);
                        out = null;
                        buffer.clear();
                        retryAt = System.nanoTime() + RETRY_NANOS;
                    }
                }
                batch.clear();
                if (stop) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(out);
        }
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

    /**
     * Encodes and writes {@code batch} (after a newline, when a failed write left a partial line
     * at the end of the file); the bytes written.
     */
    private static long write(FileChannel out, ByteBuffer buffer, List<String> batch) throws IOException {
        long written = 0;
        for (String line : batch) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            if (buffer.remaining() < bytes.length + 1) {
                written += drain(out, buffer);
                if (bytes.length + 1 > buffer.capacity()) {
                    written += drain(out, ByteBuffer.wrap(bytes).compact()); // a line longer than the buffer
                    bytes = new byte[0];
                }
            }
            buffer.put(bytes).put((byte) '\n');
        }
        return written + drain(out, buffer);
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

    /** Writes what {@code buffer} holds (filled, not yet flipped) and clears it; the bytes written. */
    private static long drain(FileChannel out, ByteBuffer buffer) throws IOException {
        buffer.flip();
        long n = buffer.remaining();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        buffer.clear();
        return n;
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
        closed = true;
        queue.offer(POISON);
        queued.incrementAndGet();
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
