package dev.meridian.itests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
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
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import dev.meridian.tls.CertifiedKey;
import dev.meridian.tls.KeyStores;

/**
 * An identity provider stand-in for the e2e tests of the {@code jwt} and
 * {@code oauth2-introspection} policies: the JDK's {@link HttpsServer} on loopback with a
 * certificate issued by the test's {@link TestPki} (the policy trusts it through its {@code ca}
 * field, so no node trust store is touched), serving
 * <ul>
 *   <li>{@code GET /.well-known/openid-configuration} — OIDC discovery (issuer, jwks_uri,
 *       introspection_endpoint);</li>
 *   <li>{@code GET /jwks.json} — the published public keys (RSA 2048 and EC P-256);</li>
 *   <li>{@code POST /introspect} — RFC 7662 over the opaque tokens it issued, client
 *       authentication by HTTP Basic.</li>
 * </ul>
 * It signs RS256 and ES256 tokens with nimbus under any key it holds, published or not (a key
 * can be added, signed with, unpublished: the rotation the tests play), counts every call per
 * endpoint (what "0 IdP calls" and "at most one fetch per second" are measured with) and can
 * go down (every endpoint answers 503, counted apart) and come back.
 *
 * <p>Thread-safe: the tests' client threads sign while the server answers the nodes.
 */
final class IdentityProvider implements AutoCloseable {

    /** The endpoints, each with its own call counter. */
    enum Endpoint {
        DISCOVERY("/.well-known/openid-configuration"), JWKS("/jwks.json"), INTROSPECT("/introspect");

        final String path;

        Endpoint(String path) {
            this.path = path;
        }
    }

    private final HttpsServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final String issuer;
    private final String caPem;
    /** Every key this IdP can sign with, by kid (private parts included). */
    private final Map<String, JWK> signingKeys = new ConcurrentHashMap<>();
    /** The kids of the JWKS document, in publication order. */
    private final List<String> published = new CopyOnWriteArrayList<>();
    private final Map<Endpoint, AtomicLong> calls = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    /** Opaque tokens for introspection: token -> its RFC 7662 answer while active. */
    private final Map<String, Map<String, Object>> opaque = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> introspectedTokens = new ConcurrentHashMap<>();
    private final AtomicLong serial = new AtomicLong();
    private volatile boolean down;
    private volatile Duration delay = Duration.ZERO;
    private volatile String clientId = "gateway";
    private volatile String clientSecret = "gateway-secret";

    /**
     * Starts the IdP on {@code 127.0.0.1:port} (0 = any) with a certificate for
     * {@code IP:127.0.0.1} issued by {@code pki}.
     */
    IdentityProvider(TestPki pki, int port) throws IOException {
        String name = "idp-" + port;
        pki.issue(name, "/CN=idp.test", "IP:127.0.0.1,DNS:localhost", false);
        caPem = Files.readString(pki.ca());
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try {
            char[] password = KeyStores.randomPassword();
            KeyStore keys = KeyStores.keys(Map.of("server",
                CertifiedKey.of(Files.readString(pki.cert(name)), Files.readString(pki.key(name)))), password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            server = HttpsServer.create(new InetSocketAddress(loopback, port), 128);
            server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        } catch (GeneralSecurityException e) {
            throw new IOException("idp: TLS setup failed", e);
        }
        issuer = "https://127.0.0.1:" + server.getAddress().getPort();
        for (Endpoint endpoint : Endpoint.values()) {
            calls.put(endpoint, new AtomicLong());
        }
        server.setExecutor(pool);
        server.createContext(Endpoint.DISCOVERY.path, ex -> serve(ex, Endpoint.DISCOVERY));
        server.createContext(Endpoint.JWKS.path, ex -> serve(ex, Endpoint.JWKS));
        server.createContext(Endpoint.INTROSPECT.path, ex -> serve(ex, Endpoint.INTROSPECT));
        server.start();
    }

    // ---- addresses --------------------------------------------------------------------------

    /** The issuer ({@code iss} of its tokens, the base of discovery): {@code https://127.0.0.1:<port>}. */
    String issuer() {
        return issuer;
    }

    String jwksUrl() {
        return issuer + Endpoint.JWKS.path;
    }

    String introspectionUrl() {
        return issuer + Endpoint.INTROSPECT.path;
    }

    /** The PEM of the CA that issued this IdP's certificate (the policies' {@code ca} field). */
    String caPem() {
        return caPem;
    }

    // ---- keys and signed tokens -------------------------------------------------------------

    /** Generates an RSA 2048 key {@code kid} and publishes it. */
    RSAKey addRsaKey(String kid) {
        try {
            RSAKey key = new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
            signingKeys.put(kid, key);
            published.add(kid);
            return key;
        } catch (JOSEException e) {
            throw new IllegalStateException("idp: cannot generate RSA key " + kid, e);
        }
    }

    /** Generates an EC P-256 key {@code kid} and publishes it. */
    ECKey addEcKey(String kid) {
        try {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).generate();
            signingKeys.put(kid, key);
            published.add(kid);
            return key;
        } catch (JOSEException e) {
            throw new IllegalStateException("idp: cannot generate EC key " + kid, e);
        }
    }

    /** Removes {@code kid} from the JWKS; the IdP can still sign with it (a token issued before the rotation). */
    void unpublish(String kid) {
        published.remove(kid);
    }

    /** The JWKS as served now (public parts only). */
    String jwksJson() {
        List<JWK> keys = new ArrayList<>();
        for (String kid : published) {
            JWK key = signingKeys.get(kid);
            if (key != null) {
                keys.add(key.toPublicJWK());
            }
        }
        return new JWKSet(keys).toString(true);
    }

