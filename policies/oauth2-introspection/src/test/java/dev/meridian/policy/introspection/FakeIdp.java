package dev.meridian.policy.introspection;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real introspection endpoint on loopback (the JDK's HTTP server): answers what the test sets
 * per token ({@code {"active":false}} for the rest), counts calls, records each call's
 * Authorization, Content-Type and form, and can be slowed, broken (a status) or closed.
 */
final class FakeIdp implements AutoCloseable {

    /** One call as the IdP saw it. */
    record Call(String authorization, String contentType, Map<String, String> form) {
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-idp");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();
    final CopyOnWriteArrayList<Call> seen = new CopyOnWriteArrayList<>();
    volatile int status = 200;
    volatile long delayMillis;

    FakeIdp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        server.createContext("/introspect", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/introspect");
    }

    /** The IdP answers {@code json} (raw, so tests can send hostile bodies) for {@code token}. */
    void answer(String token, String json) {
        answers.put(token, json);
    }

    private void handle(HttpExchange exchange) throws IOException {
        calls.incrementAndGet();
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, String> form = new ConcurrentHashMap<>();
        for (String pair : new String(body, StandardCharsets.US_ASCII).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        seen.add(new Call(auth == null ? "" : auth, type == null ? "" : type, Map.copyOf(form)));
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis); // the IdP is slow; the server's own thread waits, not the gateway's
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] out = answers.getOrDefault(form.getOrDefault("token", ""), "{\"active\":false}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, out.length);
        try (OutputStream o = exchange.getResponseBody()) {
            o.write(out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
