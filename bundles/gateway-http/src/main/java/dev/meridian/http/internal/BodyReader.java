package dev.meridian.http.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.client.ByteBufferRequestContent;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

/**
 * Receives one request body whole before the upstream call starts (nginx's {@code
 * proxy_request_buffering on}), so a client that trickles its body holds no upstream connection
 * and the upstream never sees a request whose body does not arrive. Known and chunked lengths
 * alike: in memory while the body fits {@code MERIDIAN_BODY_BUFFER} and the node's memory budget
 * lets it grow, else in a {@link SpoolFile}; a body past 10 MiB is refused (413) the moment it
 * passes, without waiting for its end.
 *
 * <p>Asynchronous: it reads what has arrived, then asks the source to call it back ({@link
 * Content.Source#demand}); a chunk bound for disk is handed to the spool's executor and reading
 * resumes on that thread once it is written. No thread waits for the client or the disk.
 *
 * <p>The array grows with what arrived (doubling from {@link #MIN_CAPACITY}), each growth reserved
 * in the {@link MemoryBudget} first, rather than sized by {@code Content-Length}: a client
 * declaring 64 KiB and sending one byte holds 4 KiB. A body that came with its head (the common
 * small POST) is read at once into an array of exactly its length.
 *
 * <p>Owns what it holds — reserved memory, an open spool file — until {@link #release()}, which
 * the exchange's end calls (whatever ended it); a refused body releases at once.
 */
final class BodyReader implements Runnable {

    /** The first array's size when the first chunk is not the whole body. */
    static final int MIN_CAPACITY = 4096;

    private static final int READING = 0;
    private static final int KEPT = 1;
    private static final int RELEASED = 2;

    /** What the reader hands over, exactly once. */
    interface Outcome {
        /** The whole body, ready to send; its bytes live until {@link BodyReader#release()}. */
        void kept(org.eclipse.jetty.client.Request.Content body);

        /** The body did not arrive whole or could not be kept: the answer to give. */
        void refused(int status, String message);
    }

    private final Content.Source source;
    /** The declared length, or -1 (chunked). */
    private final long declared;
    private final String type;
    private final BodyStore store;
    /** Where an outcome reached on a spool thread is handed over (the request's own executor). */
    private final Executor resume;
    private final Outcome outcome;
    private final AtomicInteger state = new AtomicInteger(READING);
    private byte[] bytes;
    /** Bytes of the budget the array holds. */
    private long reserved;
    /** Bytes received so far (in the array, or in the file once there is one). */
    private long read;
    private SpoolFile file;

    /**
     * @param declared the {@code Content-Length}, or -1 for a chunked body
     * @param type the body's {@code Content-Type}, or null
     */
    BodyReader(Content.Source source, long declared, String type, BodyStore store, Executor resume, Outcome outcome) {
        this.source = source;
        this.declared = declared;
        this.type = type;
        this.store = store;
        this.resume = resume;
        this.outcome = outcome;
    }

    /** Starts reading; the outcome may be handed over before this returns. */
    void start() {
        if (declared > store.perBody()) {
            // it will not fit in memory: straight to disk, no array built up and copied first
            store.newFile(opened(null, false));
            return;
        }
        run();
    }

    /** The array's size now (for tests: it follows what arrived, not what was declared). */
    int capacity() {
        return bytes == null ? 0 : bytes.length;
    }

    /** Whether the body went to disk (for tests). */
    boolean onDisk() {
        return file != null;
    }

