package dev.meridian.http.internal;

import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.Origin;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

import dev.meridian.model.Upstream;

/**
 * HTTP/1.1 to upstreams, with each {@code https} destination's TLS context taken from its
 * {@link Upstream}'s {@code tls} setting: one {@code HttpClient} (one selector, one thread pool)
 * serves every setting, where a client per setting would take a selector thread each.
 * Requests are tagged with their {@code Upstream}, so a destination is one upstream setting.
 */
final class UpstreamTransport extends HttpClientTransportOverHTTP {

    private final UpstreamTlsContexts tls;

    UpstreamTransport(ClientConnector connector, UpstreamTlsContexts tls) {
        super(connector);
        this.tls = tls;
    }

    @Override
    public Destination newDestination(Origin origin) {
        return new HttpDestination(getHttpClient(), origin) {
            @Override
            public SslContextFactory.Client resolveSslContextFactory() {
                if (origin.getTag() instanceof Upstream u && !u.tls().isNone()) {
                    return tls.of(u.tls());
                }
                return super.resolveSslContextFactory();
            }
        };
    }
}
