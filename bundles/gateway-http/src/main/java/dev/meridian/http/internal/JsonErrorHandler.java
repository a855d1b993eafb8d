package dev.meridian.http.internal;

import java.util.function.LongSupplier;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The traffic port's answers to what Jetty refuses before the handler sees a request (a malformed
 * or smuggling-shaped head: 400; a head over the limit: 431; a URI Jetty cannot parse): the small
 * JSON body of CONTRACT §4, {@code X-Meridian-Revision} and {@code X-Request-Id} like every other
 * answer, instead of Jetty's HTML page. Jetty closes the connection after a bad message itself.
 */
final class JsonErrorHandler extends ErrorHandler {

    private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");

    private final LongSupplier revision;

    JsonErrorHandler(LongSupplier revision) {
        this.revision = revision;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : response.getStatus();
        String message = request.getAttribute(ERROR_MESSAGE) instanceof String m && !m.isBlank() ? m
            : HttpStatus.getMessage(status);
        response.setStatus(status);
        response.getHeaders().put(GatewayHandler.serverDate(request)); // the server adds none (sendDateHeader off)
        response.getHeaders().put(GatewayHandler.REVISION, Long.toString(revision.getAsLong()));
        response.getHeaders().put(GatewayHandler.REQUEST_ID, GatewayHandler.requestId(request.getHeaders()));
        if (!HttpStatus.hasNoBody(status)) {
            response.getHeaders().put(JSON);
            Content.Sink.write(response, true, ErrorBodies.json(message), callback);
        } else {
            response.write(true, null, callback);
        }
        return true;
    }
}
