package dev.meridian.itests;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManagerFactory;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import dev.meridian.tls.CertifiedKey;
import dev.meridian.tls.KeyStores;
import dev.meridian.tls.Pem;

/**
 * An HTTPS origin on loopback (the JDK's {@link HttpsServer}) with a PEM pair, optionally
 * requiring a client certificate issued by a given CA. Answers every request 200 with
 * {@code tls-upstream client=<the client certificate's subject, or none>}.
 */
final class TlsUpstream implements Upstream {

    private final HttpsServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    /** The client port of each connection a request came on: how many connections the gateway opened. */
    final Set<Integer> connections = ConcurrentHashMap.newKeySet();
    /** The client port each request came on, in arrival order: which connection served it. */
    final Queue<Integer> requestPorts = new ConcurrentLinkedQueue<>();
    /** The path of each request, in arrival order. */
    final Queue<String> paths = new ConcurrentLinkedQueue<>();

    TlsUpstream(Path cert, Path key, Path clientCa) throws IOException {
        this(cert, key, clientCa, InetAddress.getLoopbackAddress());
    }

    /** @param bind a loopback address (any of 127.0.0.0/8 on Linux) */
    TlsUpstream(Path cert, Path key, Path clientCa, InetAddress bind) throws IOException {
        try {
            char[] password = KeyStores.randomPassword();
            KeyStore keys = KeyStores.keys(Map.of("server", CertifiedKey.of(Files.readString(cert), Files.readString(key))), password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password);
            TrustManagerFactory tmf = null;
            if (clientCa != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                List<java.security.cert.X509Certificate> cas = Pem.certificates(Files.readString(clientCa));
                for (int i = 0; i < cas.size(); i++) {
                    trust.setCertificateEntry("ca" + i, cas.get(i));
                }
                tmf.init(trust);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            server = HttpsServer.create(new InetSocketAddress(bind, 0), 64);
            server.setHttpsConfigurator(new HttpsConfigurator(ctx) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = ctx.getDefaultSSLParameters();
                    p.setNeedClientAuth(clientCa != null);
                    params.setSSLParameters(p);
                }
            });
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        server.setExecutor(pool);
        server.createContext("/", ex -> {
            connections.add(ex.getRemoteAddress().getPort());
            requestPorts.add(ex.getRemoteAddress().getPort());
            paths.add(ex.getRequestURI().getRawPath());
            String client;
            try {
                client = ((HttpsExchange) ex).getSSLSession().getPeerPrincipal().getName();
            } catch (SSLPeerUnverifiedException none) {
                client = "none";
            }
            byte[] body = ("tls-upstream client=" + client).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @Override
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public String url(String path) {
        return "https://" + server.getAddress().getAddress().getHostAddress() + ":" + port() + path;
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
