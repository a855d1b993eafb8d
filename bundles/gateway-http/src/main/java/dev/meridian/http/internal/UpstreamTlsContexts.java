package dev.meridian.http.internal;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.model.UpstreamTls;
import dev.meridian.tls.CertifiedKey;
import dev.meridian.tls.KeyStores;
import dev.meridian.tls.Pem;

/**
 * One TLS client context per distinct {@code upstream.tls} material: the JDK's trusted
 * certificates plus {@code ca}, the client certificate {@code cert}/{@code key} for mutual TLS,
 * hostname verification on (Jetty's default for clients). The material is PEM text the engine
 * read from the setting's files and secrets when it compiled the table ({@code Route.upstream()}),
 * so it is read again on every apply and secrets reload; a context is shared by every table whose
 * material is equal (equal {@link UpstreamTls} records: the same bytes), and asked for when a
 * connection to an upstream opens (never per request). Contexts of material no route uses any
 * more are stopped when a table is published. A setting that does not load is not kept.
 */
final class UpstreamTlsContexts {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamTlsContexts.class);

    private final Map<UpstreamTls, SslContextFactory.Client> contexts = new ConcurrentHashMap<>();

    /** The context of a setting (never {@link UpstreamTls#NONE}); throws {@link Unusable} when its files do not load. */
    SslContextFactory.Client of(UpstreamTls tls) {
        SslContextFactory.Client c = contexts.get(tls);
        return c != null ? c : contexts.computeIfAbsent(tls, UpstreamTlsContexts::build);
    }

    /** Stops the contexts of settings no route of {@code table} uses (their open connections are not touched). */
    void retainUsedBy(RouteTable table) {
        Set<UpstreamTls> used = new HashSet<>();
        for (Route route : table.servedRoutes()) { // shapes and a canary's stable side included
            used.add(route.upstream().tls());
        }
        retainOnly(used);
    }

    private void retainOnly(Set<UpstreamTls> used) {
        contexts.entrySet().removeIf(e -> {
            if (used.contains(e.getKey())) {
                return false;
            }
            stop(e.getValue());
            return true;
        });
    }

    void stopAll() {
        retainOnly(Set.of());
    }

    private static SslContextFactory.Client build(UpstreamTls tls) {
        SslContextFactory.Client f = new SslContextFactory.Client();
        try {
            if (!tls.ca().isEmpty()) {
                f.setTrustStore(KeyStores.trustWithDefaults(Pem.certificates(Pem.textOrFile(tls.ca()))));
            }
            if (!tls.cert().isEmpty()) {
                CertifiedKey pair = CertifiedKey.of(Pem.textOrFile(tls.cert()), Pem.textOrFile(tls.key()));
                char[] password = KeyStores.randomPassword();
                f.setKeyStore(KeyStores.keys(Map.of("client", pair), password));
                f.setKeyStorePassword(new String(password));
            }
            f.start();
            return f;
        } catch (IllegalArgumentException e) {
            throw new Unusable("upstream tls setting unusable: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new Unusable("upstream tls setting unusable: " + e, e);
        }
    }

    private static void stop(SslContextFactory.Client f) {
        try {
            f.stop();
        } catch (Exception e) {
            LOG.warn("stopping an upstream TLS context failed", e);
        }
    }

    /** An {@code upstream.tls} setting whose PEM does not load. */
    static final class Unusable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unusable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
