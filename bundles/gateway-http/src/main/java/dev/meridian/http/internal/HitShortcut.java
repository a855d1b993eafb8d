package dev.meridian.http.internal;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.http.ComplianceViolation;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's cache hits answered by the connection itself, between the server's parser and
 * Jetty's request handling: a fresh hit of this node's memory is written to the socket as soon as
 * its head is parsed, without Jetty's channel, request, response and their callbacks, which were
 * ~35% of a hit's Java samples (JFR, bench/README.md, 2026-12-06). Every other request reaches
 * Jetty exactly as it would without this class.
 *
 * <p><b>Which requests.</b> An {@code HTTP/1.1} {@code GET} or {@code HEAD} in origin form, with
 * one {@code Host} and none of the fields that change how Jetty frames or keeps the connection
 * ({@code Connection}, {@code Content-Length}, {@code Transfer-Encoding}, {@code Expect},
 * {@code Upgrade}, {@code HTTP2-Settings}), no conditional or range field, and no compliance
 * event from the parser. Its fields are held here (not yet given to Jetty) until its head is
 * complete; then {@link GatewayHandler#answerHit} decides: only a fresh hit of this node's memory
 * on a route without policies is answered here, having run the same routing, cache decision,
 * stamps, metrics and access log line as Jetty's way. Anything else (a field above, a miss, a
 * stale entry, a path {@code RequestPath} refuses, a draining node) is handed to Jetty as the
 * parser gave it: the held start line and fields, in order, then the head's end.
 *
 * <p><b>Order on the connection.</b> An answer written here usually leaves at once (one write).
 * When the socket takes only part of it, the rest is written when the client reads; meanwhile a
 * next request on the connection (pipelined, or sent before this side saw the write finish) is not
 * answered here, and Jetty's handling of it waits until the write is done
 * ({@link #runAfterWrite}, called by {@link GatewayHandler}), so answers leave in request order.
 *
 * <p>Owned by the connection's reading thread, like its parser; only {@link #writing} is shared
 * with the thread that completes a write.
 */
final class HitShortcut extends ForwardingRequestHandler {

    private static final Logger LOG = LoggerFactory.getLogger(HitShortcut.class);

    /** No request held (Jetty gets every call). */
    private static final int PASS = 0;
    /** A candidate's start line and fields are held here. */
    private static final int HOLD = 1;
    /** The request was answered here: its end is not Jetty's business. */
    private static final int ANSWERED = 2;

    private static final Object WRITING = new Object();

    private final GatewayHandler gateway;
    private final EndPoint endPoint;
    /** The parser this handler is given calls by; set once, right after it is made. */
    private HttpParser parser;

    private int mode = PASS;
    /**
     * The parser began a message that Jetty has not been told of yet. Jetty's {@code messageBegin}
     * initializes its channel for a request (a compliance listener wrapped once more each time) and
     * only its handling of that request resets it: told of a request it never handles, the channel
     * would keep one wrapper per request answered here (seen: 30-40 ms young pauses, 4 MiB more kept
     * after each). So Jetty is told only of the requests it gets.
     */
    private boolean begun;
    /** A request was answered here since {@link #answeredOne} was last asked. */
    private boolean answered;
    /** The last request parsed was answered here, and Jetty's connection has not read since: see {@link #skipRead}. */
    private boolean skipRead;
    private String method;
    private String uri;
    /** The held request's URI, parsed ({@link #parse}). */
    private HttpURI parsed;
    private HttpVersion version;
    private HttpField[] held = new HttpField[16];
    private int heldCount;
    private boolean host;
    /** The peer's address as Jetty's {@code Request.getRemoteAddr} gives it, once asked. */
    private String peer;
    /** Null when no answer of this connection is being written; else {@link #WRITING} or what runs once it is written. */
    private final AtomicReference<Object> writing = new AtomicReference<>();
    /** The head of an answer, reused: written only while no other is being written; made at the first answer. */
    private ByteBuffer head;

    HitShortcut(HttpParser.RequestHandler jetty, GatewayHandler gateway, EndPoint endPoint) {
        super(jetty);
        this.gateway = gateway;
        this.endPoint = endPoint;
    }

    void parser(HttpParser parser) {
        this.parser = parser;
    }

    /** Whether a request was answered here since the last call (the parser then goes on with the next, {@link BulkFieldParser#parseNext}). */
    boolean answeredOne() {
        boolean a = answered;
        answered = false;
        return a;
    }

    @Override
    public void startRequest(String method, String uri, HttpVersion version) {
        if (version == HttpVersion.HTTP_1_1 && ("GET".equals(method) || "HEAD".equals(method))
            && !uri.isEmpty() && uri.charAt(0) == '/' && writing.get() == null && gateway.answersHits()
            && (parsed = parse(method, uri)) != null) {
            mode = HOLD;
            this.method = method;
            this.uri = uri;
            this.version = version;
            heldCount = 0;
            host = false;
            return;
        }
        mode = PASS;
        skipRead = false;
        tellBegin();
        jetty.startRequest(method, uri, version);
    }

    /**
     * Whether Jetty's connection, about to read again after a request answered here, should not:
     * true once after such a request. Jetty's read loop reads again after every parse that did not
     * hand it a request, and read twice (nothing, twice: 1.8 system calls more per hit, measured)
     * before it asks the selector to wait for bytes; after a request it handled itself it waits at
     * once. Told that its buffer is not empty, it reads nothing, parses nothing new and waits for
     * bytes the same way ({@link GuardedConnection#isRequestBufferEmpty}). A plain field: read by
     * the reading thread, and at worst stale on a thread completing a request of Jetty's, which
     * then runs the connection again instead of waiting for bytes (both correct).
     */
    boolean skipRead() {
        if (skipRead) {
            skipRead = false;
            return true;
        }
        return false;
    }

    /**
     * {@code uri} parsed as Jetty parses it; null when Jetty's URI compliance has a say (a
     * violation) or Jetty refuses it (it throws): such a request is Jetty's from its start line
     * on, so Jetty refuses it at the same point and in the same way as without this class.
     */
    private static HttpURI parse(String method, String uri) {
        try {
            HttpURI u = HttpURI.from(method, uri);
            return u.hasViolations() || u.getPath() == null ? null : u;
        } catch (RuntimeException refused) {
            return null;
        }
    }

    /** Tells Jetty of the message the parser began, if it has not been told. */
    private void tellBegin() {
        if (begun) {
            begun = false;
            jetty.messageBegin();
        }
    }

    @Override
    public void parsedHeader(HttpField field) {
        if (mode == HOLD) {
            if (keeps(field)) {
                if (heldCount == held.length) {
                    held = java.util.Arrays.copyOf(held, heldCount * 2);
                }
                held[heldCount++] = field;
                return;
            }
            release();
        }
        jetty.parsedHeader(field);
    }

    /** Whether {@code field} keeps the held request a candidate. */
    private boolean keeps(HttpField field) {
        HttpHeader h = field.getHeader();
        if (h == null) {
            return true;
        }
        switch (h) {
            case HOST:
                if (host) {
                    return false; // a second Host: Jetty refuses it
                }
                host = true;
                return true;
            case CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING, EXPECT, UPGRADE, HTTP2_SETTINGS,
                 IF_NONE_MATCH, IF_MODIFIED_SINCE, IF_MATCH, IF_UNMODIFIED_SINCE, IF_RANGE, RANGE:
                return false;
            default:
                return true;
        }
    }

    /** Gives Jetty the held start line and fields, as the parser gave them; from now on every call goes to Jetty. */
    private void release() {
        mode = PASS;
        skipRead = false;
        tellBegin();
        jetty.startRequest(method, uri, version);
        for (int i = 0; i < heldCount; i++) {
            jetty.parsedHeader(held[i]);
            held[i] = null;
        }
        heldCount = 0;
    }

    @Override
    public boolean headerComplete() {
        if (mode == HOLD) {
            if (host && answer()) {
                mode = ANSWERED;
                begun = false; // Jetty never hears of it
                for (int i = 0; i < heldCount; i++) {
                    held[i] = null;
                }
                return false; // the parser goes on: this request's end, then the next request
            }
            release();
        }
        return jetty.headerComplete();
    }

    /** Asks the gateway to answer the held request; false: it is Jetty's. */
    private boolean answer() {
        try {
            HttpFields.Mutable fields = HttpFields.build(heldCount + 4);
            for (int i = 0; i < heldCount; i++) {
                fields.add(held[i]);
            }
            return gateway.answerHit(this, method, parsed, fields.asImmutable());
        } catch (RuntimeException bug) {
            // nothing was answered (answerHit keeps what it began to itself): Jetty's way takes it
            LOG.error("a request could not be decided on the connection; Jetty's way takes it", bug);
            return false;
        }
    }

    /** The client's address as {@code Request.getRemoteAddr} gives it. */
    String peer() {
        String p = peer;
        if (p == null) {
            SocketAddress a = endPoint.getRemoteSocketAddress();
            p = a instanceof InetSocketAddress i ? Request.getHostName(i) : String.valueOf(a);
            peer = p;
        }
        return p;
    }

    /**
     * The head buffer to fill, cleared, of at least {@code bytes}: the connection's own, made
     * larger when it is too small. Only between {@link #startRequest} and {@link #write} of a
     * request answered here (no other answer of this connection is being written then).
     */
    ByteBuffer head(int bytes) {
        if (head == null || head.capacity() < bytes) {
            head = ByteBuffer.allocate(Math.max(Math.max(bytes, 2048), head == null ? 0 : head.capacity() * 2));
        }
        head.clear();
        return head;
    }

    /** An answer of this connection is being written from now on: no request is held until it is. */
    void begin() {
        writing.set(WRITING);
    }

    /**
     * Writes the answer {@link #begin} announced: {@code done} once it is written or failed, then
     * whatever waited for it.
     */
    void write(Callback done, ByteBuffer... buffers) {
        endPoint.write(new Callback() {
            @Override
            public void succeeded() {
                try {
                    done.succeeded();
                } finally {
                    written();
                }
            }

            @Override
            public void failed(Throwable x) {
                try {
                    done.failed(x);
                } finally {
                    written();
                }
            }

            @Override
            public InvocationType getInvocationType() {
                return InvocationType.NON_BLOCKING; // bookkeeping only; what waited is run below, not here
            }
        }, buffers);
    }

    /** Ends the write {@link #begin} announced without writing (the answer could not be made). */
    void cancel() {
        written();
    }

    /** Closes the connection after an answer written here failed (what the client has of it is cut short). */
    void abort(Throwable failure) {
        endPoint.close(failure);
    }

    private void written() {
        Object after = writing.getAndSet(null);
        if (after instanceof Runnable r) {
            // the next request's handling, which waited (see runAfterWrite): off the thread that
            // completed the write, or on it when the pool takes no more (the handler does not block)
            try {
                gateway.getServer().getThreadPool().execute(r);
            } catch (RejectedExecutionException full) {
                r.run();
            }
        }
    }

    /**
     * Runs {@code next} once the answer being written here is written, and returns true; returns
     * false when none is being written (the caller goes on at once). For Jetty's handling of a
     * request that followed an answer written here.
     */
    boolean runAfterWrite(Runnable next) {
        return writing.get() == WRITING && writing.compareAndSet(WRITING, next);
    }

    @Override
    public void messageBegin() {
        begun = true; // told with the request's start line, if Jetty gets the request (tellBegin)
    }

    @Override
    public boolean content(ByteBuffer item) {
        return mode != ANSWERED && jetty.content(item);
    }

    @Override
    public boolean contentComplete() {
        return mode != ANSWERED && jetty.contentComplete();
    }

    @Override
    public boolean messageComplete() {
        if (mode == ANSWERED) {
            // Jetty resets its parser once its answer is done; this one's is on its way (a next
            // request waits for it, see runAfterWrite): the parser may read the next request now
            mode = PASS;
            parser.reset();
            answered = true;
            skipRead = true;
            return false;
        }
        return jetty.messageComplete();
    }

    @Override
    public void earlyEOF() {
        if (mode == HOLD) {
            release();
        }
        tellBegin();
        jetty.earlyEOF();
    }

    @Override
    public void onViolation(ComplianceViolation.Event event) {
        if (mode == HOLD) {
            release(); // allowed, but Jetty records it: Jetty's request
        }
        tellBegin();
        jetty.onViolation(event);
    }

    @Override
    public void badMessage(HttpException failure) {
        if (mode == HOLD) {
            release();
        }
        tellBegin();
        jetty.badMessage(failure);
    }
}