    @Override
    public void run() {
        while (true) {
            if (state.get() == RELEASED) {
                free();
                return;
            }
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                refuse(400, "malformed or incomplete request body");
                return;
            }
            boolean last = chunk.isLast();
            int n = chunk.remaining();
            if (declared >= 0 && read + n > declared) {
                chunk.release();
                // Jetty frames a body by its Content-Length, so this cannot happen unless the source lies
                source.fail(new IllegalStateException("body longer than its Content-Length " + declared));
                refuse(400, "malformed or incomplete request body");
                return;
            }
            if (read + n > JettyUpstream.MAX_BODY) {
                chunk.release();
                store.countTooLarge();
                refuse(413, "request body larger than 10 MiB");
                return;
            }
            if (n > 0) {
                if (file != null) {
                    append(chunk, last);
                    return;
                }
                if (!keepInMemory(n)) {
                    store.newFile(opened(chunk, last)); // the array so far, then this chunk, go to the file
                    return;
                }
                chunk.getByteBuffer().get(bytes, (int) read, n);
                read += n;
            }
            chunk.release();
            if (last) {
                finish();
                return;
            }
        }
    }

    /** Makes room for {@code n} more bytes in the array; false when the body must go to disk instead. */
    private boolean keepInMemory(int n) {
        long needed = read + n;
        if (needed > store.perBody()) {
            return false;
        }
        if (bytes != null && bytes.length >= needed) {
            return true;
        }
        long cap = declared >= 0 ? declared : store.perBody();
        int size = (int) (needed == declared ? declared
            : Math.min(cap, Math.max(needed, Math.max(MIN_CAPACITY, bytes == null ? 0 : 2L * bytes.length))));
        if (!store.memory().reserve(size - reserved)) {
            return false; // the node's budget is spent: this body goes to disk, however small
        }
        byte[] grown = new byte[size];
        if (bytes != null) {
            System.arraycopy(bytes, 0, grown, 0, (int) read);
        }
        bytes = grown;
        reserved = size;
        return true;
    }

    /** Once the file is open: the array's bytes first (if any), then {@code chunk} (if any), then reading on. */
    private Promise<SpoolFile> opened(Content.Chunk chunk, boolean last) {
        return new Promise<>() {
            @Override
            public void succeeded(SpoolFile f) {
                file = f;
                if (read == 0) {
                    continueWith(chunk, last);
                    return;
                }
                f.append(ByteBuffer.wrap(bytes, 0, (int) read), new Callback() {
                    @Override
                    public void succeeded() {
                        freeArray();
                        continueWith(chunk, last);
                    }

                    @Override
                    public void failed(Throwable x) {
                        if (chunk != null) {
                            chunk.release();
                        }
                        spoolFailed(x);
                    }
                });
            }

            @Override
            public void failed(Throwable x) {
                if (chunk != null) {
                    chunk.release();
                }
                spoolFailed(x);
            }
        };
    }

    private void continueWith(Content.Chunk chunk, boolean last) {
        if (chunk == null) {
            run();
        } else {
            append(chunk, last);
        }
    }

    /** Writes {@code chunk} to the file, then reads on (on the spool's thread). */
    private void append(Content.Chunk chunk, boolean last) {
        int n = chunk.remaining();
        file.append(chunk.getByteBuffer(), new Callback() {
            @Override
            public void succeeded() {
                chunk.release();
                read += n;
                if (last) {
                    finish();
                } else {
                    run();
                }
            }

            @Override
            public void failed(Throwable x) {
                chunk.release();
                spoolFailed(x);
            }
        });
    }

    private void finish() {
        if (declared >= 0 && read != declared) {
            // Jetty frames a body by its Content-Length, so this is a body cut short
            refuse(400, "malformed or incomplete request body");
            return;
        }
        if (!state.compareAndSet(READING, KEPT)) {
            free(); // released meanwhile: the exchange is over
            return;
        }
        store.countKept(file != null);
        if (file != null) {
            SpooledContent body = new SpooledContent(file, type, read);
            resume.execute(() -> outcome.kept(body)); // off the spool's thread: the exchange runs on
        } else {
            outcome.kept(new ByteBufferRequestContent(type, ByteBuffer.wrap(bytes == null ? new byte[0] : bytes, 0, (int) read)));
        }
    }

    private void spoolFailed(Throwable x) {
        store.spoolFailed(x);
        refuse(503, "request body could not be stored on this node");
    }

    private void refuse(int status, String message) {
        state.set(RELEASED);
        free();
        if (file != null) {
            resume.execute(() -> outcome.refused(status, message));
        } else {
            outcome.refused(status, message);
        }
    }

    /**
     * Frees what the body holds (its memory reservation, its file). Called when its exchange
     * ends, whatever ended it; idempotent.
     */
    void release() {
        if (state.getAndSet(RELEASED) != READING) {
            free(); // kept (or refused, a no-op then): nobody reads it any more
        }
        // still reading: the reader frees at its next step
    }

    private void free() {
        freeArray();
        SpoolFile f = file;
        if (f != null) {
            f.close();
        }
    }

    private void freeArray() {
        long r = reserved;
        reserved = 0;
        store.memory().release(r);
        bytes = null;
    }
}
