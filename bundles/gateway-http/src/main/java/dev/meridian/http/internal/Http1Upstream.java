package dev.meridian.http.internal;

import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.flow.Answer;
import dev.meridian.core.flow.Exchange;
import dev.meridian.core.flow.Step;
import dev.meridian.model.Upstream;

/**
 * Upstream calls without a request body over Meridian's own HTTP/1.1 connections, on Jetty's I/O
 * layer (its selector, endpoints and HTTP parser) but not its {@code HttpClient}.
 *
 * <p>Why not Jetty's client: measured on this box (shared/notes/jvm-ceiling.md), a request proxied
 * with it costs ~71 µs of CPU where a request answered by the same Jetty server costs ~12 µs;
 * the client's per-request objects (request, conversation, exchange, listeners, notifier,
 * destination lookup by origin) and its generator and receiver are most of the difference. Here
 * a request is one flight object, its head serialized once into one write, its answer parsed into
 * Jetty's own fields and streamed back with back-pressure. Requests with a body and {@code https}
 * upstreams still go through Jetty's client ({@link JettyUpstream}), which handles streaming
 * request content and TLS.
 *
 * <p>One pool per {@link Upstream} configuration (as Jetty's client pools are tagged), bounded by
 * {@code pool.maxConnections}, most recently used connection first; requests beyond the bound
 * wait in a queue. A request that fails on a reused connection before any byte of its answer
 * arrived (the upstream closed an idle keep-alive connection as it was taken) is sent once more
 * on a new connection: only idempotent methods come here.
 */
final class Http1Upstream {

    private static final Logger LOG = LoggerFactory.getLogger(Http1Upstream.class);
    private static final int MAX_QUEUED = 8192;
    private static final int MAX_HEADER_BYTES = 16 * 1024;
    static final long SWEEP_MILLIS = 25;

    private final HttpClient client;
    private final ClientConnector connector;
    private final Scheduler scheduler;
    private final Executor executor;
    private final ConcurrentHashMap<Upstream, Pool> pools = new ConcurrentHashMap<>();

    Http1Upstream(HttpClient client, Executor executor) {
        this.client = client;
        this.connector = client.getClientConnector();
        this.scheduler = client.getScheduler();
        this.executor = executor;
        // A stopped client answers no flight any more (its selector, scheduler and resolver are
        // gone): every flight still waiting is answered 503 then, instead of never, which would
        // leave its exchange in flight in the Camel route and hold the node's stop.
        client.addEventListener(new org.eclipse.jetty.util.component.LifeCycle.Listener() {
            @Override
            public void lifeCycleStopped(org.eclipse.jetty.util.component.LifeCycle stopped) {
                abandonAll();
            }
        });
        sweepLater();
    }

    /** Answers every flight still waiting for a connection or an answer's head: the client stopped. */
    void abandonAll() {
        for (Pool p : pools.values()) {
            p.abandon();
        }
    }

    /**
     * Request timeouts without a timer task per request (scheduling and cancelling one per request
     * was 2% of pass-through CPU in the scheduler's heap, JFR): every {@value #SWEEP_MILLIS} ms the
     * connections awaiting an answer's head and the queued requests are checked against their
     * deadlines. A timeout is thus answered up to that much late.
     */
    private void sweepLater() {
        try {
            scheduler.schedule(this::sweep, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // the client is stopping
        }
    }

    private void sweep() {
        if (!client.isRunning()) {
            return;
        }
        try {
            long now = System.nanoTime();
            for (Pool p : pools.values()) {
                p.sweep(now);
            }
        } catch (RuntimeException e) {
            LOG.warn("checking upstream timeouts failed", e);
        }
        sweepLater();
    }

    /** Whether this request goes this way: plain {@code http}, an idempotent method, no body. */
    static boolean accepts(Upstream u, String method, Request in) {
        if (!"http".equals(u.scheme()) || JettyUpstream.hasBody(in)) {
            return false;
        }
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "DELETE" -> true;
            default -> false;
        };
    }

