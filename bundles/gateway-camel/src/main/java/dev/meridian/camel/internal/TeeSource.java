package dev.meridian.camel.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.eclipse.jetty.io.Content;

import dev.meridian.core.cache.Fill;

/**
 * The upstream's body on its way to the client, copied aside for the cache: the client gets
 * every chunk as it arrives (back-pressure unchanged), and when the last one has passed the
 * copy is stored. A body longer than the cache's limit, or one that fails, releases the fill.
 * Called by one reader at a time (Jetty's {@code Content.copy}).
 */
final class TeeSource implements Content.Source {

    private final Content.Source in;
    private final Fill fill;
    private final int status;
    private final List<Map.Entry<String, String>> headers;
    private final long max;
    private final long declared;
    private byte[] copy;
    private int length;
    private boolean finished;

    /** @param declared the upstream's {@code Content-Length}, or -1 */
    TeeSource(Content.Source in, Fill fill, int status, List<Map.Entry<String, String>> headers, long max, long declared) {
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
            fill.store(status, headers, body);
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
        in.demand(demandCallback);
    }

    @Override
    public void fail(Throwable failure) {
        giveUp();
        in.fail(failure);
    }

    @Override
    public void fail(Throwable failure, boolean last) {
        giveUp();
        in.fail(failure, last);
    }

    @Override
    public long getLength() {
        return in.getLength();
    }
}
