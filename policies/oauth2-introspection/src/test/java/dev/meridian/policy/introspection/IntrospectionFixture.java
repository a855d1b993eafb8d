package dev.meridian.policy.introspection;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
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
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.Scheduler;
import dev.meridian.policy.api.SharedState;

/**
 * The world of one test: a real IdP on loopback, an in-memory cluster, a settable clock, a real
 * scheduler and the JDK's HTTP client, and nodes that build policies through the real factory.
 * Register with {@code @RegisterExtension}; everything is closed after each test.
 */
final class IntrospectionFixture implements BeforeEachCallback, AfterEachCallback {

    static final String CLIENT_ID = "gateway";
    static final String CLIENT_SECRET = "s3cret:with&odd chars";

    TestClock clock;
    MemoryCluster cluster;
    FakeIdp idp;
    private JdkHttp http;
    private ScheduledExecutorService timers;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        clock = new TestClock();
        cluster = new MemoryCluster(clock);
        idp = new FakeIdp();
        http = new JdkHttp();
        timers = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "policy-timers");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void afterEach(ExtensionContext context) {
        timers.shutdownNow();
        http.close();
        idp.close();
        cluster.close();
    }

    /** The smallest valid configuration against the fake IdP, with {@code extra} fields over it. */
    Map<String, Object> config(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>();
        c.put("url", idp.url().toString());
        c.put("clientId", CLIENT_ID);
        c.put("clientSecret", CLIENT_SECRET);
        c.putAll(extra);
        return c;
    }

    /** One gateway node: its near cache, its policies. */
    Node node(String name) {
        return new Node(cluster.node(name));
    }

    /** An active token's answer: {@code sub}, {@code client_id}, {@code scope}, {@code exp} in seconds from now. */
    String active(String sub, String clientId, String scope, long expInSeconds) {
        return "{\"active\":true,\"sub\":\"" + sub + "\",\"client_id\":\"" + clientId + "\",\"scope\":\"" + scope
            + "\",\"exp\":" + (clock.seconds() + expInSeconds) + ",\"iat\":" + (clock.seconds() - 1) + "}";
    }

    /** Writes the revocation list as the admin API does (list, then version). */
    void revoke(Node on, String... lines) {
        SharedState s = on.context.state(IntrospectionFactory.REVOCATIONS);
        long sequence = cluster.value(IntrospectionFactory.REVOCATIONS, RevocationView.LIST)
            .map(Revocations::parse).map(Revocations::sequence).orElse(0L) + 1;
        StringBuilder text = new StringBuilder(Revocations.MAGIC).append(sequence).append('\n');
        for (String line : lines) {
            text.append(line).append('\n');
        }
        s.put(RevocationView.LIST, text.toString().getBytes(StandardCharsets.UTF_8), Duration.ZERO).toCompletableFuture().join();
        s.put(RevocationView.VERSION, Long.toString(sequence).getBytes(StandardCharsets.US_ASCII), Duration.ZERO).toCompletableFuture().join();
    }

    /** The decision, waiting for a pending one (bounded). */
    static Decision decide(Policy policy, PolicyRequest request) throws Exception {
        Decision d = policy.onRequest(request);
        return d instanceof Decision.Pending p ? p.stage().toCompletableFuture().get(10, TimeUnit.SECONDS) : d;
    }

    final class Node {

        final MemoryCluster.Node member;
        final PolicyContext context;

        Node(MemoryCluster.Node member) {
            this.member = member;
            this.context = new Context(member);
        }

        Policy policy(Map<String, Object> extra) throws PolicyConfigException {
            return new IntrospectionFactory().create(config(extra), context);
        }
    }

    private final class Context implements PolicyContext {

        private final MemoryCluster.Node member;

        Context(MemoryCluster.Node member) {
            this.member = member;
        }

        @Override
        public OutboundHttp http() {
            return http;
        }

        @Override
        public SharedState state(String name) {
            return member.state(name);
        }

        @Override
        public Scheduler scheduler() {
            return new Scheduler() {
                @Override
                public Future<?> schedule(Runnable task, Duration delay) {
                    return timers.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
                }

                @Override
                public Future<?> every(Duration period, Runnable task) {
                    return timers.scheduleAtFixedRate(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
                }
            };
        }

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public Consumers consumers() {
            return new Consumers() {
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

        @Override
        public String nodeName() {
            return member.name;
        }
    }
}
