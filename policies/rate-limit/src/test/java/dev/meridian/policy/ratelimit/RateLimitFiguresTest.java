package dev.meridian.policy.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;

/**
 * What the policy itself costs per request, printed (never asserted as a timing): one thread,
 * a limit never reached, the in-memory cluster answering each take as soon as it is asked
 * (so the figure is the policy's own work: bucket lookup, one compare-and-set, a lease every 32
 * requests, the outcome; not the cluster's round trip, which the node-side lease hides).
 */
class RateLimitFiguresTest {

    @Test
    void should_print_the_cost_of_a_request_in_each_scope() throws Exception {
        for (String scope : new String[] {"node", "cluster"}) {
            MemoryCluster cluster = new MemoryCluster();
            Limiter limiter = new Limiter(cluster, cluster.clock);
            Policy policy = new RateLimitPolicy(
                RateLimitConfig.parse(Map.of("limit", 1_000_000_000L, "per", "1h", "key", "ip", "scope", scope)), limiter);
            int rounds = 1_000_000;
            long[] took = new long[rounds];
            int admitted = 0;
            for (int pass = 0; pass < 2; pass++) { // the first pass warms the JIT up
                admitted = 0;
                for (int i = 0; i < rounds; i++) {
                    Requests.Request r = Requests.from("10.0." + (i & 7) + ".1");
                    long start = System.nanoTime();
                    Decision d = policy.onRequest(r);
                    took[i] = System.nanoTime() - start;
                    if (d instanceof Decision.Pending p) {
                        cluster.land();
                        d = p.stage().toCompletableFuture().get();
                    } else if (cluster.waiting() > 0) {
                        cluster.land();
                    }
                    admitted += d == Decision.proceed() ? 1 : 0;
                }
            }
            assertEquals(rounds, admitted);
            Arrays.sort(took);
            System.out.printf("rate-limit: scope %s, 8 keys, %d requests, one thread: p50 %d ns, p99 %d ns, p99.9 %d ns,"
                + " max %.2f ms; %d cluster takes%n", scope, rounds, took[rounds / 2], took[rounds * 99 / 100],
                took[rounds * 999 / 1000], took[rounds - 1] / 1e6, cluster.takes.get());
        }
    }
}
