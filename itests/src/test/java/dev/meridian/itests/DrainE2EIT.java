package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SIGTERM drains (CONTRACT §2): readiness turns 503 at once, a request in flight finishes with
 * its full answer, the keep-alive connection is closed after it (Connection: close), and the
 * process exits by itself.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DrainE2EIT {

    private static final java.util.concurrent.CountDownLatch SLOW_ARRIVED = new java.util.concurrent.CountDownLatch(1);

    @RegisterExtension
    static final MeridianCluster<HttpUpstream> NODE = MeridianCluster
        .of(NodeSpec.of("drain-1", 27080, 27181, 27101).withEnv("MERIDIAN_DRAIN_DELAY", "1s"))
        .upstream(HttpUpstream.with(4, 64).on("/", ex -> {
            if (ex.getRequestURI().getPath().endsWith("/stuck")) {
                try {
                    TimeUnit.SECONDS.sleep(60); // never answers within the API's timeout
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (ex.getRequestURI().getPath().endsWith("/slow")) {
                SLOW_ARRIVED.countDown();
                try {
                    TimeUnit.MILLISECONDS.sleep(2500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = "done".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }))
        .build();

    @Test
    void should_finish_in_flight_requests_and_turn_unready_when_terminated() throws Exception {
        MeridianNode node = NODE.node(0);
        HttpResponse<String> put = node.send("PUT", "/api/v1/apis/drain", "application/yaml", String.join("\n",
            "id: drain", "basePath: /drain", "upstream:", "  url: " + NODE.upstream().url(""),
            "  timeout: 4s", ""));
        assertEquals(200, put.statusCode(), put.body());

        try (KeepAliveClient client = new KeepAliveClient(node.httpPort); KeepAliveClient other = new KeepAliveClient(node.httpPort)) {
            assertEquals(200, client.get("/drain/fast").status());
            // a request whose upstream never answers: the drain waits for it no longer than its deadline
            CompletableFuture<KeepAliveClient.Reply> stuck = CompletableFuture.supplyAsync(() -> {
                try {
                    return other.getAllowingClose("/drain/stuck");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            CompletableFuture<KeepAliveClient.Reply> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.getAllowingClose("/drain/slow");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertTrue(SLOW_ARRIVED.await(10, TimeUnit.SECONDS), "slow request reached the upstream");
            long destroyedAt = System.nanoTime();
            ProcessHandle jvm = node.terminate();

            Awaitility.await("readiness 503").atMost(Duration.ofSeconds(5)).ignoreExceptions()
                .until(() -> node.get(node.adminUrl("/ready"), false).statusCode() == 503);
            KeepAliveClient.Reply reply = slow.get(20, TimeUnit.SECONDS);
            assertEquals(200, reply.status());
            assertEquals("done", reply.body());
            assertEquals("close", reply.headers().get("connection"));
            assertEquals(504, stuck.get(20, TimeUnit.SECONDS).status(), "answered at its upstream timeout");
            assertTrue(jvm.onExit().get(60, TimeUnit.SECONDS) != null);
            long drainMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - destroyedAt);
            System.out.printf("drain: node exited %d ms after SIGTERM%n", drainMs);
            assertTrue(drainMs < 20_000, "the drain (timeout 30 s) did not wait past the stuck request's deadline: " + drainMs);
        }
    }
}
