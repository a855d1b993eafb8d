package dev.meridian.http.internal;

import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Jetty's HTTP/1.1 server connection, watched for slow clients ({@link ClientLimits}). Jetty
 * has only an idle timeout, which a client that trickles one byte now and then never meets; so
 * after each read this notes when the current request's head began and when its body began
 * (two volatile writes, nothing allocated), and {@link SlowClientSweeper} closes the connection
 * once the head is late or the body too slow. An idle keep-alive connection (no byte of a next
 * request yet) is not timed here: it keeps the connector's idle timeout.
 *
 * <p>Extends {@code org.eclipse.jetty.server.internal.HttpConnection}, a Jetty-internal class
 * (embedded in this bundle, so its version is ours): the only place where the bytes of a request
 * head are seen before the head is complete.
 */
final class GuardedConnection extends HttpConnection {

    /** {@link System#nanoTime()} when the pending head's first bytes were read; 0 when none is pending. */
    private volatile long headSince;
    /** {@link System#nanoTime()} when the pending body began; 0 when none is pending. */
    private volatile long bodySince;
    /** {@link #getBytesIn()} when the pending body began. */
    private volatile long bodyBase;
    /** {@link #getMessagesIn()} when the pending body began; read and written by the reading thread only. */
    private long bodyMessage;

    GuardedConnection(HttpConfiguration config, Connector connector, EndPoint endPoint) {
        super(config, connector, endPoint);
    }

    @Override
    public void onFillable() {
        super.onFillable();
        observe(System.nanoTime());
    }

    /**
     * Notes, after a read, what of a request is pending. Runs on the thread that read; writes a
     * field only when it changes (the common read, a whole bodiless request, writes nothing).
     */
    private void observe(long now) {
        HttpParser parser = getParser();
        boolean head = inHead(parser);
        boolean body = !head && parser.inContentState();
        if (head != (headSince != 0)) {
            headSince = head ? now : 0;
        }
        if (body) {
            long message = getMessagesIn();
            // a new body, or the body of a later request on this keep-alive connection (whose
            // previous body ended in a read this method did not see)
            if (bodySince == 0 || bodyMessage != message) {
                bodyMessage = message;
                bodyBase = getBytesIn();
                bodySince = now;
            }
        } else if (bodySince != 0) {
            bodySince = 0;
        }
    }

    /** In the request line or the fields: some of a head is read, not all. */
    private static boolean inHead(HttpParser parser) {
        return parser.inHeaderState() && !parser.isStart();
    }

    /**
     * Closes the connection when its pending head is late or its pending body too slow; returns
     * what was wrong, or null. Called by the sweeper's thread: it reads the parser's state again
     * (a plain field Jetty writes on the reading thread; at worst a stale read delays the close
     * to the next sweep), so a request whose head or body completed since the last read is not
     * closed for it.
     */
    String closeIfOverdue(long now, ClientLimits limits) {
        HttpParser parser = getParser();
        long head = headSince;
        if (head != 0 && limits.headLate(now - head) && inHead(parser)) {
            getEndPoint().close();
            return "request head not received within " + limits.headTimeout().toMillis() + " ms";
        }
        long body = bodySince;
        if (body != 0 && parser.inContentState() && limits.bodyTooSlow(getBytesIn() - bodyBase, now - body)) {
            getEndPoint().close();
            return "request body slower than " + limits.minBodyRate() + " bytes/s";
        }
        return null;
    }
}
