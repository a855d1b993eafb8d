package dev.meridian.itests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

/**
 * The JDK's {@link HttpServer} on loopback with a fixed thread pool and the handlers a test
 * gives per path prefix, for upstreams whose answers are a few lines of code:
 *
 * <pre>{@code
 * .upstream(HttpUpstream.with(4, 64).on("/", ex -> { ... }))
 * }</pre>
 */
final class HttpUpstream implements Upstream {

    /** What to start: threads, accept backlog and a handler per context path. */
    static final class Spec implements Upstream.Factory<HttpUpstream> {
        private final int threads;
        private final int backlog;
        private final Map<String, HttpHandler> handlers = new LinkedHashMap<>();

        private Spec(int threads, int backlog) {
            this.threads = threads;
            this.backlog = backlog;
        }

        /** Answers requests under {@code contextPath} (the longest registered prefix wins) with {@code handler}. */
        Spec on(String contextPath, HttpHandler handler) {
            handlers.put(contextPath, handler);
            return this;
        }

        @Override
        public HttpUpstream start() throws IOException {
            return new HttpUpstream(this);
        }
    }

    private final HttpServer server;
    private final ExecutorService pool;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HttpUpstream(Spec spec) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), spec.backlog);
        pool = Executors.newFixedThreadPool(spec.threads);
        server.setExecutor(pool);
        spec.handlers.forEach(server::createContext);
        server.start();
    }

    static Spec with(int threads, int backlog) {
        return new Spec(threads, backlog);
    }

    @Override
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.stop(0);
        pool.shutdownNow();
    }
}
