package dev.meridian.itests;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An upstream on loopback that counts the requests it gets per path and answers by path:
 * {@code /item/..} cacheable (200, {@code Cache-Tag: upstream-tag}), {@code /big/..} a 16 KiB body, {@code /short/..}
 * {@code max-age=2}, {@code /slow/..} after 400 ms, {@code /cookie} with {@code Set-Cookie},
 * {@code /private}, {@code /nostore}, {@code /etag/..} ({@code ETag: "v1"}, {@code max-age=2},
 * 304 to {@code If-None-Match: "v1"}; two seconds, as {@code Date} has one-second resolution and an
 * answer may be nearly a second old when it arrives). The body names the path and how many times it was fetched.
 */
final class CountingUpstream implements Upstream {

    private final HttpServer server;
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    /** 304s sent to conditional requests carrying the current ETag. */
    final AtomicInteger notModified = new AtomicInteger();

    CountingUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.createContext("/", this::handle);
        server.start();
    }

    @Override
    public int port() {
        return server.getAddress().getPort();
    }

    int count(String path) {
        AtomicInteger n = counts.get(path);
        return n == null ? 0 : n.get();
    }

    int total() {
        return counts.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String query = ex.getRequestURI().getRawQuery();
        int n = counts.computeIfAbsent(path + (query == null ? "" : "?" + query), p -> new AtomicInteger()).incrementAndGet();
        ex.getRequestBody().readAllBytes();
        var h = ex.getResponseHeaders();
        h.add("Content-Type", "text/plain");
        if (path.startsWith("/short/")) {
            h.add("Cache-Control", "max-age=2");
        } else if (path.startsWith("/slow/")) {
            try {
                Thread.sleep(400);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (path.equals("/cookie")) {
            h.add("Set-Cookie", "session=" + n);
        } else if (path.equals("/private")) {
            h.add("Cache-Control", "private, max-age=60");
        } else if (path.equals("/nostore")) {
            h.add("Cache-Control", "no-store");
        } else if (path.startsWith("/item/")) {
            h.add("Cache-Tag", "upstream-tag");
        } else if (path.startsWith("/big/")) {
            byte[] big = new byte[16 * 1024];
            java.util.Arrays.fill(big, (byte) 'b');
            ex.sendResponseHeaders(200, big.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(big);
            }
            return;
        } else if (path.startsWith("/etag/")) {
            h.add("ETag", "\"v1\"");
            h.add("Cache-Control", "max-age=2");
            if ("\"v1\"".equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
                notModified.incrementAndGet();
                ex.sendResponseHeaders(304, -1);
                ex.close();
                return;
            }
        }
        byte[] body = (path + (query == null ? "" : "?" + query) + " fetch " + n).getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