    /** Sends the exchange's request; {@code next} runs once its answer (or a rejection) is set. */
    void send(Exchange e, Step.Next next, String target, HttpFields.Mutable fields) {
        Upstream u = e.upstream();
        Pool pool = pools.computeIfAbsent(u, Pool::new);
        Flight f = new Flight(e, next, pool, head(e.method(), target, pool.hostField, fields),
            System.nanoTime() + u.timeout().toNanos());
        if (!client.isRunning()) {
            f.reject(new JettyUpstream.ClientStopped());
            return;
        }
        pool.acquire(f);
    }

    /** Opens {@code count} connections to {@code u} ahead of traffic ({@code pool.warm}). */
    void warm(Upstream u, int count) {
        Pool pool = pools.computeIfAbsent(u, Pool::new);
        for (int i = 0; i < count && pool.reserve(); i++) {
            pool.open(null);
        }
    }

    /** Adds the connections open or opening of each pool to {@code into}, per origin ({@link PoolPeaks#origin}). */
    void connectionCounts(Map<String, Integer> into) {
        for (Pool p : pools.values()) {
            into.merge(PoolPeaks.origin(p.upstream), p.count.get(), Integer::sum);
        }
    }

    /**
     * Opens connections to {@code u} until {@code target} are open or opening (those there already
     * count; never past {@code pool.maxConnections}). Returns a count of the pool's open
     * connections, read as they complete: the caller waits on it with its own bound.
     */
    java.util.function.IntSupplier preOpen(Upstream u, int target) {
        Pool pool = pools.computeIfAbsent(u, Pool::new);
        while (pool.count.get() < target && pool.reserve()) {
            pool.open(null);
        }
        return pool.open::size;
    }

    /**
     * The request head: request line, {@code Host}, then the fields as given (already filtered as a
     * proxy forwards them), Latin-1 as HTTP/1.1 field values are. A field with CR, LF or NUL is
     * refused (no header injection: the server's parser and the policies refuse them already).
     */
    static Latin1 head(String method, String target, String hostField, HttpFields fields) {
        Latin1 out = new Latin1(256 + fields.size() * 48);
        out.ascii(method).put(' ').field(target).ascii(" HTTP/1.1\r\nHost: ").field(hostField).put('\r').put('\n');
        for (HttpField f : fields) {
            out.field(f.getName()).put(':').put(' ').field(f.getValue()).put('\r').put('\n');
        }
        out.put('\r').put('\n');
        return out;
    }

    /** The {@code Host} field for an upstream: the port unless 80, an IPv6 literal in brackets (RFC 9110 §7.2). */
    static String hostField(String host, int port) {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return port == 80 ? h : h + ":" + port;
    }

    /** A growable Latin-1 byte buffer; its bytes are copied once, into the connection's direct buffer. */
    static final class Latin1 extends ByteArrayOutputStream {
        Latin1(int size) {
            super(size);
        }

        Latin1 put(char c) {
            write(c);
            return this;
        }

        /** Our own text (request line, fixed names): written as is. */
        Latin1 ascii(String s) {
            return put(s, false);
        }

        /** A name, value or target that came from outside: CR, LF, NUL and non-Latin-1 refused. */
        Latin1 field(String s) {
            return put(s, true);
        }

        /** Puts the bytes into {@code to} when they fit (then true); else leaves it alone. */
        boolean copyTo(java.nio.ByteBuffer to) {
            if (count > to.capacity()) {
                return false;
            }
            to.clear();
            to.put(buf, 0, count).flip();
            return true;
        }

        /** The bytes in a heap buffer of their own, for a head larger than the connection's buffer. */
        java.nio.ByteBuffer wrap() {
            return java.nio.ByteBuffer.wrap(buf, 0, count);
        }

