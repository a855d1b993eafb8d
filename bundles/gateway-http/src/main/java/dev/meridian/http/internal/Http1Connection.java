package dev.meridian.http.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * One keep-alive HTTP/1.1 connection to an upstream, carrying one {@link Http1Upstream.Flight}
 * at a time: writes the request head in one write, parses the response with Jetty's
 * {@link HttpParser}, hands the head to the flight and the body as a {@link Content.Source} that
 * the data plane copies to the client with back-pressure (the body is read only as fast as the
 * client takes it). Back to its pool once the body has been read to its end.
 *
 * <p>States: {@code IDLE} (in the pool; a read then means the upstream closed it), {@code BUSY}
 * (a flight's head awaited), {@code BODY} (the flight's body being read), {@code CLOSED}. Reads
 * run on the selector thread (the fill callback is non-blocking, as every step of a request is)
 * or on the thread that reads the body; never both: the body is read only by its one reader, and
 * fill interest is registered only when that reader is waiting.
 */
final class Http1Connection extends AbstractConnection implements HttpParser.ResponseHandler {

    private static final int IDLE = 0;
    private static final int BUSY = 1;
    private static final int BODY = 2;
    private static final int CLOSED = 3;
    private static final int BUFFER = 16 * 1024;
    private static final int HEAD = 8 * 1024;

    private final Http1Upstream.Pool pool;
    private final HttpParser parser;
    private final AtomicInteger state = new AtomicInteger(BUSY);
    /** Direct buffers: a heap buffer is copied into a temporary direct one by every socket read and write (JFR). */
    private final ByteBuffer in = BufferUtil.allocateDirect(BUFFER);
    /** The request head's bytes, reused: a request is written only after the previous one's write completed. */
    private final ByteBuffer out = BufferUtil.allocateDirect(HEAD);
    private final ByteBufferPool buffers;
    /** Fill interest that runs on the selector thread: nothing after it blocks. */
    private final Callback readable = Callback.from(Invocable.InvocationType.NON_BLOCKING, this::onFillable, this::failedRead);
    /** The request's write completed: one of the two things a release waits for. */
    private final Callback written = Callback.from(Invocable.InvocationType.NON_BLOCKING, this::arrive, this::failedWrite);
    /**
     * A connection goes back to the pool once both its request's write completed and its answer
     * was read to the end: on loopback the whole answer can be read before the writing thread
     * has left Jetty's write flusher, and the next request's write would then be refused.
     */
    private final AtomicInteger gate = new AtomicInteger();
    /** How many requests this connection carried (a failure on a reused one before any answer byte may be retried). */
    private int requests;

    /** The flight this connection was opened for, until it is open. */
    Http1Upstream.Flight pending;
    private volatile Http1Upstream.Flight flight;
    private int status;
    private HttpVersion version;
    private HttpFields.Mutable fields;
    private boolean headerDone;
    private boolean persistent;
    private boolean messageDone;
    private boolean bytesSeen;
    private boolean interimDone;
    /**
     * How many bytes of the answer's body are awaited whole before the flight is answered (0:
     * none, the head is handed over as soon as it is parsed). See {@link #wholeBodyToAwait}.
     */
    private long awaitBody;
    /** What the parser found wrong with the answer (a malformed or oversized head, two lengths). */
    private RuntimeException broken;
    private Content.Chunk pendingContent;
    private Body body;

    Http1Connection(EndPoint endPoint, Executor executor, Http1Upstream.Pool pool, HttpCompliance compliance,
                    int maxHeaderBytes, ByteBufferPool buffers) {
        super(endPoint, executor);
        this.pool = pool;
        this.buffers = buffers;
        this.parser = new HttpParser(this, maxHeaderBytes, compliance);
        // No field cache: Jetty's parser would reuse fields seen earlier on the connection, matched
        // case-insensitively unless told otherwise (issue 9: one answer's "MaX-aGe" in another's),
        // and its case-sensitive trie walk was the hottest method of pass-through (12-18% of
        // samples, JFR). Fields are parsed fresh; names of known headers still resolve to HttpHeader.
        parser.setHeaderCacheSize(0);
        parser.setHeaderCacheCaseSensitive(true);
    }

