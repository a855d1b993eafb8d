package dev.meridian.policy.jwt;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.Scheduler;
import dev.meridian.policy.api.SharedState;

/**
 * What every jwt test needs, made fresh per test and torn down after it: a real {@link TestIdp},
 * one in-memory "cluster" ({@link MemoryState}) on a {@link ShiftableClock}, and nodes: each
 * {@link #node} is a {@link PolicyContext} with its own HTTP client and scheduler (a real
 * {@link ScheduledExecutorService}) over the shared state, and {@link #factory} a fresh
 * {@link JwtFactory} (a node, or a bundle update on one).
 */
final class JwtHarness implements BeforeEachCallback, AfterEachCallback {

    TestIdp idp;
    ShiftableClock clock;
    MemoryState state;
    private ExecutorService io;
    private ScheduledExecutorService timers;
    private final List<Future<?>> scheduled = new ArrayList<>();

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        idp = new TestIdp();
        clock = new ShiftableClock();
        io = Executors.newFixedThreadPool(8);
        timers = Executors.newScheduledThreadPool(2);
        state = new MemoryState(JwtFactory.STATE, clock, io);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        synchronized (scheduled) {
            scheduled.forEach(f -> f.cancel(false));
        }
        timers.shutdownNow();
        io.shutdownNow();
        idp.close();
        timers.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** A node of the cluster: its own HTTP client and timers, the cluster's state and clock. */
    PolicyContext node(String name) {
        OutboundHttp http = new JdkOutboundHttp(io);
        Scheduler scheduler = new Scheduler() {
            @Override
            public Future<?> schedule(Runnable task, Duration delay) {
                return track(timers.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS));
            }

            @Override
            public Future<?> every(Duration period, Runnable task) {
                return track(timers.scheduleAtFixedRate(() -> {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        // the SPI: a run that throws is logged and the next still runs
                        e.printStackTrace();
                    }
                }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS));
            }
        };
        return new PolicyContext() {
            @Override
            public OutboundHttp http() {
                return http;
            }

            @Override
            public SharedState state(String space) {
                if (!space.equals(JwtFactory.STATE)) {
                    throw new IllegalArgumentException("the jwt policy uses " + JwtFactory.STATE + ", not " + space);
                }
                return state;
            }

            @Override
            public Scheduler scheduler() {
                return scheduler;
            }

            @Override
            public Clock clock() {
                return clock;
            }

            @Override
            public Consumers consumers() {
                return NO_CONSUMERS;
            }

            @Override
            public String nodeName() {
                return name;
            }
        };
    }

    private Future<?> track(Future<?> f) {
        synchronized (scheduled) {
            scheduled.add(f);
        }
        return f;
    }

    /** The config of a policy against this IdP's JWKS, with {@code more} fields over the defaults. */
    Map<String, Object> config(Object... more) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("jwksUrl", idp.jwksUrl());
        config.put("issuer", idp.issuer());
        config.put("audience", List.of(TestIdp.AUDIENCE));
        for (int i = 0; i < more.length; i += 2) {
            if (more[i + 1] == null) {
                config.remove((String) more[i]);
            } else {
                config.put((String) more[i], more[i + 1]);
            }
        }
        return config;
    }

    /** A policy made by a fresh factory (a fresh node or bundle) on {@code node}. */
    Policy policy(String node, Map<String, Object> config) throws PolicyConfigException {
        return new JwtFactory().create(config, node(node));
    }

    /** The decision, waiting (10 s at most) for a pending one. */
    static Decision decide(Policy policy, TestRequest request) {
        Decision decision = policy.onRequest(request);
        while (decision instanceof Decision.Pending pending) {
            decision = pending.stage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        }
        return decision;
    }

    private static final Consumers NO_CONSUMERS = new Consumers() {
        @Override
        public Optional<ApiConsumer> byKey(String presentedKey) {
            return Optional.empty();
        }

        @Override
        public Optional<ApiConsumer> byId(String id) {
            return Optional.empty();
        }

        @Override
        public int size() {
            return 0;
        }
    };
}
