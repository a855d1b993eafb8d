package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Memory that traffic cannot grow without bound (issue 9 item 4): 200,000 POSTs to random query
 * strings of a cached API — each a URL that RFC 9111 §4.4 says to invalidate — leave the node's
 * heap after a full GC within 64 MiB of where it was, the URL invalidations bounded, and the
 * entries that were cached still hits (nothing else was invalidated).
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class CacheFloodE2EIT {

    private static final int FLOOD = 200_000;
    private static final int CACHED = 200;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    static final MeridianCluster<CountingUpstream> NODE = MeridianCluster
        .of(NodeSpec.of("flood-1", 23080, 23181, 23101).withEnv("MERIDIAN_ACCESS_LOG", "off"))
        .env("EXTRA_JAVA_OPTS", "") // C2, as shipped: a fixed amount of load (with C1 only: 88 s, not 53 s)
        .upstream(CountingUpstream::new)
        .api("flooded", up -> String.join("\n", "id: flooded", "basePath: /flooded",
            "upstream: { url: '" + up.url("/") + "' }", "cache: { ttl: 1h }", ""))
        .build();

    private static MeridianNode node() {
        return NODE.node(0);
    }

    private static CountingUpstream upstream() {
        return NODE.upstream();
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(node().trafficUrl(path))).timeout(Duration.ofSeconds(15)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    /** Heap in use after two full collections (the node runs ParallelGC: a requested GC is a full one). */
    private static long heapAfterGc() throws Exception {
        for (int i = 0; i < 2; i++) {
            Process jcmd = new ProcessBuilder(jcmd(), Long.toString(node().jvm().pid()), "GC.run").redirectErrorStream(true).start();
            jcmd.getInputStream().readAllBytes();
            assertTrue(jcmd.waitFor(60, TimeUnit.SECONDS) && jcmd.exitValue() == 0, "jcmd GC.run");
        }
        Matcher m = Pattern.compile("(?m)^jvm_heap_used_bytes (\\d+)").matcher(node().get(node().adminUrl("/metrics"), false).body());
        assertTrue(m.find(), "jvm_heap_used_bytes in /metrics");
        return Long.parseLong(m.group(1));
    }

    private static String jcmd() {
        Path java = Paths.get(ProcessHandle.current().info().command().orElseThrow());
        return java.resolveSibling("jcmd").toString();
    }

    @Test
    void should_keep_heap_flat_and_hits_right_under_a_flood_of_writes_to_random_urls() throws Exception {
        for (int i = 0; i < CACHED; i++) {
            assertEquals("MISS", get("/flooded/item/" + i).headers().firstValue("X-Cache").orElse(""));
        }
        for (int i = 0; i < CACHED; i++) {
            assertEquals("HIT", get("/flooded/item/" + i).headers().firstValue("X-Cache").orElse(""), "item " + i);
        }
        // warm the paths the flood takes, so that classes loaded and pools grown are in the baseline
        flood(5_000);
        long before = heapAfterGc();

        long start = System.nanoTime();
        flood(FLOOD);
        long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        Awaitility.await("pending URL invalidations flushed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
            .until(() -> stat("pendingUrls") == 0);
        long after = heapAfterGc();
        long urls = stat("urls");
        System.out.printf("flood: %d POSTs in %d s; heap after GC %d MiB -> %d MiB; %d URL invalidations held%n",
            FLOOD, seconds, before >> 20, after >> 20, urls);

        assertTrue(after - before < 64L << 20, "heap grew by " + ((after - before) >> 20) + " MiB");
        assertTrue(urls <= 16_384L * 64, "URL invalidations bounded: " + urls);
        int upstreamBefore = upstream().total();
        for (int i = 0; i < CACHED; i++) {
            HttpResponse<String> r = get("/flooded/item/" + i);
            assertEquals("HIT", r.headers().firstValue("X-Cache").orElse(""), "item " + i + " was not written: still a hit");
        }
        assertEquals(upstreamBefore, upstream().total(), "no cached item reached the upstream");
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(node().trafficUrl("/flooded/item/7")))
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, post.statusCode());
        Awaitility.await("a write to a cached URL still invalidates it").atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> "MISS".equals(get("/flooded/item/7").headers().firstValue("X-Cache").orElse("")));
        assertEquals("HIT", get("/flooded/item/8").headers().firstValue("X-Cache").orElse(""), "and nothing else");
    }

    /** {@code n} POSTs to random query strings of the cached API over 32 keep-alive connections, every one answered 200. */
    private static void flood(int n) throws Exception {
        int connections = 32;
        AtomicLong left = new AtomicLong(n);
        AtomicLong ok = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            Thread t = new Thread(() -> {
                try (KeepAliveClient client = new KeepAliveClient(node().httpPort)) {
                    while (left.getAndDecrement() > 0) {
                        String q = Long.toHexString(ThreadLocalRandom.current().nextLong());
                        KeepAliveClient.Reply r = client.send("POST", "/flooded/write?r=" + q, "x");
                        if (r.status() == 200) {
                            ok.incrementAndGet();
                        } else {
                            failures.add("status " + r.status());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    failures.add(e.toString());
                }
            }, "flood-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(3));
        }
        assertTrue(failures.isEmpty(), failures.size() + " failed, first " + failures.peek());
        assertEquals(n, ok.get());
    }

    /** A node-level cache figure from GET /api/v1/cache/stats?by=node ("urls", "pendingUrls"). */
    private static long stat(String name) throws Exception {
        String body = node().get(node().adminUrl("/api/v1/cache/stats?by=node"), true).body();
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)").matcher(body);
        assertTrue(m.find(), name + " in " + body);
        return Long.parseLong(m.group(1));
    }
}
