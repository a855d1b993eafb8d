package dev.meridian.http.internal;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.function.BiConsumer;

import org.eclipse.jetty.io.Content;

/**
 * Reads a request body of known length whole into memory before the upstream call starts, so
 * that a client trickling its body holds no upstream connection (the upstream sees nothing of a
 * request whose body never arrives). Asynchronous: it reads what is there and, when nothing is,
 * asks the source to call it back ({@link Content.Source#demand}); no thread waits for the client.
 *
 * <p>The array grows with what arrived (doubling, from at least 4 KiB, up to the declared length)
 * rather than being sized by {@code Content-Length} up front: a client that declares 64 KiB and
 * sends one byte must not make the gateway hold 64 KiB for it. A body that came with its head
 * (the common small POST) is read in the call to {@link #start()}, on the request's thread, into
 * an array of exactly its length.
 *
 * <p>Used by one request: {@link #run()} is called by the source's demand, never concurrently
 * with itself (Jetty calls a demand callback once per demand).
 */
final class BodyBuffer implements Runnable {

    /** The first array's size when the first chunk is not the whole body. */
    static final int MIN_CAPACITY = 4096;

    private final Content.Source source;
    private final int length;
    private final BiConsumer<ByteBuffer, Throwable> done;
    private byte[] bytes;
    private int read;

    /**
     * @param source the client's body
     * @param length its declared length, {@code > 0}
     * @param done called once, with the whole body (a buffer of exactly {@code length} bytes) or
     *             with why it did not arrive whole (the source failed, or ended early)
     */
    BodyBuffer(Content.Source source, int length, BiConsumer<ByteBuffer, Throwable> done) {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive: " + length);
        }
        this.source = source;
        this.length = length;
        this.done = done;
    }

    /** Starts reading; {@code done} may be called before this returns. */
    void start() {
        run();
    }

    /** The array's size now (for tests: it follows what arrived, not what was declared). */
    int capacity() {
        return bytes == null ? 0 : bytes.length;
    }

    @Override
    public void run() {
        while (true) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                done.accept(null, chunk.getFailure());
                return;
            }
            boolean last = chunk.isLast();
            ByteBuffer in = chunk.getByteBuffer();
            int n = in.remaining();
            if (n > length - read) {
                chunk.release();
                // Jetty frames the body by its Content-Length, so this cannot happen unless the source lies
                IllegalStateException tooLong = new IllegalStateException("body longer than its Content-Length " + length);
                source.fail(tooLong);
                done.accept(null, tooLong);
                return;
            }
            if (n > 0) {
                ensure(read + n);
                in.get(bytes, read, n);
                read += n;
            }
            chunk.release();
            if (read == length) {
                done.accept(ByteBuffer.wrap(bytes, 0, length), null);
                return;
            }
            if (last) {
                done.accept(null, new EOFException("body ended after " + read + " of " + length + " bytes"));
                return;
            }
        }
    }

    private void ensure(int needed) {
        if (bytes != null && bytes.length >= needed) {
            return;
        }
        int size = needed == length ? length
            : (int) Math.min(length, Math.max(needed, Math.max(MIN_CAPACITY, bytes == null ? 0 : 2L * bytes.length)));
        byte[] grown = new byte[size];
        if (bytes != null) {
            System.arraycopy(bytes, 0, grown, 0, read);
        }
        bytes = grown;
    }
}
