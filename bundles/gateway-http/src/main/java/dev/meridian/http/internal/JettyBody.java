package dev.meridian.http.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.eclipse.jetty.io.Content;

import dev.meridian.core.flow.Body;
import dev.meridian.core.flow.BodyTap;

/**
 * The upstream's body as Jetty's client hands it over, streamed to the client with back-pressure
 * ({@link #source}); a tap (the cache) sees each chunk, and may hold the last one back until it
 * is done with the whole body.
 */
final class JettyBody implements Body {

    private final Content.Source in;
    private final long length;
    private final Executor executor;
    private BodyTap tap;

    /** @param executor where the copy resumes when a tap releases a held chunk (not a cluster's callback thread) */
    JettyBody(Content.Source in, long length, Executor executor) {
        this.in = in;
        this.length = length;
        this.executor = executor;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public void tap(BodyTap tap) {
        this.tap = tap;
    }

    @Override
    public void discard(Throwable why) {
        in.fail(why);
    }

    /** What the data plane copies to the client: the body itself, or through the tap. */
    Content.Source source() {
        return tap == null ? in : new Tapped(in, tap, executor);
    }

    /** Called by one reader at a time (Jetty's {@code Content.copy}). */
    private static final class Tapped implements Content.Source {
        private final Content.Source in;
        private final BodyTap tap;
        private final Executor executor;
        private boolean ended;
        /** A chunk held back until the tap's stage completes. */
        private Content.Chunk held;
        private CompletableFuture<Void> holding;

        Tapped(Content.Source in, BodyTap tap, Executor executor) {
            this.in = in;
            this.tap = tap;
            this.executor = executor;
        }

        @Override
        public Content.Chunk read() {
            if (held != null) {
                if (!holding.isDone()) {
                    return null; // demand() resumes the copy once the tap lets it go
                }
                Content.Chunk c = held;
                held = null;
                return c;
            }
            Content.Chunk chunk = in.read();
            if (chunk == null || ended) {
                return chunk;
            }
            if (Content.Chunk.isFailure(chunk)) {
                ended = true;
                tap.failed(chunk.getFailure());
                return chunk;
            }
            CompletionStage<Void> wait = tap.chunk(chunk.getByteBuffer().asReadOnlyBuffer(), chunk.isLast());
            if (chunk.isLast()) {
                ended = true;
            }
            if (wait != null) {
                CompletableFuture<Void> f = wait.toCompletableFuture();
                if (!f.isDone()) {
                    held = chunk;
                    holding = f;
                    return null;
                }
            }
            return chunk;
        }

        @Override
        public void demand(Runnable demandCallback) {
            if (held != null) {
                holding.whenCompleteAsync((v, e) -> demandCallback.run(), executor);
                return;
            }
            in.demand(demandCallback);
        }

        @Override
        public void fail(Throwable failure) {
            release(failure);
            in.fail(failure);
        }

        @Override
        public void fail(Throwable failure, boolean last) {
            release(failure);
            in.fail(failure, last);
        }

        private void release(Throwable failure) {
            if (!ended) {
                ended = true;
                tap.failed(failure);
            }
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
}
