package dev.meridian.http.internal;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.function.LongSupplier;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The traffic port's answers to what Jetty refuses before the handler sees a request (a malformed
 * or smuggling-shaped head: 400; a head over the limit: 431; an unknown HTTP version: 505; a URI
 * Jetty cannot parse): the small JSON body of CONTRACT §4, {@code X-Meridian-Revision} and
 * {@code X-Request-Id} like every other answer, instead of Jetty's HTML page. Jetty closes the
 * connection after a bad message itself.
 *
 * <p>Each such refusal gets one access log line here, as every request the handler answers gets
 * one in {@link GatewayHandler} (an operator expects refused requests in the log, as nginx logs
 * its 400s): {@code api=- ... method=- path="-" status=400 ... refused="reason"}. What Jetty's
 * parser had read is written (the method and path of a head refused for its fields or its size),
 * {@code -} for what it had not (a request line it could not parse: Jetty's stand-in
 * {@code BAD /badMessage}); every value escaped ({@link LogLine#text(String)}). Jetty calls this handler once
 * per refused request, off the path of requests it accepts, so nothing is added to those. A
 * request the gateway's handler failed after logging it carries {@link #LOGGED} and is not
 * written twice.
 */
final class JsonErrorHandler extends ErrorHandler {

    /** Request attribute: this request has its access log line already. */
    static final String LOGGED = "dev.meridian.http.logged";

    private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");

    private final LongSupplier revision;
    private final AccessLog accessLog; // null = off

    JsonErrorHandler(LongSupplier revision, AccessLog accessLog) {
        this.revision = revision;
        this.accessLog = accessLog;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : response.getStatus();
        String message = request.getAttribute(ERROR_MESSAGE) instanceof String m && !m.isBlank() ? m
            : HttpStatus.getMessage(status);
        long served = revision.getAsLong();
        String requestId = GatewayHandler.requestId(request.getHeaders());
        if (accessLog != null && request.getAttribute(LOGGED) == null) {
            // before the answer is written: its line is queued before the client can send anything next
            accessLog.log(line(request, status, served, requestId, message));
        }
        response.setStatus(status);
        response.getHeaders().put(GatewayHandler.serverDate(request)); // the server adds none (sendDateHeader off)
        response.getHeaders().put(GatewayHandler.REVISION, Long.toString(served));
        response.getHeaders().put(GatewayHandler.REQUEST_ID, requestId);
        if (!HttpStatus.hasNoBody(status)) {
            response.getHeaders().put(JSON);
            Content.Sink.write(response, true, ErrorBodies.json(message), callback);
        } else {
            response.write(true, null, callback);
        }
        return true;
    }

    /**
     * The access log line of a connection the slow-client sweeper closed before its request head
     * was complete: status 408 as nginx logs it (no answer is sent: the client is too slow to read
     * one), nothing of the request known, {@code total_ms} since the head's first bytes.
     */
    void headCutShort(SocketAddress client, long nanos, String reason) {
        if (accessLog == null) {
            return;
        }
        LogLine line = accessLog.line();
        accessLog.timestamp(line, System.currentTimeMillis()).raw(" api=- rev=").number(revision.getAsLong())
            .raw(" method=- path=\"-\" status=408 upstream_ms=- total_ms=").millis(nanos)
            .raw(" request_id=- client=")
            .text(client instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress().getHostAddress() : "-")
            .raw(" refused=\"").text(reason).raw('"');
        accessLog.log(line);
    }

    private LogLine line(Request request, int status, long served, String requestId, String reason) {
        HttpURI uri = request.getHttpURI();
        String method = request.getMethod();
        String path = uri == null ? null : uri.getPath();
        if ("BAD".equals(method) && "/badMessage".equals(path)) {
            method = null; // Jetty's stand-in for a request line it could not parse: nothing is known
            path = null;
        }
        LogLine line = accessLog.line();
        return accessLog.timestamp(line, System.currentTimeMillis()).raw(" api=- rev=").number(served)
            .raw(" method=").text(method)
            .raw(" path=\"").text(path)
            .raw("\" status=").number(status)
            .raw(" upstream_ms=- total_ms=").millis(System.nanoTime() - request.getBeginNanoTime())
            .raw(" request_id=").text(requestId)
            .raw(" client=").text(Request.getRemoteAddr(request))
            .raw(" refused=\"").text(reason).raw('"');
    }
}
