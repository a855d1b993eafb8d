package dev.meridian.http.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Settings;
import dev.meridian.tls.KeyStores;

/**
 * Traffic over TLS: a second connector on the data plane's server ({@code MERIDIAN_HTTPS_PORT},
 * same handler, HTTP/1.1) with the pairs of {@code MERIDIAN_TLS_DIR} chosen by SNI
 * ({@link SniCertificateSelector}). The directory is looked at every second (names, sizes,
 * modification times) and read only when that changed; a changed set of pairs is swapped in
 * with Jetty's {@link SslContextFactory#reload}: new handshakes get the new certificates,
 * established connections keep theirs and are never closed. A pair that does not load keeps
 * its previous version ({@link CertificateSet#next}). Each reload is one INFO line naming what
 * changed; each refused pair a WARN line with the reason.
 */
final class TrafficTls implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrafficTls.class);

    private final TlsDirectory dir;
    private final SslContextFactory.Server factory;
    /** The key store's password: random per process, never logged; the store lives in memory only. */
    private final char[] password = KeyStores.randomPassword();
    private final ServerConnector connector;
    private final ScheduledExecutorService poller;
    /** Written and read by the poller thread only (and by the constructor before it starts). */
    private CertificateSet current;
    private String seen;

    /** The HTTPS port asked for, or 0 when traffic TLS is off (the default). */
    static int port() {
        String port = Settings.string("MERIDIAN_HTTPS_PORT", "off");
        return port.isBlank() || port.equalsIgnoreCase("off") ? 0 : Integer.parseInt(port.trim());
    }

    /**
     * Loads the directory and adds the HTTPS connector to {@code server} (not started). Fails
     * when the directory holds no loadable pair: a node asked to serve HTTPS does not start
     * without it, rather than silently serve plain HTTP only.
     */
    TrafficTls(Server server, HttpConfiguration http, int port, String host, int selectors) throws IOException {
        Path path = Paths.get(Settings.string("MERIDIAN_TLS_DIR",
            Paths.get(System.getProperty("karaf.etc", "etc"), "tls").toString()));
        dir = new TlsDirectory(path);
        seen = dir.fingerprint();
        CertificateSet.Next first = CertificateSet.EMPTY.next(dir.scan());
        first.refusals().forEach(r -> LOG.warn("TLS certificates in {}: {}", path, r));
        if (first.set().pairs().isEmpty()) {
            throw new IllegalStateException("MERIDIAN_HTTPS_PORT is set but " + path
                + " holds no loadable <name>.crt + <name>.key pair");
        }
        current = first.set();
        factory = new SslContextFactory.Server();
        factory.setKeyStore(KeyStores.keys(current.pairs(), password));
        factory.setKeyStorePassword(new String(password));
        // Our selector picks the certificate for every handshake, SNI or not (the default one
        // without); "required" makes Jetty always consult it, even with a single pair.
        factory.setSniRequired(true);
        factory.setSNISelector(new SniCertificateSelector());

        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer(false);
        // The default certificate answers hosts it does not name (clients without SNI): Jetty's
        // check that Host matches the certificate would refuse them with 400.
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        // No acceptor thread: the selector accepts (the pool is sized for the selectors).
        connector = new ServerConnector(server, 0, selectors,
            new SslConnectionFactory(factory, HttpVersion.HTTP_1_1.asString()),
            SlowClientSweeper.connections(https)); // its own sweeper guards slow heads and bodies, as on HTTP
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(75_000);
        connector.setAcceptQueueSize(4096);
        server.addConnector(connector);
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-tls-reload");
            t.setDaemon(true);
            return t;
        });
        LOG.info("TLS certificates in {}: {} (default {})", path, String.join(", ", first.changes()), current.defaultName());
    }

    ServerConnector connector() {
        return connector;
    }

    /** Starts looking at the directory every second (after the server started). */
    void watch() {
        poller.scheduleWithFixedDelay(this::poll, 1, 1, TimeUnit.SECONDS);
    }

    private void poll() {
        try {
            String now = dir.fingerprint();
            if (now.equals(seen)) {
                return;
            }
            seen = now;
            CertificateSet.Next next = current.next(dir.scan());
            next.refusals().forEach(r -> LOG.warn("TLS certificates in {}: {}", dir.path(), r));
            if (!next.changed(current)) {
                return;
            }
            CertificateSet set = next.set();
            // Jetty logs an INFO line per certificate on each load (SslContextFactory's "x509=..."):
            // that logger is at WARN in etc/org.ops4j.pax.logging.cfg, and this line says what changed
            factory.reload(f -> f.setKeyStore(KeyStores.keys(set.pairs(), password)));
            current = set;
            LOG.info("TLS certificates reloaded from {}: {}; serving {} (default {}); open connections keep theirs",
                dir.path(), String.join(", ", next.changes()), set.pairs().keySet(), set.defaultName());
        } catch (Exception e) {
            // the previous certificates stay in use; the next change of the directory tries again
            LOG.warn("reloading the TLS certificates of {} failed; the previous ones stay", dir.path(), e);
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
