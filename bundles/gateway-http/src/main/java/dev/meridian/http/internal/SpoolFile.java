package dev.meridian.http.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

/**
 * One request body on disk. Its name is removed as soon as it is open (as nginx does with
 * {@code client_body_temp} files): the data lives only as long as this open channel, so nothing is
 * left in the spool directory whatever happens to the exchange or the process, and {@link #close}
 * frees the space.
 *
 * <p>Every call that touches the disk — create, append, read, close — runs on the spool's own
 * {@code io} executor, never on the caller's thread: Jetty runs requests on its selector threads,
 * which must not wait for a disk (a full or slow one included). At most one append or read is in
 * flight at a time (the caller waits for its callback before the next).
 */
final class SpoolFile {

    private final FileChannel channel;
    private final Executor io;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Bytes appended; written and read by the one thread that runs the current append or read. */
    private volatile long size;

    private SpoolFile(FileChannel channel, Executor io) {
        this.channel = channel;
        this.io = io;
    }

    /** Creates an (already unlinked) file in {@code dir}, on {@code io}; {@code done} gets it or why not. */
    static void create(Path dir, Executor io, Promise<SpoolFile> done) {
        execute(io, done::failed, () -> {
            Path path = null;
            try {
                // createTempFile: a new random name, owner read/write only (POSIX)
                path = Files.createTempFile(dir, "body-", ".tmp");
                FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Files.delete(path);
                done.succeeded(new SpoolFile(channel, io));
            } catch (IOException | RuntimeException e) {
                if (path != null) {
                    try {
                        Files.deleteIfExists(path);
                    } catch (IOException ignored) {
                        // the directory is emptied at the next start; the failure itself is reported
                    }
                }
                done.failed(e);
            }
        });
    }

    /** Appends what {@code data} holds, on {@code io}. */
    void append(ByteBuffer data, Callback done) {
        execute(io, done::failed, () -> {
            try {
                long at = size;
                while (data.hasRemaining()) {
                    at += channel.write(data, at);
                }
                size = at;
                done.succeeded();
            } catch (IOException | RuntimeException e) {
                done.failed(e);
            }
        });
    }

    /** Reads into {@code into} from {@code position} until it is full, on {@code io}. */
    void read(long position, ByteBuffer into, Callback done) {
        execute(io, done::failed, () -> {
            try {
                long at = position;
                while (into.hasRemaining()) {
                    int n = channel.read(into, at);
                    if (n < 0) {
                        throw new EOFException("spooled body ended at " + at);
                    }
                    at += n;
                }
                done.succeeded();
            } catch (IOException | RuntimeException e) {
                done.failed(e);
            }
        });
    }

    /** Bytes appended so far. */
    long size() {
        return size;
    }

    /**
     * Closes the file (its space is freed), on {@code io}: closing the last descriptor of an
     * unlinked file gives its blocks back, which is disk work. Idempotent; an append or read in
     * flight then fails.
     */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Runnable close = () -> {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing to do: the descriptor is gone either way
            }
        };
        try {
            io.execute(close);
        } catch (RejectedExecutionException stopping) {
            close.run(); // the node is stopping: no executor left to hand it to
        }
    }

    private static void execute(Executor io, java.util.function.Consumer<Throwable> failed, Runnable task) {
        try {
            io.execute(task);
        } catch (RejectedExecutionException stopping) {
            failed.accept(new IOException("the body spool is stopped", stopping));
        }
    }
}