    /**
     * A token signed with {@code kid} (RS256 for an RSA key, ES256 for EC) for {@code subject}
     * and {@code audience}, valid from now for {@code ttl}, with {@code scope} (space-separated,
     * omitted when blank).
     */
    String token(String kid, String subject, String audience, String scope, Duration ttl) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(subject)
            .audience(audience)
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .jwtID(Long.toString(serial.incrementAndGet()));
        if (scope != null && !scope.isBlank()) {
            claims.claim("scope", scope);
        }
        return sign(kid, claims.build());
    }

    /** {@code claims} signed with {@code kid}, the algorithm following the key type. */
    String sign(String kid, JWTClaimsSet claims) {
        JWK key = signingKeys.get(kid);
        if (key == null) {
            throw new IllegalArgumentException("idp: no key " + kid);
        }
        try {
            JWSSigner signer = key instanceof RSAKey rsa ? new RSASSASigner(rsa) : new ECDSASigner((ECKey) key);
            JWSAlgorithm alg = key instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256;
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("idp: signing with " + kid + " failed", e);
        }
    }

    // ---- opaque tokens (RFC 7662) -----------------------------------------------------------

    /** The client credentials the introspection endpoint requires (HTTP Basic); default gateway / gateway-secret. */
    void clientCredentials(String id, String secret) {
        clientId = id;
        clientSecret = secret;
    }

    /** Issues an opaque token, active for {@code ttl}, for {@code subject} and {@code client}. */
    String opaqueToken(String subject, String client, String scope, Duration ttl) {
        String token = "opaque-" + serial.incrementAndGet() + "-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
        long now = Instant.now().getEpochSecond();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("active", true);
        answer.put("sub", subject);
        answer.put("client_id", client);
        answer.put("scope", scope);
        answer.put("iss", issuer);
        answer.put("iat", now);
        answer.put("exp", now + ttl.toSeconds());
        answer.put("token_type", "Bearer");
        opaque.put(token, Map.copyOf(answer));
        return token;
    }

    /** Makes {@code token} inactive at the IdP (its next introspection answers {@code active: false}). */
    void revoke(String token) {
        opaque.remove(token);
    }

    /** How many introspection calls asked about {@code token}. */
    long introspections(String token) {
        AtomicLong n = introspectedTokens.get(token);
        return n == null ? 0 : n.get();
    }

    // ---- behaviour and counters -------------------------------------------------------------

    /** Every endpoint answers 503 (an outage) until {@link #up()}. */
    void down() {
        down = true;
    }

    void up() {
        down = false;
    }

    /** Every answer waits {@code d} first (a slow IdP: concurrent requests pile up behind one call). */
    void delay(Duration d) {
        delay = d;
    }

    /** Calls to {@code endpoint} answered normally since the start or the last {@link #resetCounts()}. */
    long calls(Endpoint endpoint) {
        return calls.get(endpoint).get();
    }

    /** Calls to any endpoint answered 503 because the IdP was down. */
    long refused() {
        return refused.get();
    }

    /** JWKS plus discovery fetches: what the jwt policy costs the IdP. */
    long keyFetches() {
        return calls(Endpoint.JWKS) + calls(Endpoint.DISCOVERY);
    }

    void resetCounts() {
        calls.values().forEach(n -> n.set(0));
        refused.set(0);
        introspectedTokens.clear();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    // ---- the server -------------------------------------------------------------------------

    private void serve(HttpExchange ex, Endpoint endpoint) throws IOException {
        try (ex) {
            byte[] request;
            try (InputStream in = ex.getRequestBody()) {
                request = in.readAllBytes();
            }
            if (!ex.getRequestURI().getPath().equals(endpoint.path)) {
                answer(ex, 404, "{\"error\":\"not_found\"}");
                return;
            }
            pause();
            if (down) {
                refused.incrementAndGet();
                answer(ex, 503, "{\"error\":\"temporarily_unavailable\"}");
                return;
            }
            calls.get(endpoint).incrementAndGet();
            switch (endpoint) {
                case DISCOVERY -> answer(ex, 200, discovery());
                case JWKS -> answer(ex, 200, jwksJson());
                case INTROSPECT -> introspect(ex, new String(request, StandardCharsets.UTF_8));
            }
        }
    }

    private void pause() {
        Duration d = delay;
        if (!d.isZero()) {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private String discovery() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", issuer);
        doc.put("jwks_uri", jwksUrl());
        doc.put("introspection_endpoint", introspectionUrl());
        doc.put("id_token_signing_alg_values_supported", List.of("RS256", "ES256"));
        return JSONObjectUtils.toJSONString(doc);
    }

    private void introspect(HttpExchange ex, String form) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            answer(ex, 405, "{\"error\":\"invalid_request\"}");
            return;
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString((clientId + ":" + clientSecret).getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"idp\"");
            answer(ex, 401, "{\"error\":\"invalid_client\"}");
            return;
        }
        String token = formValue(form, "token");
        if (token == null) {
            answer(ex, 400, "{\"error\":\"invalid_request\"}");
            return;
        }
        introspectedTokens.computeIfAbsent(token, t -> new AtomicLong()).incrementAndGet();
        Map<String, Object> active = opaque.get(token);
        boolean live = active != null && ((Long) active.get("exp")) > Instant.now().getEpochSecond();
        answer(ex, 200, live ? JSONObjectUtils.toJSONString(active) : "{\"active\":false}");
    }

    private static String formValue(String form, String name) {
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static void answer(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
