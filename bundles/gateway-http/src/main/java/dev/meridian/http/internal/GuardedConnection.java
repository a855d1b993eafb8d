package dev.meridian.http.internal;

import java.net.SocketAddress;

import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Jetty's HTTP/1.1 server connection, watched for slow clients ({@link ClientLimits}). Jetty
 * has only an idle timeout, which a client that trickles one byte now and then never meets; so
 * after each read this notes when the current request's head began (a volatile write, nothing
 * allocated), the gateway notes when it starts reading a body ({@link #bodyReadStarts}), and
 * {@link SlowClientSweeper} closes the connection once the head is late or the body too slow. A
 * body is timed from when the gateway starts reading it, not from its head: while a policy holds
 * the request nothing reads the body, and the client must not be blamed for that. An idle
 * keep-alive connection (no byte of a next request yet) is not timed here: it keeps the
 * connector's idle timeout.
 *
 * <p>Extends {@code org.eclipse.jetty.server.internal.HttpConnection}, a Jetty-internal class
 * (embedded in this bundle, so its version is ours): the only place where the bytes of a request
 * head are seen before the head is complete, and where its parser is made ({@link BulkFieldParser}).
 */
final class GuardedConnection extends HttpConnection {

    /** Fresh cache hits answered before Jetty's request handling; null when the server's handler is not the gateway's. */
    private HitShortcut hits;
    /** {@link System#nanoTime()} when the pending head's first bytes were read; 0 when none is pending. */
    private volatile long headSince;
    /** {@link System#nanoTime()} when the gateway started reading the pending body; 0 when none is read. */
    private volatile long bodySince;
    /** {@link #getBytesIn()} when the gateway started reading the pending body. */
    private volatile long bodyBase;

    GuardedConnection(HttpConfiguration config, Connector connector, EndPoint endPoint) {
        super(config, connector, endPoint);
    }

    /**
     * Jetty's parser with long field values taken in bulk, on Jetty's handler (a connection's
     * {@code Host} field handed on with its values parsed once: {@link HostReuse}) and settings.
     */
    @Override
    protected HttpParser newHttpParser(HttpCompliance compliance) {
        HttpParser jetty = super.newHttpParser(compliance);
        HttpParser.RequestHandler handler = new HostReuse((HttpParser.RequestHandler) jetty.getHandler());
        HitShortcut shortcut = getConnector().getServer().getHandler() instanceof GatewayHandler gateway
            ? new HitShortcut(handler, gateway, getEndPoint()) : null;
        BulkFieldParser parser = new BulkFieldParser(shortcut != null ? shortcut : handler,
            getHttpConfiguration().getRequestHeaderSize(), compliance);
        parser.setHeaderCacheSize(jetty.getHeaderCacheSize());
        parser.setHeaderCacheCaseSensitive(jetty.isHeaderCacheCaseSensitive());
        if (shortcut != null) {
            shortcut.parser(parser);
            parser.shortcut(shortcut);
        }
        hits = shortcut; // (called by Jetty's constructor: the field has no initializer to overwrite it)
        return parser;
    }

    /**
     * Runs {@code next} once the answer this connection is writing by itself ({@link HitShortcut})
     * is written, and returns true; false when it writes none (the caller goes on at once).
     */
    boolean runAfterHitWritten(Runnable next) {
        HitShortcut h = hits;
        return h != null && h.runAfterWrite(next);
    }

    /** Also false once after a request {@link HitShortcut} answered: Jetty then waits for bytes instead of reading ({@link HitShortcut#skipRead}). */
    @Override
    public boolean isRequestBufferEmpty() {
        HitShortcut h = hits;
        if (h != null && h.skipRead()) {
            return false;
        }
        return super.isRequestBufferEmpty();
    }

    @Override
    public void onFillable() {
        super.onFillable();
        observe(System.nanoTime());
    }

    /**
     * Notes, after a read, whether a head is pending, and forgets a body clock once no body is
     * pending. Runs on the thread that read; writes a field only when it changes (the common
     * read, a whole bodiless request, writes nothing).
     */
    private void observe(long now) {
        HttpParser parser = getParser();
        boolean head = inHead(parser);
        if (head != (headSince != 0)) {
            headSince = head ? now : 0;
        }
        if (bodySince != 0 && (head || !parser.inContentState())) {
            bodySince = 0;
        }
    }

    /**
     * Starts the clock of the body {@code request} is about to read: from now it must arrive at
     * the minimum rate. Called once per request with a body, by the one reading it.
     */
    static void bodyReadStarts(Request request) {
        if (request.getConnectionMetaData().getConnection() instanceof GuardedConnection c) {
            c.bodyBase = c.getBytesIn();
            c.bodySince = System.nanoTime();
        }
    }

    /** In the request line or the fields: some of a head is read, not all. */
    private static boolean inHead(HttpParser parser) {
        return parser.inHeaderState() && !parser.isStart();
    }

    /** Why the sweeper closed a connection. */
    enum Overdue { HEAD, BODY }

    /** The client's address, noted when the sweeper closes the connection (a closed channel has none). */
    private volatile SocketAddress closedClient;

    /** Who the sweeper closed this connection on; null before it did. */
    SocketAddress closedClient() {
        return closedClient;
    }

    /** When the pending head's first bytes arrived ({@link System#nanoTime()}), 0 when none is pending. */
    long headSince() {
        return headSince;
    }

    /**
     * Closes the connection when its pending head is late or its pending body too slow; returns
     * what was wrong, or null. Called by the sweeper's thread: it reads the parser's state again
     * (a plain field Jetty writes on the reading thread; at worst a stale read delays the close
     * to the next sweep), so a request whose head or body completed since the last read is not
     * closed for it.
     */
    Overdue closeIfOverdue(long now, ClientLimits limits) {
        HttpParser parser = getParser();
        long head = headSince;
        if (head != 0 && limits.headLate(now - head) && inHead(parser)) {
            closedClient = getEndPoint().getRemoteSocketAddress();
            getEndPoint().close();
            return Overdue.HEAD;
        }
        long body = bodySince;
        if (body != 0 && parser.inContentState() && limits.bodyTooSlow(getBytesIn() - bodyBase, now - body)) {
            getEndPoint().close();
            return Overdue.BODY;
        }
        return null;
    }
}