    @Override
    public void onOpen() {
        super.onOpen();
        getEndPoint().setIdleTimeout(pool.idleTimeoutMillis());
        pool.opened(this);
    }

    /** Takes this idle connection for {@code f}; false when it was closed meanwhile. */
    boolean claim(Http1Upstream.Flight f) {
        if (!state.compareAndSet(IDLE, BUSY)) {
            return false;
        }
        start(f);
        return true;
    }

    /** Carries {@code f} (the connection is BUSY: just opened, or claimed). */
    void start(Http1Upstream.Flight f) {
        flight = f;
        requests++;
        status = 0;
        version = null;
        fields = HttpFields.build(16);
        headerDone = false;
        messageDone = false;
        bytesSeen = false;
        interimDone = false;
        awaitBody = 0;
        broken = null;
        persistent = true;
        body = null;
        parser.reset();
        parser.setHeadResponse(f.head());
        if (!f.attach(this)) {
            // answered (timed out) while it waited for a connection: nothing was sent, the connection stays usable
            flight = null;
            requests--;
            idle();
            return;
        }
        gate.set(2);
        Http1Upstream.Latin1 head = f.requestHead();
        getEndPoint().write(written, head.copyTo(out) ? out : head.wrap());
        if (!isFillInterested()) {
            tryFillInterested(readable);
        }
    }

    /** A connection with nothing to carry (just opened for a flight that no longer waits): back to the pool. */
    void idle() {
        if (state.compareAndSet(BUSY, IDLE)) {
            if (!isFillInterested()) {
                tryFillInterested(readable);
            }
            pool.release(this);
        }
    }

    /** The flight whose answer's head this connection awaits, or null. */
    Http1Upstream.Flight awaiting() {
        return state.get() == BUSY ? flight : null;
    }

    boolean reused() {
        return requests > 1;
    }

    /** Closes the connection, failing what it carries with {@code why}. */
    void abort(Throwable why) {
        fail(why);
    }

