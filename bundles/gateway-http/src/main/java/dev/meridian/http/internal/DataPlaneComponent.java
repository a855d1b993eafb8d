package dev.meridian.http.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;

import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.DuplexConnectionPool;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Origin;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.GatewayEngine;
import dev.meridian.core.MetricsSource;
import dev.meridian.core.NodeState;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.Settings;
import dev.meridian.core.SharedStates;
import dev.meridian.core.TableListener;
import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.Pipeline;
import dev.meridian.core.flow.PolicyChain;
import dev.meridian.core.flow.Steps;
import dev.meridian.core.flow.UpstreamClient;
import dev.meridian.model.Durations;
import dev.meridian.model.Upstream;

/**
 * Owns the data plane's HTTP: the Jetty 12 server on {@code MERIDIAN_HTTP_PORT}, the upstream
 * client (registered as the {@link UpstreamClient} service), the handler and the access log; the
 * steps each request runs come from core (policies), the cache bundle and the Camel pipeline,
 * all as services. Sized from jvm-ceiling.md: one selector, a small pool with no reserved
 * threads, client callbacks run on the selector (non-blocking).
 */
@Component(immediate = true)
public final class DataPlaneComponent {

    private static final Logger LOG = LoggerFactory.getLogger(DataPlaneComponent.class);

    @Reference
    private GatewayEngine engine;

    /** The Camel pipeline; while it is absent (its bundle being replaced) exchanges run their steps directly. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
        policyOption = ReferencePolicyOption.GREEDY)
    private volatile Pipeline pipeline;

    private QueuedThreadPool threads;
    private HttpClient client;
    private JettyUpstream upstream;
    private PolicyChain policies;
    /** The cache's part of each request, when the node has a cache (a cluster store); else none. */
    private volatile CacheSteps cacheSteps = CacheSteps.NONE;
    private ServiceRegistration<UpstreamClient> upstreamService;
    /** meridian_access_log_dropped_total for /metrics; null while the access log is off. */
    private ServiceRegistration<MetricsSource> accessLogMetrics;
    private Server server;
    private ServerConnector connector;
    private SlowClientSweeper sweeper;
    private SlowClientSweeper httpsSweeper;
    /** The HTTPS connector and its certificate reloads, when MERIDIAN_HTTPS_PORT is set; else null. */
    private TrafficTls https;
    private final UpstreamTlsContexts upstreamTls = new UpstreamTlsContexts();
    private GatewayHandler handler;
    private AccessLog accessLog;
    /** Request bodies received whole before the upstream call; null with MERIDIAN_REQUEST_BUFFERING=off. */
    private BodyStore bodies;
    private ServiceRegistration<MetricsSource> bodyMetrics;
    /** Upstream targets: their state, groups, health checks and metrics (CONTRACT §8). */
    private Targets targets;
    private ServiceRegistration<MetricsSource> targetMetrics;
    /** The cluster-shared state (gateway-cluster), where pool sizes are shared; absent on a node without it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
        policyOption = ReferencePolicyOption.GREEDY)
    private volatile SharedStates sharedStates;
    /** This node's recent pool sizes, sampled and shared ({@link PoolPeaks}). */
    private PoolPeaks poolPeaks;
    private volatile org.eclipse.jetty.util.thread.Scheduler.Task poolSampling;
    /** Removes the pre-opening of pools from the engine's steps before readiness. */
    private Runnable poolPrewarmHook;
    /** False once deactivation began: a late pre-opening must not report the port open. */
    private volatile boolean active = true;
    /** Connections a joining node pre-opens per origin at most ({@code MERIDIAN_POOL_PREWARM_MAX} [64]; 0 = none). */
    private int prewarmMax;

