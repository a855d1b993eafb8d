package dev.meridian.core.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.SharedStates;
import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;
import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.OutboundRequest;
import dev.meridian.policy.api.OutboundResponse;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.SharedState;

/**
 * What the engine offers every policy factory ({@link PolicyContext}), node-wide: the policy timer
 * pool, the clock, the node name, the consumers of the newest published table, and the two
 * services other bundles provide — the outbound HTTP client ({@code gateway-http}) and the
 * cluster-shared state ({@code gateway-cluster}, through {@link SharedStates}).
 *
 * <p>{@link #open} makes the context of one registered factory; the engine closes it when that
 * factory's service goes away, which cancels its timers. Everything else a context hands out is
 * shared and <em>late-bound</em>: a policy keeps {@code context.http()} or
 * {@code context.state("jwt.jwks")} in a final field for the life of its instance, while the
 * services behind them may restart (a bundle update of gateway-http or gateway-cluster). Each call
 * goes to the service bound at that moment; while none is, it fails its stage with an
 * {@link IllegalStateException} that says what is missing — on a pool thread, never the caller's,
 * as {@link PolicyContext} promises — and never blocks or throws.
 */
final class FactoryContexts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FactoryContexts.class);

    /** Threads of the policy timer pool: policy tasks are short (they start I/O, they do not wait for it). */
    static final int TIMER_THREADS = 2;

    private final ScheduledThreadPoolExecutor timers;
    private final Clock clock;
    private final String nodeName;
    private final Consumers consumers;
    private final AtomicReference<OutboundHttp> http = new AtomicReference<>();
    private final AtomicReference<SharedStates> states = new AtomicReference<>();
    private final OutboundHttp lateHttp = new LateHttp();
    private final Map<String, SharedState> spaces = new ConcurrentHashMap<>();

    /** @param consumers the consumers of the newest published table, read on every call */
    FactoryContexts(Clock clock, String nodeName, Supplier<Consumers> consumers) {
        this.clock = clock;
        this.nodeName = nodeName;
        this.consumers = new LiveConsumers(consumers);
        AtomicInteger n = new AtomicInteger();
        this.timers = new ScheduledThreadPoolExecutor(TIMER_THREADS, r -> {
            Thread t = new Thread(r, "meridian-policy-timer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
        timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timers.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    /** A new context for a factory of policy type {@code type}; close it when the factory goes away. */
    FactoryContext open(String type) {
        return new FactoryContext(this, new FactoryScheduler(timers, Objects.requireNonNull(type, "type")));
    }

    // ---- the services, bound by the engine's DS references (dynamic, greedy, optional)

    void bindHttp(OutboundHttp service) {
        http.set(service);
    }

    /** Unbinds {@code service} only if it is the one bound (a greedy rebind binds the new one first). */
    void unbindHttp(OutboundHttp service) {
        http.compareAndSet(service, null);
    }

    void bindStates(SharedStates service) {
        states.set(service);
    }

    void unbindStates(SharedStates service) {
        states.compareAndSet(service, null);
    }

    // ---- what contexts hand out

    Clock clock() {
        return clock;
    }

    String nodeName() {
        return nodeName;
    }

    Consumers consumers() {
        return consumers;
    }

    OutboundHttp http() {
        return lateHttp;
    }

    SharedState state(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a shared state needs a name, such as \"<type>.<what>\"");
        }
        return spaces.computeIfAbsent(name, LateState::new);
    }

    /** The policy timer pool (tests). */
    ScheduledExecutorService timers() {
        return timers;
    }

    /** Stops the timer pool: every task of every factory is dropped. */
    @Override
    public void close() {
        timers.shutdownNow();
    }

    /** A stage failed because a service is not bound, saying which and on which node. */
    private <T> CompletionStage<T> unavailable(String message) {
        return failed(new IllegalStateException(message + " (node " + nodeName + ")"));
    }

    /** A stage failed with {@code failure}, completed on a pool thread (or at once when the pool is stopped). */
    private <T> CompletionStage<T> failed(RuntimeException failure) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            timers.execute(() -> f.completeExceptionally(failure));
        } catch (RejectedExecutionException stopped) {
            f.completeExceptionally(failure);
        }
        return f;
    }

    /** The node's HTTP client as bound at each call. */
    private final class LateHttp implements OutboundHttp {
        @Override
        public CompletionStage<OutboundResponse> send(OutboundRequest request) {
            OutboundHttp target = http.get();
            if (target == null) {
                return unavailable("outbound HTTP is not available: gateway-http is not running; "
                    + request.method() + " to " + request.uri().getHost() + " not sent");
            }
            try {
                return target.send(request);
            } catch (RuntimeException e) {
                return failed(e);
            }
        }

        @Override
        public String toString() {
            return "OutboundHttp(late-bound)";
        }
    }

    /**
     * One shared-state space as bound at each call: the space is opened again from a new
     * {@link SharedStates} service (the cluster bundle restarted), and remembered per service.
     */
    private final class LateState implements SharedState {
        private record Opened(SharedStates from, SharedState space) {
        }

        private final String name;
        private volatile Opened opened;

        LateState(String name) {
            this.name = name;
        }

        /** The space from the bound service, or null when there is none. */
        private SharedState target() {
            SharedStates service = states.get();
            if (service == null) {
                return null;
            }
            Opened o = opened;
            if (o == null || o.from() != service) {
                o = new Opened(service, service.open(name));
                opened = o;
            }
            return o.space();
        }

        private <T> CompletionStage<T> call(Function<SharedState, CompletionStage<T>> op) {
            SharedState target;
            try {
                target = target();
            } catch (RuntimeException e) {
                return failed(new IllegalStateException("shared state '" + name + "' could not be opened: " + e.getMessage(), e));
            }
            if (target == null) {
                return unavailable("shared state '" + name + "' is not available: gateway-cluster is not running");
            }
            try {
                return op.apply(target);
            } catch (RuntimeException e) {
                return failed(e);
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Optional<byte[]> peek(String key) {
            try {
                SharedState target = target();
                return target == null ? Optional.empty() : target.peek(key);
            } catch (RuntimeException e) {
                // a peek answers from memory or not at all; the stage calls report the failure
                LOG.debug("peek of shared state '{}' failed: {}", name, e.toString());
                return Optional.empty();
            }
        }

        @Override
        public CompletionStage<Optional<byte[]>> get(String key) {
            return call(s -> s.get(key));
        }

        @Override
        public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
            return call(s -> s.put(key, value, ttl));
        }

        @Override
        public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl) {
            return call(s -> s.putIfAbsent(key, value, ttl));
        }

        @Override
        public CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl) {
            return call(s -> s.compareAndSet(key, expected, value, ttl));
        }

        @Override
        public CompletionStage<Boolean> remove(String key) {
            return call(s -> s.remove(key));
        }

        @Override
        public CompletionStage<Long> addAndGet(String key, long delta, Duration ttl) {
            return call(s -> s.addAndGet(key, delta, ttl));
        }

        @Override
        public CompletionStage<Taken> take(String key, long want, long cap, Duration ttl) {
            return call(s -> s.take(key, want, cap, ttl));
        }

        @Override
        public String toString() {
            return "SharedState(" + name + ", late-bound)";
        }
    }

    /**
     * The consumers of the newest published table: every call reads the engine's published table
     * (one volatile read), so a key revoked by an apply is unknown from the instant this node
     * publishes it, also for instances compiled from older revisions.
     */
    private record LiveConsumers(Supplier<Consumers> newest) implements Consumers {
        @Override
        public Optional<ApiConsumer> byKey(String presentedKey) {
            return newest.get().byKey(presentedKey);
        }

        @Override
        public Optional<ApiConsumer> byId(String id) {
            return newest.get().byId(id);
        }

        @Override
        public int size() {
            return newest.get().size();
        }
    }
}
