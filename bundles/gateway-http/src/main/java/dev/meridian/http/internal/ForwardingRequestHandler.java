package dev.meridian.http.internal;

import java.nio.ByteBuffer;

import org.eclipse.jetty.http.ComplianceViolation;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;

/**
 * A request handler between the server's parser and Jetty's connection that passes every call on
 * to Jetty's handler; the handlers in between ({@link HostReuse}, {@link HitShortcut}) override
 * the calls they change.
 */
abstract class ForwardingRequestHandler implements HttpParser.RequestHandler {

    /** Jetty's connection's handler (or the next one in between). */
    protected final HttpParser.RequestHandler jetty;

    ForwardingRequestHandler(HttpParser.RequestHandler jetty) {
        this.jetty = jetty;
    }

    @Override
    public void startRequest(String method, String uri, HttpVersion version) {
        jetty.startRequest(method, uri, version);
    }

    @Override
    public void messageBegin() {
        jetty.messageBegin();
    }

    @Override
    public void parsedHeader(HttpField field) {
        jetty.parsedHeader(field);
    }

    @Override
    public boolean content(ByteBuffer item) {
        return jetty.content(item);
    }

    @Override
    public boolean headerComplete() {
        return jetty.headerComplete();
    }

    @Override
    public boolean contentComplete() {
        return jetty.contentComplete();
    }

    @Override
    public boolean messageComplete() {
        return jetty.messageComplete();
    }

    @Override
    public void parsedTrailer(HttpField field) {
        jetty.parsedTrailer(field);
    }

    @Override
    public void earlyEOF() {
        jetty.earlyEOF();
    }

    @Override
    public void onViolation(ComplianceViolation.Event event) {
        jetty.onViolation(event);
    }

    @Override
    public ComplianceViolation.Listener getComplianceViolationListener() {
        return jetty.getComplianceViolationListener();
    }

    @Override
    public void badMessage(HttpException failure) {
        jetty.badMessage(failure);
    }
}
