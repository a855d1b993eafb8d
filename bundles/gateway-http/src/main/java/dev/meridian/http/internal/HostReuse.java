package dev.meridian.http.internal;

import java.util.List;

import org.eclipse.jetty.http.HostPortHttpField;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpParser;

/**
 * Jetty's request handler, between the parser and the connection, handing on a connection's
 * {@code Host} field with its list of values parsed once.
 *
 * <p>Jetty checks every request's fields before its handler runs
 * ({@code ComplianceUtils.verify}, called unconditionally by {@code HttpChannelState}); for
 * {@code Host} it asks {@link HttpField#getValues()}, which parses the value as a quoted CSV each
 * time (a {@code QuotedCSV}, its buffer, a list, a string): 2.2% of a cache hit's samples (JFR,
 * 2026-12-04, again 2026-12-06). The data plane's parser keeps no fields between requests (its
 * field cache cost more than it saved, see {@code DataPlaneComponent}), so each request brings a
 * new {@code Host} field. When a connection's request repeats the previous request's
 * {@code Host} line (name and value, exactly), this handler hands on one equal field, made once
 * per connection, whose list of values was parsed when it was made: a string comparison
 * instead of the parse. Every other field and call is passed on unchanged.
 */
final class HostReuse extends ForwardingRequestHandler {

    /** The previous request's {@code Host} field, as the parser gave it. */
    private HttpField previous;
    /** What is handed on for a {@code Host} line equal to {@link #previous}'s, once one came; else null. */
    private HttpField handed;

    HostReuse(HttpParser.RequestHandler jetty) {
        super(jetty);
    }

    @Override
    public void parsedHeader(HttpField field) {
        if (field.getHeader() == HttpHeader.HOST && field instanceof HostPortHttpField host) {
            HttpField h = handed;
            if (h != null && same(h, field)) {
                field = h;
            } else if (previous != null && same(previous, field)) {
                // the second request with this line: from now on one field for all of them
                handed = Parsed.of(host);
                field = handed;
            } else {
                previous = field;
                handed = null;
            }
        }
        jetty.parsedHeader(field);
    }

    private static boolean same(HttpField a, HttpField b) {
        return a.getValue().equals(b.getValue()) && a.getName().equals(b.getName());
    }

    /** A {@code Host} field that parses its values once; equal to the parser's field it replaces. */
    static final class Parsed extends HostPortHttpField {

        private final List<String> values;

        private Parsed(HttpHeader header, String name, String value) {
            super(header, name, value);
            List<String> v = super.getValueList();
            this.values = v == null ? null : List.copyOf(v);
        }

        /** The field to hand on for {@code host}: a {@code Parsed} one, or {@code host} itself when its value would not parse again. */
        static HttpField of(HostPortHttpField host) {
            try {
                Parsed p = new Parsed(host.getHeader(), host.getName(), host.getValue());
                // the parser may have taken the value as an unsafe host it allows; then keep its own
                return p.getHost().equals(host.getHost()) && p.getPort() == host.getPort() ? p : host;
            } catch (RuntimeException unparsable) {
                return host;
            }
        }

        @Override
        public List<String> getValueList() {
            return values;
        }
    }
}
