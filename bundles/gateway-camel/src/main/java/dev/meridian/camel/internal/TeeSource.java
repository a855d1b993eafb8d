package dev.meridian.camel.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.eclipse.jetty.io.Content;

import dev.meridian.cache.Fill;

/**
 * The upstream's body on its way to the client, copied aside for the cache: the client gets
 * every chunk as it arrives (back-pressure unchanged); once the whole body has arrived the copy
 * is stored, and the last chunk reaches the client when the cluster holds the entry. A body longer than the cache's limit, or one that fails, releases the fill.
 * Called by one reader at a time (Jetty's {@code Content.copy}).
 */
final class TeeSource implements Content.Source {

    private final Content.Source in;
    private final Fill fill;
    private final int status;
    private final List<Map.Entry<String, String>> headers;
    private final long max;
    private final long declared;
    /** Where the copy resumes once the entry is stored (not the cluster's callback thread). */
    private final java.util.concurrent.Executor executor;
    private byte[] copy;
    private int length;
    private boolean finished;
    /** The last chunk, held back from the client until the cluster holds the entry; and that store. */
    private Content.Chunk held;
    private java.util.concurrent.CompletableFuture<Void> storing;

    /**
     * @param declared the upstream's {@code Content-Length}, or -1
     * @param executor where the copy resumes once the entry is stored
     */
    TeeSource(Content.Source in, Fill fill, int status, List<Map.Entry<String, String>> headers, long max, long declared,
              java.util.concurrent.Executor executor) {
        this.executor = executor;
        this.in = in;
        this.fill = fill;
        this.status = status;
        this.headers = headers;
        this.max = max;
        this.declared = declared;
        this.copy = new byte[(int) (declared >= 0 && declared <= max ? declared : Math.min(8192, max))];
    }

    @Override
    public Content.Chunk read() {
        if (held != null) {
            if (!storing.isDone()) {
                return null; // demand() resumes the copy once the entry is stored
            }
            Content.Chunk last = held;
            held = null;
            return last;
        }
        Content.Chunk chunk = in.read();
        if (chunk == null || finished) {
            return chunk;
        }
        if (Content.Chunk.isFailure(chunk)) {
            giveUp();
            return chunk;
        }
        ByteBuffer b = chunk.getByteBuffer();
        int n = b.remaining();
        if (n > 0) {
            if (length + (long) n > max) {
                giveUp();
                return chunk;
            }
            if (length + n > copy.length) {
                copy = Arrays.copyOf(copy, (int) Math.min(max, Math.max(copy.length * 2L, length + (long) n)));
            }
            b.duplicate().get(copy, length, n);
            length += n;
        }
        // complete at the last chunk, or as soon as the declared length has arrived: the client
        // has its whole answer then, and the entry should be stored before it can ask another node
        if (chunk.isLast() || length == declared) {
            finished = true;
            byte[] body = length == copy.length ? copy : Arrays.copyOf(copy, length);
            copy = null;
            java.util.concurrent.CompletableFuture<Void> stored = fill.store(status, headers, body).toCompletableFuture();
            if (!stored.isDone()) {
                // the client gets its last bytes once any node can answer the same request from the
                // cluster (a millisecond on a LAN), at most STORE_WAIT_MILLIS later
                storing = stored.copy().completeOnTimeout(null, STORE_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
                held = chunk;
                return null;
            }
        }
        return chunk;
    }

    private void giveUp() {
        if (!finished) {
            finished = true;
            copy = null;
            fill.release();
        }
    }

    @Override
    public void demand(Runnable demandCallback) {
        if (held != null) {
            storing.whenCompleteAsync((v, e) -> demandCallback.run(), executor);
            return;
        }
        in.demand(demandCallback);
    }

    /** The longest a client's last bytes wait for the cluster to hold its answer. */
    private static final long STORE_WAIT_MILLIS = 1_000;

    @Override
    public void fail(Throwable failure) {
        giveUp();
        releaseHeld();
        in.fail(failure);
    }

    @Override
    public void fail(Throwable failure, boolean last) {
        giveUp();
        releaseHeld();
        in.fail(failure, last);
    }

    private void releaseHeld() {
        Content.Chunk c = held;
        held = null;
        if (c != null) {
            c.release();
        }
    }

    @Override
    public long getLength() {
        return in.getLength();
    }
}
