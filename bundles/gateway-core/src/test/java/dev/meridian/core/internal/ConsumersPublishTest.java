package dev.meridian.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.meridian.core.GatewayState;
import dev.meridian.core.RouteTable;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.ConsumerKey;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

/** A revision's consumers reach the route table it is compiled into, and stay out of it once removed. */
class ConsumersPublishTest {

    private EngineComponent engine;

    @BeforeEach
    void start() {
        engine = new EngineComponent(Duration.ofSeconds(1));
        engine.activate(null);
    }

    @AfterEach
    void stop() {
        engine.deactivate();
    }

    private static ConsumerDefinition alice(String... secrets) {
        List<ConsumerKey> keys = new java.util.ArrayList<>();
        for (int i = 0; i < secrets.length; i++) {
            keys.add(ConsumerKey.ofHash("k" + i, ConsumerKey.hashOf(secrets[i]), Optional.empty()));
        }
        return new ConsumerDefinition("alice", Set.of("partners"), keys);
    }

    private static ApiDefinition orders() throws Exception {
        return DefinitionParser.parseOne(("id: orders\nbasePath: /orders\nupstream: {url: \"http://127.0.0.1:9\"}\n")
            .getBytes(StandardCharsets.UTF_8), Format.YAML);
    }

    private RouteTable publish(GatewayState state) throws Exception {
        return engine.publish(state).get(5, TimeUnit.SECONDS);
    }

    @Test
    void should_serve_the_consumers_of_the_published_revision() throws Exception {
        RouteTable first = publish(GatewayState.of(1, List.of(orders()), List.of(alice("alice-key-000000001"))));
        assertEquals("alice", first.consumers().byKey("alice-key-000000001").orElseThrow().id());

        RouteTable second = publish(GatewayState.of(2, List.of(orders()), List.of(alice("alice-key-000000002"))));
        assertEquals(Optional.empty(), second.consumers().byKey("alice-key-000000001"), "a key removed by an apply");
        assertTrue(second.consumers().byKey("alice-key-000000002").isPresent());

        RouteTable third = publish(GatewayState.of(3, List.of(orders()), List.of()));
        assertEquals(0, third.consumers().size(), "a consumer deleted");
        assertSame(third, engine.current());
    }

    @Test
    void should_keep_the_index_when_only_apis_change() throws Exception {
        ConsumerDefinition alice = alice("alice-key-000000001");
        RouteTable first = publish(GatewayState.of(1, List.of(), List.of(alice)));
        RouteTable second = publish(new GatewayState(2, Map.of("orders", orders()), Map.of("alice", alice)));

        assertSame(first.consumers(), second.consumers());
    }
}