    /** The proxy warm-up while it may run (MERIDIAN_PROXY_WARMUP, on by default); null when off. */
    private ProxyWarmup proxyWarmup;
    private final java.util.Set<Upstream> warmed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
        policyOption = ReferencePolicyOption.GREEDY)
    void bindCacheSteps(CacheSteps steps) {
        cacheSteps = steps;
        rebuildSteps();
    }

    void unbindCacheSteps(CacheSteps steps) {
        if (cacheSteps == steps) {
            cacheSteps = CacheSteps.NONE;
            rebuildSteps();
        }
    }

    /** The steps every request runs, with the cache there is now (in-flight exchanges keep theirs). */
    private synchronized void rebuildSteps() {
        GatewayHandler h = handler;
        if (h != null) {
            CacheSteps c = cacheSteps;
            h.steps(new Steps(policies, c, upstream), c);
        }
    }

    @Activate
    void activate(BundleContext context) throws Exception {
        String host = Settings.string("MERIDIAN_HTTP_HOST", "0.0.0.0");
        int port = Settings.integer("MERIDIAN_HTTP_PORT", 8080);
        ClientLimits limits = clientLimits();
        TrustedProxies proxies = trustedProxies();
        bodies = bodyStore();
        boolean warmupOn = proxyWarmupOn();
        int cores = Runtime.getRuntime().availableProcessors();
        // The handler never blocks, so Jetty runs each request on the selector thread that read it
        // (no hand-off to the pool): with one selector, hits and pass-through are bound to one core
        // (JFR: 85% of hit samples on it; 1.0x nginx on hits). One per core, like nginx's
        // "worker_processes auto", measured 1.24-1.41x on hits and 0.72-0.73x on pass-through.
        int selectors = Settings.integer("MERIDIAN_HTTP_SELECTORS", cores);
        if (selectors < 1) {
            throw new IllegalArgumentException("MERIDIAN_HTTP_SELECTORS must be at least 1, got " + selectors);
        }
        // Small pool: every step is non-blocking, and on 2 cores 4 threads beat 8 or 16 (fewer
        // hand-offs); each selector past the first holds a thread of its own.
        int maxThreads = Settings.integer("MERIDIAN_HTTP_THREADS", Math.max(4, 2 * cores) + selectors - 1
            + (TrafficTls.port() > 0 ? selectors : 0)); // the HTTPS connector's selectors
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(DataPlaneComponent.class.getClassLoader());
        try {
            threads = new QueuedThreadPool(maxThreads, Math.min(4, maxThreads));
            threads.setReservedThreads(0);
            threads.setName("meridian-http");

            ClientConnector clientConnector = new ClientConnector();
            clientConnector.setSelectors(1);
            clientConnector.setExecutor(threads);
            HttpClientTransportOverHTTP transport = new UpstreamTransport(clientConnector, upstreamTls);
            transport.setInvocationType(Invocable.InvocationType.NON_BLOCKING);
            // Jetty's parser reuses header fields seen earlier on a connection, matching values
            // case-insensitively: an upstream's "max-age=3600" came out as another answer's
            // "MaX-aGe=3600". Values must reach clients byte for byte (and the cache must store them so).
            transport.setHeaderCacheCaseSensitive(true);
            // Requests are tagged with their Upstream record, so each upstream configuration gets
            // its own pool with its own limit; a changed pool setting gets a fresh pool.
            transport.setConnectionPoolFactory(destination -> new DuplexConnectionPool(destination,
                destination.getOrigin().getTag() instanceof Upstream u ? u.maxConnections() : 256));
            client = new HttpClient(transport);
            client.setExecutor(threads);
            client.setFollowRedirects(false);
            client.setUserAgentField(null);
            // A proxy keeps no cookies: Jetty's client would store every upstream Set-Cookie and send
            // it along with later requests of any client to that upstream.
            client.setHttpCookieStore(new org.eclipse.jetty.http.HttpCookieStore.Empty());
            client.getContentDecoderFactories().clear();
            client.setMaxConnectionsPerDestination(256);
            client.setMaxRequestsQueuedPerDestination(8192);
            client.setConnectTimeout(5_000);
            client.setIdleTimeout(60_000);
            client.setDestinationIdleTimeout(300_000);
            client.start();
            refreshLogLevels();

            String accessLogSetting = Settings.string("MERIDIAN_ACCESS_LOG",
                java.nio.file.Paths.get(System.getProperty("karaf.log", "data/log"), "access.log").toString());
            accessLog = accessLogSetting.equalsIgnoreCase("off") ? null
                : new AccessLog(java.nio.file.Paths.get(accessLogSetting), 64L * 1024 * 1024, 5);
            // interim 103 answers of upstreams reach the client (Jetty's own handler drops them)
            client.getProtocolHandlers().put(JettyUpstream.earlyHints());
            // MERIDIAN_UPSTREAM_CLIENT=jetty sends every request through Jetty's HttpClient (see Http1Upstream)
            boolean lean = !Settings.string("MERIDIAN_UPSTREAM_CLIENT", "meridian").equalsIgnoreCase("jetty");
            upstream = new JettyUpstream(client, threads, lean, upstreamTls, bodies, proxies);
            targets = new Targets(new HealthChecks(client));
            upstream.targets(targets);
            policies = new PolicyChain((action, delayMillis) -> {
                org.eclipse.jetty.util.thread.Scheduler.Task task = client.getScheduler().schedule(action, delayMillis,
                    TimeUnit.MILLISECONDS);
                return task::cancel;
            });
            handler = new GatewayHandler(engine, accessLog, () -> pipeline, proxies);
            // fresh cache hits answered by the connection, before Jetty's request handling (HitShortcut)
            handler.hitShortcut(!Settings.string("MERIDIAN_HIT_SHORTCUT", "on").equalsIgnoreCase("off"));
            rebuildSteps();

            // Jetty's default pool checks its memory bound (summing every pooled buffer of every
            // bucket) on every 100th release and scans a compound pool on acquire: 6.7% of a hit's
            // JFR samples. No total bound instead (-1), each bucket bounded at 256 buffers (one
            // concurrent pool, the acquiring thread's slot first); past it a buffer is allocated
            // and not kept. At most 256 x (4 + 8 + ... + 64 KiB) = 136 MiB per kind, held only
            // after that many buffers of every size were in use at once.
            server = new Server(threads, null, new ArrayByteBufferPool(0, 4096, 65536, 256, -1, -1));
            HttpConfiguration http = new HttpConfiguration();
            http.setSendServerVersion(false);
            http.setSendXPoweredBy(false);
            // Date is added by GatewayHandler (and JsonErrorHandler), one per answer: Jetty's own was
            // replaced by the stored or the origin's Date on every hit or proxied answer (a search
            // of the fields and a new wrapper field each time)
            http.setSendDateHeader(false);
            // as on the client: a field cached from an earlier request must not lend its case to this one's
            http.setHeaderCacheCaseSensitive(true);
            // and no field cache at all: its case-sensitive trie walk was the hottest method of cache
            // hits (6% of samples, JFR), more than parsing the few fields of a request afresh
            http.setHeaderCacheSize(0);
            // Traffic hardening (CONTRACT §9). Ambiguous paths reach the handler, whose RequestPath
            // refuses them with a JSON 400 naming the reason (Jetty would answer some with HTML and
            // let %2F and ; through); user info and fragments Jetty still refuses itself.
            http.setUriCompliance(UriCompliance.DEFAULT.with("meridian",
                UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR, UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING,
                UriCompliance.Violation.AMBIGUOUS_PATH_SEGMENT, UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT,
                UriCompliance.Violation.AMBIGUOUS_PATH_PARAMETER, UriCompliance.Violation.UTF16_ENCODINGS,
                UriCompliance.Violation.BAD_UTF8_ENCODING, UriCompliance.Violation.TRUNCATED_UTF8_ENCODING,
                UriCompliance.Violation.BAD_PERCENT_ENCODING, UriCompliance.Violation.SUSPICIOUS_PATH_CHARACTERS,
                UriCompliance.Violation.ILLEGAL_PATH_CHARACTERS));
            // RFC 9110 mode already refuses (400, connection closed) Content-Length with
            // Transfer-Encoding, differing or repeated Content-Lengths, obs-fold, whitespace before
            // the colon and a final coding other than chunked; it accepts bare LF as a line end,
            // which a server behind another proxy may not: refused too. A head over 16 KiB: 431.
            http.setHttpCompliance(HttpCompliance.RFC9110.without("meridian",
                HttpCompliance.Violation.LF_HEADER_TERMINATION, HttpCompliance.Violation.LF_CHUNK_TERMINATION));
            http.setRequestHeaderSize(16 * 1024);
            connector = new ServerConnector(server, 1, selectors, SlowClientSweeper.connections(http));
            connector.setHost(host);
            connector.setPort(port);
            connector.setIdleTimeout(75_000);
            connector.setAcceptQueueSize(4096);
            server.addConnector(connector);
            if (TrafficTls.port() > 0) {
                https = new TrafficTls(server, http, TrafficTls.port(), host, selectors);
            }
            server.setHandler(handler);
            JsonErrorHandler errors = new JsonErrorHandler(() -> engine.current().revision(), accessLog);
            server.setErrorHandler(errors);
            server.start();
            sweeper = new SlowClientSweeper(connector, limits, errors);
            sweeper.start();
            if (https != null) {
                httpsSweeper = new SlowClientSweeper(https.connector(), limits, errors);
                httpsSweeper.start();
                https.watch();
            }
            // the proxy path once, before the first apply sends requests down it; off the
            // activation thread, which it takes the class loader from, while the boot goes on; the
            // node turns ready after it and the collection that follows it (below, where the port
            // counts as open): the first apply after a cold boot within 200 ms in 10 boots of 10,
            // no young pause of 40-56 ms inside the first applies any more (bench/README.md,
            // 2026-12-03). On by default; MERIDIAN_PROXY_WARMUP=off skips it.
            // deactivate() stops it first: a node stopped while it runs stops in a second or two.
            if (warmupOn) {
                proxyWarmup = new ProxyWarmup(http, new Steps(policies, CacheSteps.NONE, upstream), () -> pipeline,
                    ProxyWarmup.REQUESTS).start(this::booting);
            }
        } finally {
            current.setContextClassLoader(previous);
        }
        engine.addListener(warmer);
        poolPeaks = new PoolPeaks(Settings.nodeName());
        prewarmMax = Settings.integer("MERIDIAN_POOL_PREWARM_MAX", 64);
        if (prewarmMax < 0) {
            throw new IllegalArgumentException("MERIDIAN_POOL_PREWARM_MAX must be 0 or more, got " + prewarmMax);
        }
        samplePoolsLater();
        poolPrewarmHook = engine.beforeReady(this::prewarmPools);
        upstreamService = context.registerService(UpstreamClient.class, upstream, null);
        if (accessLog != null) {
            AccessLog log = accessLog;
            accessLogMetrics = context.registerService(MetricsSource.class, out -> out
                .append("# HELP meridian_access_log_dropped_total Access log lines dropped: a request thread's buffer full, or the file could not be written (a full disk).\n")
                .append("# TYPE meridian_access_log_dropped_total counter\nmeridian_access_log_dropped_total ")
                .append(log.dropped()).append('\n'), null);
        }
        if (bodies != null) {
            bodyMetrics = context.registerService(MetricsSource.class, bodies::metrics, null);
        }
        targetMetrics = context.registerService(MetricsSource.class, targets::metrics, null);
        // the port counts as open (the node may turn ready) once the proxy path is warm and the
        // boot's garbage collected (ProxyWarmup: at most its 5 s budget from above, 1.2-5 s
        // measured while three nodes boot on two cores)
        CompletionStage<Void> warm = proxyWarmup == null ? CompletableFuture.completedFuture(null) : proxyWarmup.done();
        RouteTable served = engine.current();
        if (served.routes().isEmpty()) {
            warm.thenRun(() -> {
                if (active) {
                    engine.trafficPortOpen(true);
                }
            });
        } else {
            // the node served a revision before this component came up (a restart where the
            // manager restored it first, an update of this bundle): its pools are pre-opened
            // before the port counts as open, as they would have been before ready
            warm.thenCompose(v -> prewarmPools(served)).whenComplete((v, e) -> {
                if (active) {
                    engine.trafficPortOpen(true);
                }
            });
        }
        LOG.info("Meridian traffic port listening on {}:{} ({} selectors, trusted proxies: {})", host, connector.getLocalPort(),
            selectors, proxies);
        if (https != null) {
            LOG.info("Meridian HTTPS traffic port listening on {}:{} ({} selectors)", host, https.connector().getLocalPort(),
                selectors);
        }
    }

    /**
     * {@code MERIDIAN_REQUEST_BUFFERING} [on]: request bodies are received whole before the upstream
     * call, each in memory up to {@code MERIDIAN_BODY_BUFFER} [64k] while {@code MERIDIAN_BODY_MEMORY}
     * [64m] lasts for all, else in {@code MERIDIAN_BODY_TEMP} [{@code MERIDIAN_DATA} or Karaf's data
     * dir, then {@code meridian/body-temp}]; off: streamed (null).
     */
    private static BodyStore bodyStore() throws IOException {
        String buffering = Settings.string("MERIDIAN_REQUEST_BUFFERING", "on");
        if (buffering.equalsIgnoreCase("off")) {
            return null;
        }
        if (!buffering.equalsIgnoreCase("on")) {
            throw new IllegalArgumentException("MERIDIAN_REQUEST_BUFFERING must be on or off, got " + buffering);
        }
        String data = Settings.string("MERIDIAN_DATA", null);
        Path dir = Paths.get(Settings.string("MERIDIAN_BODY_TEMP",
            Paths.get(data != null ? data : System.getProperty("karaf.data", "data"), "meridian", "body-temp").toString()));
        // 64m: 1/16 of the default 1g heap (MERIDIAN_HEAP), the size of the cache's fast tier; 1,024
        // bodies of a full 64 KiB at once before the next goes to disk
        return BodyStore.open(dir, Settings.bytes("MERIDIAN_BODY_BUFFER", "64k"), Settings.bytes("MERIDIAN_BODY_MEMORY", "64m"));
    }

    /**
     * Whether the JVM is still booting: the node not ready and up for less than two minutes. A
     * full collection is only worth its pause then (ProxyWarmup); an update of this bundle on a
     * node that serves (the port not counted open again yet, but requests flowing) must not get one.
     */
    private boolean booting() {
        return engine.nodeState() == NodeState.STARTING
            && java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() < 120_000;
    }

    /** {@code MERIDIAN_PROXY_WARMUP} [on]: whether the proxy path is warmed at start ({@link ProxyWarmup}). */
    private static boolean proxyWarmupOn() {
        String setting = Settings.string("MERIDIAN_PROXY_WARMUP", "on");
        if (!setting.equalsIgnoreCase("on") && !setting.equalsIgnoreCase("off")) {
            throw new IllegalArgumentException("MERIDIAN_PROXY_WARMUP must be on or off, got " + setting);
        }
        return setting.equalsIgnoreCase("on");
    }

    /**
     * {@code MERIDIAN_TRUSTED_PROXIES} [none] (CONTRACT §8). An invalid entry stops the data plane
     * from starting (the traffic port stays closed, {@code /ready} says 503): trusting none instead
     * would make every client behind the proxies one address, the proxy's, which an
     * {@code ip-filter} allowing the proxies' network would then let through, whoever the client.
     */
    private static TrustedProxies trustedProxies() {
        try {
            return TrustedProxies.parse(Settings.string(TrustedProxies.SETTING, ""));
        } catch (IllegalArgumentException invalid) {
            LOG.error("the traffic port does not start: {}", invalid.getMessage());
            throw invalid;
        }
    }

    /** {@code MERIDIAN_HEADER_TIMEOUT} [10s], {@code MERIDIAN_MIN_BODY_RATE} [1024 bytes/s], {@code MERIDIAN_BODY_GRACE} [5s]. */
    private static ClientLimits clientLimits() {
        return new ClientLimits(Durations.parse(Settings.string("MERIDIAN_HEADER_TIMEOUT", "10s")),
            Settings.integer("MERIDIAN_MIN_BODY_RATE", 1024), Durations.parse(Settings.string("MERIDIAN_BODY_GRACE", "5s")));
    }

    /**
     * {@code pool.warm}: when a new route table is published, opens that many connections to
     * each upstream ahead of traffic. Told by the engine on its thread; the work runs on the
     * client's executor (opening connections is asynchronous, but resolving a destination is not
     * the engine thread's business).
     */
    private final TableListener warmer = (table, state) -> {
        if (client.isRunning()) {
            client.getExecutor().execute(() -> warm(table));
        }
    };

    private void warm(RouteTable table) {
        if (!client.isRunning()) {
            return;
        }
        upstreamTls.retainUsedBy(table);
        targets.retainUsedBy(table);
        for (Route route : table.servedRoutes()) { // a split's shapes and a canary's stable side have their own upstreams
            for (Upstream u : called(route.upstream())) {
                if (u.warm() > 0 && warmed.add(u)) {
                    if (upstream.lean() != null && "http".equals(u.scheme())) {
                        upstream.lean().warm(u, u.warm()); // the pool bodiless requests use: the bulk of the traffic
                        continue;
                    }
                    client.resolveDestination(client.newRequest(u.host(), u.port()).scheme(u.scheme()).tag(u))
                        .getConnectionPool().preCreateConnections(u.warm())
                        .whenComplete((v, failure) -> {
                            if (failure != null) {
                                warmed.remove(u);
                                LOG.warn("warming {} connections to {} for API {} failed: {}", u.warm(), u.shown(), route.id(),
                                    route.redact(failure.toString()));
                            }
                        });
                }
            }
        }
    }

    /** The upstreams a route's requests go to: its targets (each with its own pool), else its upstream. */
    private static java.util.List<Upstream> called(Upstream u) {
        return u.hasTargets() ? u.targets().targets().stream().map(t -> t.upstream()).toList() : java.util.List.of(u);
    }

    /**
     * Drains as CONTRACT §2 says: readiness turns 503, responses carry {@code Connection: close}
     * so keep-alive connections end between requests, new connections are refused once the
     * drain delay has passed, in-flight requests finish, then the server stops.
     */
    private void samplePoolsLater() {
        try {
            poolSampling = client.getScheduler().schedule(this::samplePools, PoolPeaks.SAMPLE_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // the client is stopping
        }
    }

    /** Every few seconds: the pools' sizes per origin into this node's window, and its peaks into the cluster. */
    private void samplePools() {
        if (!client.isRunning()) {
            return;
        }
        try {
            Map<String, Integer> counts = new HashMap<>();
            if (upstream.lean() != null) {
                upstream.lean().connectionCounts(counts);
            }
            for (Destination d : client.getDestinations()) {
                if (d.getConnectionPool() instanceof AbstractConnectionPool p) {
                    Origin o = d.getOrigin();
                    counts.merge(PoolPeaks.origin(o.getScheme(), o.getAddress().getHost(), o.getAddress().getPort()),
                        p.getConnectionCount(), Integer::sum);
                }
            }
            poolPeaks.sample(counts);
            SharedStates states = sharedStates;
            if (states != null) {
                poolPeaks.publish(states.open(PoolPeaks.SPACE), System.currentTimeMillis());
            }
        } catch (RuntimeException e) {
            LOG.debug("sampling the upstream pools failed: {}", e.toString());
        }
        samplePoolsLater();
    }

    /**
     * Before the node reports ready, with its first revision's routes: opens as many connections
     * to each upstream origin as the peers' pools held recently ({@link PoolPeaks}), at most
     * {@code MERIDIAN_POOL_PREWARM_MAX} per origin and within {@code pool.maxConnections}, on a
     * thread of its own and within 5 s whatever happens (a slow or absent upstream holds
     * readiness no longer). Nothing to do on a node alone or without routes.
     */
    private CompletionStage<?> prewarmPools(RouteTable table) {
        SharedStates states = sharedStates;
        if (states == null || prewarmMax == 0 || table.routes().isEmpty() || !client.isRunning()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                prewarm(states, table);
            } catch (RuntimeException e) {
                LOG.warn("pre-opening upstream pools failed (the first requests will open their own): {}", e.toString());
            } finally {
                done.complete(null);
            }
        }, "meridian-pool-prewarm");
        t.setDaemon(true);
        t.start();
        return done;
    }

    private static final long PREWARM_BOUND_NANOS = 5_000_000_000L;

    private void prewarm(SharedStates states, RouteTable table) {
        long start = System.nanoTime();
        long deadline = start + PREWARM_BOUND_NANOS;
        Map<String, Upstream> byOrigin = new LinkedHashMap<>();
        for (Route route : table.servedRoutes()) { // shapes and a canary's stable side included
            for (Upstream u : called(route.upstream())) {
                byOrigin.putIfAbsent(PoolPeaks.origin(u), u);
            }
        }
        Map<String, Integer> peaks;
        try {
            peaks = PoolPeaks.read(states.open(PoolPeaks.SPACE), byOrigin.keySet(), System.currentTimeMillis())
                .toCompletableFuture().get(PREWARM_BOUND_NANOS / 2, TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("the peers' pool sizes could not be read: {}", e.toString());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Map<String, Integer> targets = new LinkedHashMap<>();
        Map<String, IntSupplier> open = new LinkedHashMap<>();
        peaks.forEach((origin, peak) -> {
            Upstream u = byOrigin.get(origin);
            int target = Math.min(peak, Math.min(prewarmMax, Math.max(1, u.maxConnections())));
            targets.put(origin, target);
            if (upstream.lean() != null && "http".equals(u.scheme())) {
                open.put(origin, upstream.lean().preOpen(u, target)); // where bodiless requests, the bulk, go
            } else if (client.resolveDestination(client.newRequest(u.host(), u.port()).scheme(u.scheme()).tag(u))
                .getConnectionPool() instanceof AbstractConnectionPool p) {
                int missing = target - p.getConnectionCount();
                if (missing > 0) {
                    p.preCreateConnections(missing);
                }
                open.put(origin, () -> p.getIdleConnectionCount() + p.getActiveConnectionCount());
            }
        });
        try {
            while (System.nanoTime() - deadline < 0
                && open.entrySet().stream().anyMatch(o -> o.getValue().getAsInt() < targets.get(o.getKey()))) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Map<String, Integer> opened = new LinkedHashMap<>();
        open.forEach((origin, count) -> opened.put(origin, count.getAsInt()));
        LOG.info("upstream pools pre-opened to the peers' sizes in {} ms: open {} for peaks {}",
            (System.nanoTime() - start) / 1_000_000, opened, peaks);
    }

    /**
     * Every second, the levels of this bundle's loggers read again from pax-logging (they are
     * cached: {@code dev.meridian.http.logging.CachedLevelLogger}), so that {@code log:set} reaches
     * Jetty's and this bundle's loggers within a second. Stops with the client's scheduler.
     */
    private void refreshLogLevels() {
        client.getScheduler().schedule(() -> {
            dev.meridian.http.logging.CachedLevelLoggers.refresh();
            if (client.isRunning()) {
                refreshLogLevels();
            }
        }, 1, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        active = false;
        if (poolPrewarmHook != null) {
            poolPrewarmHook.run();
        }
        org.eclipse.jetty.util.thread.Scheduler.Task sampling = poolSampling;
        if (sampling != null) {
            sampling.cancel();
        }
        if (proxyWarmup != null) {
            // first: its exchanges use the client and the Camel route stopped below
            long t0 = System.nanoTime();
            boolean ended = proxyWarmup.stop(5_000);
            LOG.info("proxy warm-up {} in {} ms", ended ? "stopped" : "NOT stopped (its thread is left to end)",
                (System.nanoTime() - t0) / 1_000_000);
        }
        engine.removeListener(warmer);
        engine.startDraining();
        if (handler != null) {
            handler.drain();
        }
        try {
            Duration delay = Durations.parse(Settings.string("MERIDIAN_DRAIN_DELAY", "1s"));
            Duration timeout = Durations.parse(Settings.string("MERIDIAN_DRAIN_TIMEOUT", "30s"));
            Thread.sleep(delay.toMillis());
            if (connector != null) {
                connector.shutdown();
            }
            if (https != null) {
                https.close();
                https.connector().shutdown();
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (handler != null && handler.inFlight() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (handler != null && handler.inFlight() > 0) {
                LOG.warn("drain timeout: {} requests still in flight are cut", handler.inFlight());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engine.trafficPortOpen(false);
        if (sweeper != null) {
            sweeper.stop();
        }
        if (httpsSweeper != null) {
            httpsSweeper.stop();
        }
        if (upstreamService != null) {
            upstreamService.unregister();
        }
        if (accessLogMetrics != null) {
            accessLogMetrics.unregister();
        }
        if (bodyMetrics != null) {
            bodyMetrics.unregister();
        }
        if (targetMetrics != null) {
            targetMetrics.unregister();
        }
        if (targets != null) {
            targets.stop();
        }
        stopQuietly(server, "traffic server");
        stopQuietly(client, "upstream client");
        upstreamTls.stopAll();
        if (accessLog != null) {
            accessLog.close();
        }
        if (bodies != null) {
            bodies.close();
        }
        stopQuietly(threads, "thread pool");
        LOG.info("Meridian traffic port stopped");
    }

    private static void stopQuietly(org.eclipse.jetty.util.component.LifeCycle c, String what) {
        if (c == null) {
            return;
        }
        try {
            c.stop();
        } catch (Exception e) {
            LOG.warn("stopping the {} failed", what, e);
        }
    }
}