    @Override
    public void onFillable() {
        int s = state.get();
        if (s == IDLE) {
            idleRead();
            return;
        }
        if (s == BODY) {
            Body b = body;
            if (b != null) {
                b.readable();
            }
            return;
        }
        if (s != BUSY) {
            return;
        }
        try {
            while (!headerDone) {
                if (parseBuffered()) {
                    if (!headerDone && closedEarly()) {
                        return;
                    }
                    continue;
                }
                if (in.remaining() == in.capacity()) {
                    // the parser holds on to a head line that fills the whole buffer
                    throw new HttpException.RuntimeException(502, "upstream answer head too large");
                }
                int n = getEndPoint().fill(in);
                if (n == 0) {
                    tryFillInterested(readable);
                    return;
                }
                if (n < 0) {
                    parser.atEOF();
                    parser.parseNext(in);
                    if (!headerDone && closedEarly()) {
                        return;
                    }
                } else {
                    bytesSeen = true;
                }
            }
            // the head is complete; a small body of known length is awaited whole (wholeBodyToAwait)
            while (in.remaining() < awaitBody) {
                int n = getEndPoint().fill(in);
                if (n == 0) {
                    tryFillInterested(readable);
                    return;
                }
                if (n < 0) {
                    throw new EOFException("upstream closed the connection inside its answer");
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
            return;
        }
        // the head is complete: the body is read by the flight's reader from now on
        state.compareAndSet(BUSY, BODY);
        body = new Body(fields.getLongField(HttpHeader.CONTENT_LENGTH));
        Http1Upstream.Flight f = flight;
        if (f != null) {
            f.answered(status, fields, body);
        }
    }

    /**
     * Parses what the buffer holds (at least once, even empty: an answer without a body completes
     * without another byte); true when the parser stopped on an event (head, content, end) or can
     * go no further.
     */
    private boolean parseBuffered() {
        do {
            boolean stopped = parser.parseNext(in);
            if (broken != null) {
                throw broken;
            }
            if (stopped) {
                if (interimDone) {
                    // an interim answer ended; the final one follows on the same connection
                    interimDone = false;
                    fields = HttpFields.build(16);
                    parser.reset();
                    Http1Upstream.Flight f = flight;
                    parser.setHeadResponse(f != null && f.head());
                    continue;
                }
                return true;
            }
            if (parser.isComplete() || parser.isState(HttpParser.State.CLOSED)) {
                return true;
            }
        } while (in.hasRemaining());
        return false;
    }

    /** The parser ended without a head: the upstream closed or broke the connection. True when failed. */
    private boolean closedEarly() {
        if (parser.isState(HttpParser.State.CLOSED) || parser.isComplete()) {
            fail(new EOFException("upstream closed the connection before its answer"));
            return true;
        }
        return false;
    }

    private void idleRead() {
        try {
            int n = getEndPoint().fill(in);
            if (n == 0) {
                tryFillInterested(readable);
                return;
            }
        } catch (IOException e) {
            // closed below
        }
        close(); // the upstream closed an idle connection (or sent bytes nobody asked for)
    }

    private void failedRead(Throwable x) {
        fail(x);
    }

    private void failedWrite(Throwable x) {
        fail(x);
    }

    @Override
    public void onFillInterestedFailed(Throwable cause) {
        fail(cause);
    }

    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
        fail(timeout);
        return true;
    }

    @Override
    public void onClose(Throwable cause) {
        super.onClose(cause);
        fail(cause == null ? new EOFException("upstream connection closed") : cause);
    }

    /** Ends the connection and fails the flight or the body it carries (each at most once). */
    private void fail(Throwable why) {
        int previous = state.getAndSet(CLOSED);
        if (previous == CLOSED) {
            return;
        }
        pool.closed(this, previous == IDLE);
        Http1Upstream.Flight f = flight;
        flight = null;
        if (previous == BUSY && f != null) {
            f.failed(why, reused() && !bytesSeen);
        } else if (previous == BODY && body != null) {
            body.failed(why);
        }
        getEndPoint().close(why);
    }

    /** The body was read to its end: back to the pool, or closed when the upstream will not keep it. */
    private void done() {
        dropPending();
        flight = null;
        body = null;
        if (persistent && !in.hasRemaining()) {
            arrive();
        } else {
            fail(new EOFException("upstream connection not kept alive"));
        }
    }

    private void dropPending() {
        Content.Chunk c = pendingContent;
        pendingContent = null;
        if (c != null) {
            c.release();
        }
    }

    /** The write completed, or the answer was read: the second of them releases the connection. */
    private void arrive() {
        if (gate.decrementAndGet() == 0 && state.compareAndSet(BODY, IDLE)) {
            tryFillInterested(readable); // to learn at once when the upstream closes it
            pool.release(this);
        }
    }

    // ---- HttpParser.ResponseHandler: called on the thread that parses

    @Override
    public void startResponse(HttpVersion v, int code, String reason) {
        version = v;
        status = code;
        persistent = v == HttpVersion.HTTP_1_1;
    }

    @Override
    public void parsedHeader(HttpField field) {
        if (field.getHeader() == HttpHeader.CONNECTION) {
            if (field.contains(HttpHeaderValue.CLOSE.asString())) {
                persistent = false;
            } else if (version == HttpVersion.HTTP_1_0 && field.contains(HttpHeaderValue.KEEP_ALIVE.asString())) {
                persistent = true;
            }
        }
        fields.add(field);
    }

    @Override
    public boolean headerComplete() {
        if (status >= 100 && status < 200) {
            return false; // interim: handled at its messageComplete
        }
        headerDone = true;
        awaitBody = wholeBodyToAwait();
        return true;
    }

    /**
     * The length of a body that is awaited whole before the flight is answered: a
     * {@code Content-Length} body that fits the connection's buffer. Until its last byte arrives
     * the flight is still waiting for its answer, so an upstream that dies between its head and
     * its body (a target killed under load, seen in CI: the head and the body are two writes) fails
     * the flight before anything reached the data plane: 502, which the upstream's retries send to
     * another target, instead of a status already committed to and a body cut short. A stalled body
     * then counts against the request's timeout (504) like a late head. Not for bodies that are
     * chunked, close-delimited or larger than the buffer: those stream as they arrive (an event
     * stream's head must not wait for its first event). 0: nothing awaited.
     */
    private long wholeBodyToAwait() {
        Http1Upstream.Flight f = flight;
        if (status == 204 || status == 304 || f == null || f.head() || fields.contains(HttpHeader.TRANSFER_ENCODING)) {
            return 0;
        }
        long length = parser.getContentLength(); // as the parser read Content-Length (-1: none)
        return length > 0 && length <= BUFFER ? length : 0;
    }

    @Override
    public boolean content(ByteBuffer content) {
        if (!content.hasRemaining()) {
            return false;
        }
        // copied into a pooled direct buffer, released once the data plane wrote it to the client
        RetainableByteBuffer.Mutable copy = buffers.acquire(content.remaining(), true);
        ByteBuffer b = copy.getByteBuffer();
        BufferUtil.append(b, content);
        pendingContent = Content.Chunk.asChunk(b, false, copy);
        return true;
    }

    @Override
    public boolean contentComplete() {
        return false;
    }

    @Override
    public boolean messageComplete() {
        if (status >= 100 && status < 200) {
            Http1Upstream.Flight f = flight;
            if (status == 103 && f != null) {
                f.interim(fields);
            }
            if (status == 101) {
                broken = new HttpException.RuntimeException(502, "upstream switched protocols");
                return true;
            }
            interimDone = true; // reset outside the parser's own call
            return true;
        }
        messageDone = true;
        return true;
    }

    @Override
    public void earlyEOF() {
        persistent = false;
    }

    @Override
    public void badMessage(HttpException failure) {
        // not thrown from here: the parser catches what its handler throws and only closes itself
        persistent = false;
        broken = failure instanceof RuntimeException r ? r : new IllegalStateException(failure.getReason());
    }

    /**
     * The answer's body, read by one reader at a time ({@code Content.copy}): chunks parsed from
     * the connection's buffer as they are asked for, a fill when the buffer is empty, fill
     * interest when the socket has nothing yet.
     */
    final class Body implements Content.Source {
        private final long length;
        private Runnable demand;
        private Throwable failure;
        private boolean ended;

        Body(long length) {
            this.length = length;
        }

        @Override
        public long getLength() {
            return length;
        }

        @Override
        public Content.Chunk read() {
            if (failure != null) {
                return Content.Chunk.from(failure, true);
            }
            if (ended) {
                return Content.Chunk.EOF;
            }
            try {
                while (true) {
                    Content.Chunk c = pendingContent;
                    if (c != null) {
                        pendingContent = null;
                        return c;
                    }
                    if (messageDone) {
                        ended = true;
                        done();
                        return Content.Chunk.EOF;
                    }
                    if (parseBuffered()) {
                        if (pendingContent == null && !messageDone && parser.isState(HttpParser.State.CLOSED)) {
                            throw new EOFException("upstream closed the connection inside its answer");
                        }
                        continue;
                    }
                    int n = getEndPoint().fill(in);
                    if (n == 0) {
                        return null;
                    }
                    if (n < 0) {
                        parser.atEOF();
                        parser.parseNext(in);
                        if (!messageDone && pendingContent == null) {
                            throw new EOFException("upstream closed the connection inside its answer");
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                failed(e);
                fail(e);
                return Content.Chunk.from(e, true);
            }
        }

        @Override
        public void demand(Runnable demandCallback) {
            if (failure != null || ended || pendingContent != null || in.hasRemaining()) {
                getExecutor().execute(demandCallback);
                return;
            }
            demand = demandCallback;
            tryFillInterested(readable);
        }

        /** The socket has bytes: the waiting reader reads them. */
        void readable() {
            Runnable d = demand;
            demand = null;
            if (d != null) {
                d.run();
            }
        }

        @Override
        public void fail(Throwable why) {
            if (!ended && failure == null) {
                failed(why);
                Http1Connection.this.fail(why); // a body left unread: the connection cannot carry another answer
            }
        }

        void failed(Throwable why) {
            if (failure == null && !ended) {
                failure = why;
                Runnable d = demand;
                demand = null;
                if (d != null) {
                    getExecutor().execute(d);
                }
            }
        }
    }
}
