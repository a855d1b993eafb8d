package dev.meridian.http.internal;

import java.nio.ByteBuffer;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;

/**
 * A spooled request body as the upstream request's content: read from its {@link SpoolFile} in
 * chunks of {@link #CHUNK} bytes on the spool's executor, one read ahead at most, so the client
 * sending it upstream never reads the disk on its own (selector) thread. A fresh buffer per chunk:
 * a spooled body is at least {@code MERIDIAN_BODY_BUFFER} bytes, so the allocation is small next to
 * the copy, and Jetty may hold a chunk until the socket takes it.
 *
 * <p>Jetty's client calls {@link #read()} and {@link #demand} from one thread at a time; the
 * spool's thread completes reads. The few fields they share are guarded by this object's lock
 * (held for a handful of assignments, never across I/O or a callback).
 */
final class SpooledContent implements Request.Content {

    static final int CHUNK = 64 * 1024;

    private final SpoolFile file;
    private final String type;
    private final long length;
    private long position;
    private Content.Chunk ready;
    private boolean reading;
    private Runnable demand;
    private Throwable failure;

    SpooledContent(SpoolFile file, String type, long length) {
        this.file = file;
        this.type = type;
        this.length = length;
    }

    @Override
    public String getContentType() {
        return type;
    }

    @Override
    public long getLength() {
        return length;
    }

    @Override
    public Content.Chunk read() {
        synchronized (this) {
            if (failure != null) {
                return Content.Chunk.from(failure, true);
            }
            Content.Chunk c = ready;
            if (c != null) {
                ready = null;
                return c;
            }
            if (position >= length && !reading) {
                return Content.Chunk.EOF;
            }
        }
        return null;
    }

    @Override
    public void demand(Runnable callback) {
        boolean now;
        long from = 0;
        int size = 0;
        synchronized (this) {
            now = ready != null || failure != null || position >= length && !reading;
            if (!now) {
                demand = callback;
                if (!reading) {
                    reading = true;
                    from = position;
                    size = (int) Math.min(CHUNK, length - position);
                }
            }
        }
        if (now) {
            callback.run();
        } else if (size > 0) {
            readAhead(from, size);
        }
    }

    private void readAhead(long from, int size) {
        ByteBuffer into = ByteBuffer.allocate(size);
        file.read(from, into, new Callback() {
            @Override
            public void succeeded() {
                into.flip();
                Runnable wake;
                synchronized (SpooledContent.this) {
                    reading = false;
                    position = from + size;
                    ready = Content.Chunk.from(into, position >= length);
                    wake = demand;
                    demand = null;
                }
                if (wake != null) {
                    wake.run();
                }
            }

            @Override
            public void failed(Throwable x) {
                Runnable wake;
                synchronized (SpooledContent.this) {
                    reading = false;
                    if (failure == null) {
                        failure = x;
                    }
                    wake = demand;
                    demand = null;
                }
                if (wake != null) {
                    wake.run();
                }
            }
        });
    }

    @Override
    public void fail(Throwable why) {
        synchronized (this) {
            if (failure == null) {
                failure = why;
            }
            ready = null;
        }
    }

    @Override
    public boolean rewind() {
        synchronized (this) {
            if (reading) {
                return false;
            }
            position = 0;
            ready = null;
            failure = null;
            return true;
        }
    }
}
