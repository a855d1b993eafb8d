package dev.meridian.policy.jwt;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real identity provider on loopback for the unit tests (the JDK's {@link HttpServer}, plain
 * HTTP; the e2e tests use the HTTPS one in itests): OIDC discovery and a JWKS with counters, a
 * down switch (503) and a delay; RS256/ES256 signing with nimbus under published or unpublished keys.
 */
final class TestIdp implements AutoCloseable {

    static final String AUDIENCE = "orders";

    private final HttpServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final Map<String, JWK> keys = new ConcurrentHashMap<>();
    private final List<String> published = new CopyOnWriteArrayList<>();
    final AtomicInteger jwksFetches = new AtomicInteger();
    final AtomicInteger discoveryFetches = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    private volatile boolean down;
    private volatile long delayMillis;

    TestIdp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
        server.setExecutor(pool);
        server.createContext("/jwks.json", ex -> serve(ex, jwksFetches, () -> jwks()));
        server.createContext("/.well-known/openid-configuration", ex -> serve(ex, discoveryFetches,
            () -> "{\"issuer\":\"" + issuer() + "\",\"jwks_uri\":\"" + jwksUrl() + "\"}"));
        server.start();
    }

    String issuer() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String jwksUrl() {
        return issuer() + "/jwks.json";
    }

    void down() {
        down = true;
    }

    void up() {
        down = false;
    }

    void delay(Duration d) {
        delayMillis = d.toMillis();
    }

    int fetches() {
        return jwksFetches.get() + discoveryFetches.get();
    }

    RSAKey addRsa(String kid) throws JOSEException {
        RSAKey key = new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
        keys.put(kid, key);
        published.add(kid);
        return key;
    }

    ECKey addEc(String kid) throws JOSEException {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
        keys.put(kid, key);
        published.add(kid);
        return key;
    }

    void unpublish(String kid) {
        published.remove(kid);
    }

    String jwks() {
        List<JWK> out = new ArrayList<>();
        published.forEach(kid -> out.add(keys.get(kid).toPublicJWK()));
        return new JWKSet(out).toString(true);
    }

    /** The usual claims: this issuer, {@link #AUDIENCE}, {@code sub}, issued now, valid 10 minutes. */
    JWTClaimsSet.Builder claims(String subject) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(issuer()).audience(AUDIENCE).subject(subject)
            .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(10))));
    }

    String token(String kid, String subject) {
        return sign(kid, claims(subject).build());
    }

    String token(String kid, String subject, UnaryOperator<JWTClaimsSet.Builder> change) {
        return sign(kid, change.apply(claims(subject)).build());
    }

    /** Signs with {@code kid} (RS256 for RSA, ES256 for EC) and puts {@code kid} in the header. */
    String sign(String kid, JWTClaimsSet claims) {
        JWK key = keys.get(kid);
        try {
            SignedJWT jwt;
            if (key instanceof RSAKey rsa) {
                jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(), claims);
                jwt.sign(new RSASSASigner(rsa));
            } else {
                jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid).build(), claims);
                jwt.sign(new ECDSASigner((ECKey) key));
            }
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs with {@code kid}'s key but names {@code headerKid} in the header (a forged or unknown kid). */
    String signWithKid(String kid, String headerKid, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(headerKid).build(), claims);
            jwt.sign(new RSASSASigner((RSAKey) keys.get(kid)));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Body {
        String get();
    }

    private void serve(HttpExchange ex, AtomicInteger counter, Body body) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (down) {
                refused.incrementAndGet();
                ex.sendResponseHeaders(503, -1);
                return;
            }
            counter.incrementAndGet();
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
