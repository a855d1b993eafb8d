package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.PolicyChain;
import dev.meridian.core.flow.Steps;

/**
 * The warm-up over real sockets with the data plane's own upstream client: every request through
 * the route whose upstream answers gets that answer (404), every one through the route whose
 * upstream port is closed a 502, and the warm-up's port is closed once it is done.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyWarmupTest {

    @TempDir
    Path spool;

    private QueuedThreadPool threads;
    private HttpClient client;
    private BodyStore bodies;
    private Steps steps;

    @BeforeEach
    void upstreamClient() throws Exception {
        threads = new QueuedThreadPool(8, 2);
        threads.start();
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setExecutor(threads);
        UpstreamTlsContexts tls = new UpstreamTlsContexts();
        client = new HttpClient(new UpstreamTransport(connector, tls));
        client.setExecutor(threads);
        client.start();
        bodies = BodyStore.open(spool, 64 * 1024, 1024 * 1024);
        JettyUpstream upstream = new JettyUpstream(client, threads, true, tls, bodies);
        PolicyChain policies = new PolicyChain((action, delayMillis) -> {
            var task = client.getScheduler().schedule(action, delayMillis, TimeUnit.MILLISECONDS);
            return task::cancel;
        });
        steps = new Steps(policies, CacheSteps.NONE, upstream);
    }

    @AfterEach
    void stop() throws Exception {
        client.stop();
        threads.stop();
        bodies.close();
    }

    @Test
    void should_answer_every_request_through_both_routes_and_close_its_port_when_done() {
        ProxyWarmup.Result result = ProxyWarmup.run(new HttpConfiguration(), steps, () -> null, 25);

        assertEquals(Map.of(404, 25, 502, 25), result.statuses());
        assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), result.port()).close(),
            "nothing listens on the warm-up's port afterwards");
    }

    @Test
    void should_end_within_a_second_when_stopped_while_it_runs() throws Exception {
        ProxyWarmup warmup = new ProxyWarmup(new HttpConfiguration(), steps, () -> null, 1_000_000).start(() -> false);
        Thread.sleep(300); // under way: a million requests would outlast its 5 s budget

        long t0 = System.nanoTime();
        boolean ended = warmup.stop(5_000);
        long millis = (System.nanoTime() - t0) / 1_000_000;

        System.out.println("proxy warm-up stopped mid-run in " + millis + " ms");
        assertTrue(ended, "its thread ended within the bound");
        assertTrue(millis < 2_000, "stopped in " + millis + " ms");
    }
}
