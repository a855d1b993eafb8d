package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.sun.net.httpserver.HttpServer;

import dev.meridian.policy.api.OutboundRequest;

/** The DS component's lifecycle: the client serves between activate and deactivate, and fails calls after. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OutboundHttpComponentTest {

    @Test
    void should_serve_calls_while_active_and_fail_them_once_deactivated() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.createContext("/", ex -> {
            byte[] body = "up".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        OutboundHttpComponent component = new OutboundHttpComponent();
        try {
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
            component.activate();
            assertEquals("up", component.send(OutboundRequest.get(uri)).toCompletableFuture().get(10, TimeUnit.SECONDS).text());

            component.deactivate();
            CompletionException stopped = assertThrows(CompletionException.class,
                () -> component.send(OutboundRequest.get(uri)).toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join());
            assertInstanceOf(IOException.class, stopped.getCause());
            assertTrue(stopped.getCause().getMessage().startsWith("GET " + uri + ": "), stopped.getCause().getMessage());
        } finally {
            server.stop(0);
        }
    }
}