        private Latin1 put(String s, boolean check) {
            int n = s.length();
            if (count + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, count + n));
            }
            if (check && n >= BULK) {
                return putLong(s, n);
            }
            byte[] b = buf;
            int at = count;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (check && (c == '\r' || c == '\n' || c == 0 || c > 0xff)) {
                    throw refused();
                }
                b[at++] = (byte) c;
            }
            count = at;
            return this;
        }

        /**
         * A long value from outside (a bearer token, a cookie): copied in bulk, then its bytes
         * scanned. Per-character copying cost a 700-byte JWT ~8% of a request's CPU
         * ({@code bench/profile.sh}, lane {@code auth}). {@code getBytes(ISO_8859_1)} is an array
         * copy for a Latin-1 string and turns a character above 0xff into {@code '?'}, so the
         * exact per-character check runs again only when the bytes hold a {@code '?'} or a
         * control byte ({@link #suspect}).
         */
        private Latin1 putLong(String s, int n) {
            byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            if (suspect(bytes)) {
                for (int i = 0; i < n; i++) {
                    char c = s.charAt(i);
                    if (c == '\r' || c == '\n' || c == 0 || c > 0xff) {
                        throw refused();
                    }
                }
            }
            System.arraycopy(bytes, 0, buf, count, n);
            count += n;
            return this;
        }

        /**
         * Whether {@code bytes} hold a control byte (CR, LF and NUL among them) or a {@code '?'},
         * eight bytes at a time ({@link Words}). A byte-at-a-time scan with four comparisons
         * per byte cost a 700-byte token ~0.4 µs alone and ~7% of the auth lane's samples under
         * load ({@code bench/profile.sh}, lane {@code auth}); this is a third of that. A control
         * byte that HTTP allows (HTAB) only sends the value to the exact check.
         */
        static boolean suspect(byte[] bytes) {
            int i = 0;
            int n = bytes.length;
            for (; i + Long.BYTES <= n; i += Long.BYTES) {
                long x = (long) LONGS.get(bytes, i);
                if (Words.hasBelow(x, Words.SPACES) || Words.has(x, QUESTION_MARKS)) {
                    return true;
                }
            }
            for (; i < n; i++) {
                byte b = bytes[i];
                if ((b >= 0 && b < 0x20) || b == '?') {
                    return true;
                }
            }
            return false;
        }

        private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
        private static final long QUESTION_MARKS = Words.repeat('?');

        private static IllegalArgumentException refused() {
            return new IllegalArgumentException("a request field holds a character HTTP/1.1 cannot carry");
        }

        /** From this length on, a checked field is copied in bulk ({@link #putLong}). */
        private static final int BULK = 48;
    }

    /** One request on its way: answered exactly once (headers, failure or timeout). */
    final class Flight {
        private final Exchange exchange;
        private final Step.Next next;
        private final Pool pool;
        private final Latin1 head;
        private final boolean isHead;
        private final long sentNanos = System.nanoTime();
        private final long deadlineNanos;
        private final AtomicBoolean answered = new AtomicBoolean();
        private boolean retried;
        private volatile Http1Connection on;

        Flight(Exchange exchange, Step.Next next, Pool pool, Latin1 head, long deadlineNanos) {
            this.exchange = exchange;
            this.next = next;
            this.pool = pool;
            this.head = head;
            this.isHead = "HEAD".equals(exchange.method());
            this.deadlineNanos = deadlineNanos;
        }

        /** Times the flight out if its deadline passed before its answer's head. */
        void check(long now) {
            if (now - deadlineNanos >= 0 && !answered.get()) {
                timedOut();
            }
        }

        boolean head() {
            return isHead;
        }

        Latin1 requestHead() {
            return head;
        }

        /** The connection now carries this flight; false when the flight was answered meanwhile. */
        boolean attach(Http1Connection c) {
            on = c;
            return !answered.get();
        }

        void answered(int status, HttpFields fields, Http1Connection.Body body) {
            if (!answered.compareAndSet(false, true)) {
                body.fail(new IllegalStateException("exchange already answered"));
                return;
            }
            exchange.upstreamNanos(System.nanoTime() - sentNanos);
            exchange.answer(new Answer.Upstream(status, new JettyFields(fields), new JettyBody(body, body.getLength(), executor)));
            next.run();
        }

        /** An interim {@code 103} answer: forwarded to the client (RFC 9110 §15.2), never stored. */
        void interim(HttpFields fields) {
            if (!answered.get()) {
                JettyUpstream.forwardEarlyHints(exchange, fields);
            }
        }

        /** The connection failed before the answer's head; {@code retryable}: nothing of it had arrived on a reused connection. */
        void failed(Throwable why, boolean retryable) {
            if (!client.isRunning()) {
                reject(new JettyUpstream.ClientStopped()); // its connections closed as it stopped: no new one
                return;
            }
            if (retryable && !retried && !answered.get()) {
                retried = true;
                on = null;
                LOG.debug("request {} of API {} sent again on a new connection: {}", exchange.requestId(), exchange.apiId(),
                    why.toString());
                pool.acquireNew(this);
                return;
            }
            reject(why);
        }

        void timedOut() {
            if (reject(new JettyUpstream.UpstreamTimeout())) {
                Http1Connection c = on;
                if (c != null) {
                    c.abort(new JettyUpstream.UpstreamTimeout());
                }
            }
        }

        private boolean reject(Throwable why) {
            if (!answered.compareAndSet(false, true)) {
                return false;
            }
            exchange.upstreamNanos(System.nanoTime() - sentNanos);
            exchange.answer(JettyUpstream.rejectionFor(why, exchange));
            next.run();
            return true;
        }
    }

    /** The connections to one upstream configuration. */
    final class Pool {
        private final Upstream upstream;
        private final String hostField;
        private final int max;
        private final ConcurrentLinkedDeque<Http1Connection> idle = new ConcurrentLinkedDeque<>();
        /** Every open connection (changed when one opens or closes, not per request): what the sweep checks. */
        private final java.util.Set<Http1Connection> open = ConcurrentHashMap.newKeySet();
        /** Connections open or opening. */
        private final AtomicInteger count = new AtomicInteger();
        private final ConcurrentLinkedQueue<Flight> queued = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queuedCount = new AtomicInteger();

        Pool(Upstream upstream) {
            this.upstream = upstream;
            this.max = Math.max(1, upstream.maxConnections());
            this.hostField = hostField(upstream.host(), upstream.port());
        }

        /**
         * How long a connection may sit without a byte: an idle one is closed after a minute (as
         * Jetty's client did), a busy one never before its request's own timeout has answered 504.
         */
        long idleTimeoutMillis() {
            return Math.max(60_000, upstream.timeout().toMillis() + 1_000);
        }

        void acquire(Flight f) {
            Http1Connection c;
            while ((c = idle.pollFirst()) != null) {
                if (c.claim(f)) {
                    return;
                }
            }
            if (reserve()) {
                open(f);
                return;
            }
            enqueue(f);
        }

        /** A retry: on a connection opened for it when the pool allows one, else the next free one. */
        void acquireNew(Flight f) {
            if (reserve()) {
                open(f);
            } else {
                acquire(f);
            }
        }

        private void enqueue(Flight f) {
            if (queuedCount.incrementAndGet() > MAX_QUEUED) {
                queuedCount.decrementAndGet();
                f.reject(new RejectedExecutionException("too many requests waiting for a connection to the upstream"));
                return;
            }
            queued.offer(f);
            if (!client.isRunning()) {
                abandon(); // stopped since send looked: nothing would take the flight off the queue
                return;
            }
            // a connection released or closed between the checks above and the offer would not see this flight
            Http1Connection c = idle.pollFirst();
            if (c != null) {
                release(c);
            } else if (count.get() < max && reserve()) {
                open(null);
            }
        }

        private Flight nextQueued() {
            Flight f;
            while ((f = queued.poll()) != null) {
                queuedCount.decrementAndGet();
                if (!f.answered.get()) {
                    return f;
                }
            }
            return null;
        }

        boolean reserve() {
            while (true) {
                int n = count.get();
                if (n >= max) {
                    return false;
                }
                if (count.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }

        /** An idle connection (just released, or idle again): to a waiting flight, else to the pool. */
        void release(Http1Connection c) {
            Flight f = nextQueued();
            if (f != null) {
                if (!c.claim(f)) {
                    acquire(f); // it closed meanwhile
                }
                return;
            }
            idle.offerFirst(c);
            if (!queued.isEmpty()) {
                Http1Connection again = idle.pollFirst();
                if (again != null) {
                    Flight waiting = nextQueued();
                    if (waiting == null) {
                        idle.offerFirst(again);
                    } else if (!again.claim(waiting)) {
                        acquire(waiting);
                    }
                }
            }
        }

        /** The client stopped: the waiting flights and those awaiting an answer's head are answered 503. */
        void abandon() {
            Flight f;
            while ((f = nextQueued()) != null) {
                f.reject(new JettyUpstream.ClientStopped());
            }
            for (Http1Connection c : open) {
                Flight awaiting = c.awaiting();
                if (awaiting != null) {
                    awaiting.reject(new JettyUpstream.ClientStopped());
                }
            }
        }

        void sweep(long now) {
            for (Http1Connection c : open) {
                Flight f = c.awaiting();
                if (f != null) {
                    f.check(now);
                }
            }
            for (Flight f : queued) {
                f.check(now);
            }
        }

        void closed(Http1Connection c, boolean wasIdle) {
            open.remove(c);
            if (wasIdle) {
                idle.remove(c);
            }
            count.decrementAndGet();
            if (!queued.isEmpty() && reserve()) {
                open(null);
            }
        }

        /** Opens a connection (the count is reserved) for {@code f}, or for the next waiting flight when null. */
        void open(Flight f) {
            try {
                client.getSocketAddressResolver().resolve(upstream.host(), upstream.port(), Map.of(), new Promise<>() {
                    @Override
                    public void succeeded(List<InetSocketAddress> addresses) {
                        try {
                            connect(addresses.get(0), f);
                        } catch (RuntimeException stopped) {
                            openFailed(f, stopped);
                        }
                    }

                    @Override
                    public void failed(Throwable x) {
                        openFailed(f, x);
                    }
                });
            } catch (RuntimeException stopped) {
                openFailed(f, stopped); // the resolver's executor refused the task: the client is stopping
            }
        }

        private void connect(InetSocketAddress address, Flight f) {
            Map<String, Object> context = new HashMap<>();
            context.put(Transport.CONTEXT_KEY, Transport.TCP_IP);
            context.put(ClientConnector.REMOTE_SOCKET_ADDRESS_CONTEXT_KEY, address);
            context.put(ClientConnectionFactory.CONTEXT_KEY, (ClientConnectionFactory) (endPoint, ctx) -> {
                Http1Connection c = new Http1Connection(endPoint, executor, this, client.getHttpCompliance(), MAX_HEADER_BYTES,
                    client.getByteBufferPool());
                c.pending = f;
                return c;
            });
            context.put(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY, new Promise<Connection>() {
                @Override
                public void succeeded(Connection connection) {
                    // started in opened(), called by the connection's onOpen
                }

                @Override
                public void failed(Throwable x) {
                    openFailed(f, x);
                }
            });
            connector.connect(address, context);
        }

        private void openFailed(Flight f, Throwable x) {
            count.decrementAndGet();
            Flight failing = f != null ? f : nextQueued();
            if (failing != null) {
                failing.reject(!client.isRunning() ? new JettyUpstream.ClientStopped()
                    : x instanceof ConnectException ? x : new ConnectException(String.valueOf(x.getMessage())));
            }
            if (f != null || failing != null) {
                LOG.debug("connecting to {} failed: {}", upstream.shown(), x.getClass().getSimpleName()); // its message may name the resolved address
            }
        }

        /** A new connection is open: it carries the flight it was opened for, or the next waiting one. */
        void opened(Http1Connection c) {
            open.add(c);
            Flight f = c.pending;
            c.pending = null;
            if (f == null || f.answered.get()) {
                f = nextQueued();
            }
            if (f == null) {
                c.idle();
            } else {
                c.start(f);
            }
        }
    }
}
