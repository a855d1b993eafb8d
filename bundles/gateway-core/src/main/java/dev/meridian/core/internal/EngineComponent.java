package dev.meridian.core.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.CanaryMeter;
import dev.meridian.core.GatewayEngine;
import dev.meridian.core.GatewayEngine.TypeStatus;
import dev.meridian.core.GatewayState;
import dev.meridian.core.NodeState;
import dev.meridian.core.PluginInfo;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.Settings;
import dev.meridian.core.SharedStates;
import dev.meridian.core.TableListener;
import dev.meridian.core.ValidationException;
import dev.meridian.core.series.Series;
import dev.meridian.core.series.SeriesBook;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.PolicySpec;
import dev.meridian.model.Problem;
import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyFactory;

/**
 * The engine: build, publish, retire. Every compile runs on one executor thread, never on a DS
 * or caller thread; the route table is published with one volatile write; tables replaced are
 * kept until their in-flight requests finish.
 *
 * <p>A policy type whose bundle is being updated, refreshed or upgraded is <em>pending</em>
 * ({@link PendingTypes}, {@code MERIDIAN_TYPE_WAIT} [10s]), not absent: a publish that needs it
 * waits for it instead of failing, and the manager waits before it validates.
 *
 * <p>Every registered factory gets its own {@code PolicyContext} ({@link FactoryContexts}): made
 * when it binds, passed to each of its {@code create} calls, closed (its timers cancelled) when it
 * unbinds. The outbound HTTP client and the shared state behind the contexts are the optional
 * services {@link OutboundHttp} and {@link SharedStates}, bound dynamically: contexts stay valid
 * when those bundles restart.
 *
 * <p>{@link TableListener}s are told on the engine thread after each swap and after each change
 * of the node's state or policy types; nobody needs to poll {@link #current()}.
 */
@Component(service = GatewayEngine.class, immediate = true)
public final class EngineComponent implements GatewayEngine {

    private static final Logger LOG = LoggerFactory.getLogger(EngineComponent.class);

    /** What is published: the table and what it was compiled from, swapped as one. */
    private record Published(GatewayState state, RouteTable table, Map<PolicySpec, Compiler.Compiled> compiled,
                             List<String> missingTypes) {
    }

    private final PolicyRegistry registry = new PolicyRegistry();
    private final Map<String, ApiMetrics> metrics = new ConcurrentHashMap<>();
    /** The console's time series (issue 14), one book per node; each API's {@link ApiMetrics} records into its series. */
    private final SeriesBook series = new SeriesBook(java.time.Clock.systemUTC());
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meridian-engine");
        t.setDaemon(true);
        return t;
    });
    private final Duration typeWait;
    private final PendingTypes pending;
    private final Compiler compiler;
    private final FactoryContexts contexts;
    private PolicyBundles policyBundles;
    private final List<RouteTable> retiring = new ArrayList<>(); // engine thread only
    private final AtomicLong generation = new AtomicLong();
    private final LongAdder publishes = new LongAdder();
    private final LongAdder retired = new LongAdder();
    private final LongAdder unmatched = new LongAdder();
    private final AtomicInteger retiringCount = new AtomicInteger();
    private final Set<TableListener> listeners = new CopyOnWriteArraySet<>();
    /** What runs at markReady before the node turns ready ({@link #beforeReady}). */
    private final List<Function<RouteTable, CompletionStage<?>>> readyHooks =
        new CopyOnWriteArrayList<>();
    /** The most a hook may hold readiness. */
    private static final long READY_HOOK_BOUND_SECONDS = 10;

    private volatile Published published = new Published(GatewayState.EMPTY, RouteTable.empty(), Map.of(), List.of());
    private volatile boolean ready;
    private volatile boolean draining;
    private volatile boolean trafficPortOpen;

    public EngineComponent() {
        this(Settings.duration("MERIDIAN_TYPE_WAIT", "10s"), SecretResolver.fromSettings(), Clock.systemUTC(),
            Settings.nodeName());
    }

    /** @param typeWait how long a policy type being replaced is waited for ({@code MERIDIAN_TYPE_WAIT}) */
    EngineComponent(Duration typeWait) {
        this(typeWait, SecretResolver.NONE);
    }

    /** @param secrets resolves {@code ${secret:NAME}} in policy configurations when a state is compiled */
    EngineComponent(Duration typeWait, SecretResolver secrets) {
        this(typeWait, secrets, Clock.systemUTC(), Settings.nodeName());
    }

    /**
     * @param clock what {@code PolicyContext.clock()} answers
     * @param nodeName what {@code PolicyContext.nodeName()} answers
     */
    EngineComponent(Duration typeWait, SecretResolver secrets, Clock clock, String nodeName) {
        this.typeWait = typeWait;
        this.contexts = new FactoryContexts(clock, nodeName, () -> published.table().consumers());
        this.pending = new PendingTypes(type -> registry.provider(type).isPresent(), typeWait, System::nanoTime, executor,
            this::nodeChanged);
        this.compiler = new Compiler(registry, id -> metrics.computeIfAbsent(id, k -> new ApiMetrics(k, seriesOf(k))),
            type -> pending.status(type) == TypeStatus.PENDING, secrets);
    }

    /** @param context null without a framework (unit tests): then no bundle declarations are watched */
    @Activate
    void activate(BundleContext context) {
        executor.scheduleWithFixedDelay(this::retire, 100, 100, TimeUnit.MILLISECONDS);
        if (context != null) {
            policyBundles = new PolicyBundles(context, pending);
            policyBundles.open();
        }
    }

    @Deactivate
    void deactivate() {
        if (policyBundles != null) {
            policyBundles.close();
        }
        pending.close();
        executor.shutdownNow();
        contexts.close();
    }

    @Reference(service = PolicyFactory.class, cardinality = ReferenceCardinality.MULTIPLE,
        policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindPolicyFactory(PolicyFactory factory, ServiceReference<PolicyFactory> ref) {
        String type = typeOf(factory, ref);
        Bundle bundle = ref.getBundle();
        Object ranking = ref.getProperty(Constants.SERVICE_RANKING);
        registry.add(new PolicyRegistry.Provider(factory, type, (Long) ref.getProperty(Constants.SERVICE_ID),
            ranking instanceof Integer i ? i : 0,
            bundle == null ? "unknown" : bundle.getSymbolicName(),
            bundle == null ? "0" : bundle.getVersion().toString(),
            contexts.open(type)));
        pending.providersChanged();
        nodeChanged();
        LOG.info("policy type '{}' provided by {} {}", type, bundle == null ? "?" : bundle.getSymbolicName(),
            bundle == null ? "" : bundle.getVersion());
        executor.execute(() -> recompileFor(type));
    }

    void unbindPolicyFactory(PolicyFactory factory, ServiceReference<PolicyFactory> ref) {
        String type = typeOf(factory, ref);
        Bundle bundle = ref.getBundle();
        boolean onPurpose = PolicyBundles.stoppedOnPurpose(bundle);
        if (!onPurpose) {
            // marked before it is removed: nobody sees the type absent in between
            pending.changed(type, bundle == null ? "unknown" : bundle.getSymbolicName(),
                bundle == null ? "0" : bundle.getVersion().toString());
        }
        // its instances may serve on until the chains are rebuilt; only its timers stop now
        registry.remove(factory, type).ifPresent(p -> p.context().close());
        if (onPurpose) {
            pending.withdrawn(type);
        } else {
            pending.providersChanged();
        }
        nodeChanged();
        LOG.info("policy type '{}' factory from {} went away{}", type, bundle == null ? "?" : bundle.getSymbolicName(),
            onPurpose ? " (bundle stopped)" : "");
        executor.execute(() -> recompileFor(type));
    }

    @Reference(service = OutboundHttp.class, cardinality = ReferenceCardinality.OPTIONAL,
        policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindOutboundHttp(OutboundHttp http) {
        contexts.bindHttp(http);
    }

    void unbindOutboundHttp(OutboundHttp http) {
        contexts.unbindHttp(http);
    }

    @Reference(service = SharedStates.class, cardinality = ReferenceCardinality.OPTIONAL,
        policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindSharedStates(SharedStates states) {
        contexts.bindStates(states);
    }

    void unbindSharedStates(SharedStates states) {
        contexts.unbindStates(states);
    }

    private static String typeOf(PolicyFactory factory, ServiceReference<PolicyFactory> ref) {
        Object prop = ref.getProperty(PolicyFactory.TYPE_PROPERTY);
        return prop instanceof String s ? s : factory.type();
    }

    @Override
    public RouteTable current() {
        return published.table();
    }

    @Override
    public GatewayState state() {
        return published.state();
    }

    @Override
    public void validate(Collection<ApiDefinition> apis) throws ValidationException {
        List<Problem> problems = compiler.validate(List.copyOf(apis));
        if (!problems.isEmpty()) {
            throw new ValidationException(problems);
        }
    }

    @Override
    public void checkSecrets(Collection<ApiDefinition> apis) throws ValidationException {
        List<Problem> problems = compiler.checkSecrets(apis);
        if (!problems.isEmpty()) {
            throw new ValidationException(problems);
        }
    }

    @Override
    public CompletableFuture<RouteTable> publish(GatewayState state) {
        CompletableFuture<RouteTable> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + typeWait.toNanos();
        executor.execute(() -> attemptPublish(state, result, deadline));
        return result;
    }

    @Override
    public CompletableFuture<RouteTable> recompile() {
        CompletableFuture<RouteTable> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                Published current = published;
                try {
                    result.complete(swap(current.state(), current));
                } catch (ValidationException e) {
                    LOG.error("recompiling revision {} failed; the current table keeps serving: {}",
                        current.state().revision(), e.getMessage());
                    result.completeExceptionally(e);
                } catch (RuntimeException e) {
                    LOG.error("recompiling revision {} failed; the current table keeps serving", current.state().revision(), e);
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException stopped) {
            result.completeExceptionally(stopped);
        }
        return result;
    }

    /** One compile; when it fails for a type being replaced, again once the type is back (until {@code deadline}). */
    private void attemptPublish(GatewayState state, CompletableFuture<RouteTable> result, long deadline) {
        try {
            result.complete(doPublish(state));
        } catch (ValidationException e) {
            Set<String> waitFor = pendingTypesOf(state);
            long left = deadline - System.nanoTime();
            if (waitFor.isEmpty() || left <= 0) {
                result.completeExceptionally(e);
                return;
            }
            LOG.info("revision {} waits up to {} ms for policy types being replaced: {}", state.revision(),
                TimeUnit.NANOSECONDS.toMillis(left), waitFor);
            pending.await(waitFor, Duration.ofNanos(left)).thenRun(() -> {
                try {
                    executor.execute(() -> attemptPublish(state, result, deadline));
                } catch (RejectedExecutionException stopped) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RuntimeException e) {
            LOG.error("publish of revision {} failed", state.revision(), e);
            result.completeExceptionally(e);
        }
    }

    private Set<String> pendingTypesOf(GatewayState state) {
        Set<String> out = new HashSet<>();
        servedApis(state).forEach(api -> api.policies().forEach(p -> {
            if (pending.status(p.type()) == TypeStatus.PENDING) {
                out.add(p.type());
            }
        }));
        return out;
    }

    /** The APIs a state serves: both sides' while it is a canary. */
    private static List<ApiDefinition> servedApis(GatewayState state) {
        List<ApiDefinition> out = new ArrayList<>(state.apis().values());
        if (state.canary() != null) {
            out.addAll(state.canary().stableApis().values());
        }
        return out;
    }

    @Override
    public TypeStatus typeStatus(String type) {
        return pending.status(type);
    }

    @Override
    public CompletableFuture<Set<String>> awaitTypes(Collection<String> types, Duration timeout) {
        return pending.await(types, timeout);
    }

    @Override
    public List<PluginInfo> pendingPlugins() {
        return pending.plugins();
    }

    private RouteTable doPublish(GatewayState state) throws ValidationException {
        Published current = published;
        if (state.revision() < current.state().revision()) {
            LOG.debug("revision {} not published: {} is newer", state.revision(), current.state().revision());
            return current.table();
        }
        if (state.revision() == current.state().revision() && state.equals(current.state()) && state.revision() > 0) {
            return current.table();
        }
        return swap(state, current);
    }

    private RouteTable swap(GatewayState state, Published current) throws ValidationException {
        long start = System.nanoTime();
        Compiler.Result result;
        try {
            if (state.canary() == null) {
                result = compiler.compile(state, generation.incrementAndGet(), current.compiled());
            } else {
                // the same canary recompiled (a policy bundle changed, secrets reloaded) or in a newer
                // revision (a consumer change during it) keeps its counts
                RouteTable.CanarySplit running = current.table().canary();
                CanaryMeter meter = running != null && running.canary().equals(state.canary()) ? running.meter()
                    : new CanaryMeter(state.canary().policy().window());
                result = compiler.compileCanary(state, generation.incrementAndGet(), current.compiled(), meter);
            }
        } catch (PolicyConfigException e) {
            throw new ValidationException(e.problems().stream().map(p -> new Problem(p.path(), p.message())).toList());
        }
        published = new Published(state, result.table(), result.compiled(), result.missingTypes());
        publishes.increment();
        tell(l -> l.swapped(result.table(), state));
        retiring.add(current.table());
        retiringCount.set(retiring.size());
        if (!result.missingTypes().isEmpty()) {
            LOG.warn("revision {} keeps serving policy types whose bundle is gone: {}; node is degraded",
                state.revision(), result.missingTypes());
        }
        if (LOG.isInfoEnabled()) {
            LOG.info("published revision {} (generation {}, {} APIs, compiled and swapped in {} ms)", state.revision(),
                result.table().generation(), result.table().routes().size(), millis(System.nanoTime() - start));
        }
        return result.table();
    }

    /** After a factory came or went: rebuild the chains that use {@code type}, same revision. */
    private void recompileFor(String type) {
        Published current = published;
        boolean used = servedApis(current.state()).stream()
            .anyMatch(api -> api.policies().stream().anyMatch(p -> p.type().equals(type)));
        if (!used) {
            return;
        }
        try {
            swap(current.state(), current);
        } catch (ValidationException | RuntimeException e) {
            LOG.error("rebuilding revision {} after policy type '{}' changed failed; the previous chains keep serving",
                current.state().revision(), type, e);
        }
    }

    /**
     * Drops replaced tables once no request runs on them; once none is left, the counters and
     * series of APIs (and shapes) the published table no longer serves ({@link #forgetUnserved}).
     */
    private void retire() {
        boolean drained = false;
        for (Iterator<RouteTable> it = retiring.iterator(); it.hasNext(); ) {
            RouteTable t = it.next();
            if (t.inFlight() == 0) {
                it.remove();
                retired.increment();
                drained = true;
            }
        }
        retiringCount.set(retiring.size());
        if (drained && retiring.isEmpty()) {
            forgetUnserved(published.table());
        }
    }

    /**
     * Forgets the counters ({@code /metrics}) and the per-second series (the console's) of every
     * API and shape {@code table} does not serve: a deleted API's, a removed shape's. Without it
     * they stayed for the node's lifetime, and after {@link SeriesBook#MAX_SERIES} keys ever
     * compiled every new API's series was the shared {@code ("", "other")} one until a restart.
     * Runs on the engine's thread (serial with compiles, which create them) once no replaced
     * table is left, so no request still records into what goes; an API applied again later
     * starts from zero, as a new scrape target does.
     */
    private void forgetUnserved(RouteTable table) {
        java.util.Set<ApiMetrics> served = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.Set<String> servedApis = new java.util.HashSet<>();
        for (Route r : table.servedRoutes()) {
            served.add(r.metrics());
            servedApis.add(r.metrics().apiId());
        }
        java.util.Set<String> gone = new java.util.TreeSet<>();
        metrics.values().removeIf(m -> {
            if (served.contains(m)) {
                return false;
            }
            if (servedApis.contains(m.apiId())) {
                series.forget(m.apiId(), m.shape()); // a shape removed from a served API
            } else {
                series.forget(m.apiId()); // every shape of it
            }
            gone.add(m.shape().isEmpty() ? m.apiId() : ApiMetrics.key(m.apiId(), m.shape()));
            return true;
        });
        if (!gone.isEmpty()) {
            LOG.debug("counters and series of APIs and shapes no longer served dropped: {}", gone);
        }
    }

    @Override
    public NodeState nodeState() {
        if (draining) {
            return NodeState.DRAINING;
        }
        if (!ready || !trafficPortOpen) {
            return NodeState.STARTING;
        }
        return published.missingTypes().isEmpty() ? NodeState.READY : NodeState.DEGRADED;
    }

    @Override
    public void startDraining() {
        draining = true;
        nodeChanged();
    }

    @Override
    public void markReady() {
        RouteTable table = current();
        List<CompletableFuture<?>> waits = new ArrayList<>();
        for (Function<RouteTable, CompletionStage<?>> hook : readyHooks) {
            try {
                waits.add(hook.apply(table).toCompletableFuture());
            } catch (RuntimeException e) {
                LOG.warn("a step before readiness failed: {}", e.toString());
            }
        }
        // no hook (or all done): ready at once, on this thread, as before hooks existed
        CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new))
            .handle((v, e) -> null)
            .completeOnTimeout(null, READY_HOOK_BOUND_SECONDS, TimeUnit.SECONDS)
            .thenRun(() -> {
                ready = true;
                nodeChanged();
            });
    }

    @Override
    public Runnable beforeReady(Function<RouteTable, CompletionStage<?>> hook) {
        readyHooks.add(hook);
        return () -> readyHooks.remove(hook);
    }

    @Override
    public void trafficPortOpen(boolean open) {
        trafficPortOpen = open;
        nodeChanged();
    }

    @Override
    public void addListener(TableListener listener) {
        if (listeners.add(listener)) {
            onEngineThread(() -> {
                Published p = published;
                if (listeners.contains(listener)) {
                    tellOne(listener, l -> l.swapped(p.table(), p.state()));
                }
            });
        }
    }

    @Override
    public void removeListener(TableListener listener) {
        listeners.remove(listener);
    }

    /** Tells the listeners, on the engine thread, that the node's state or policy types may have changed. */
    private void nodeChanged() {
        if (!listeners.isEmpty()) {
            onEngineThread(() -> tell(TableListener::nodeChanged));
        }
    }

    private void onEngineThread(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException stopped) {
            LOG.debug("engine stopped; listeners not told");
        }
    }

    /** Engine thread only. */
    private void tell(java.util.function.Consumer<TableListener> call) {
        for (TableListener l : listeners) {
            tellOne(l, call);
        }
    }

    private static void tellOne(TableListener listener, java.util.function.Consumer<TableListener> call) {
        try {
            call.accept(listener);
        } catch (RuntimeException e) {
            LOG.error("table listener {} failed", listener, e);
        }
    }

    @Override
    public List<PluginInfo> plugins() {
        List<PluginInfo> plugins = new ArrayList<>(registry.plugins());
        Set<String> present = new HashSet<>();
        plugins.forEach(p -> present.add(p.type()));
        for (String missing : published.missingTypes()) {
            if (!present.contains(missing)) {
                plugins.add(new PluginInfo(missing, "(removed, last instance serving)", "", false));
            }
        }
        return plugins;
    }

    @Override
    public SeriesBook series() {
        return series;
    }

    /** The series of a metrics key ({@code id} or {@code id/shape}, {@link ApiMetrics#key}). */
    private Series seriesOf(String metricsKey) {
        int slash = metricsKey.indexOf('/');
        return slash < 0 ? series.series(metricsKey, "") : series.series(metricsKey.substring(0, slash), metricsKey.substring(slash + 1));
    }

    @Override
    public Collection<ApiMetrics> apiMetrics() {
        return List.copyOf(metrics.values());
    }

    @Override
    public EngineStats stats() {
        return new EngineStats(publishes.sum(), retired.sum(), retiringCount.get(), unmatched.sum());
    }

    @Override
    public void countUnmatched() {
        unmatched.increment();
    }

    /** {@code nanos} as milliseconds with one decimal, for a log line. */
    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }
}
