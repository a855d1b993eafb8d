package dev.meridian.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

import dev.meridian.core.GatewayState;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ValidationException;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Problem;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyFactory;

/** Secrets through the engine: resolved at compile, never in the state, new value on recompile, errors redacted. */
class EngineSecretsTest {

    @TempDir
    Path dir;
    private EngineComponent engine;

    @BeforeEach
    void start() throws Exception {
        engine = new EngineComponent(Duration.ofSeconds(1), new SecretResolver(Optional.of(dir), 1024));
        engine.activate(null);
        engine.bindPolicyFactory(new EchoFactory(), reference());
    }

    @AfterEach
    void stop() {
        engine.deactivate();
    }

    @Test
    void should_give_the_policy_the_value_and_keep_the_reference_in_the_state() throws Exception {
        Files.writeString(dir.resolve("tok"), "v1\n");
        GatewayState state = GatewayState.of(1, List.of(api("Bearer ${secret:tok}")));

        RouteTable table = engine.publish(state).get(5, TimeUnit.SECONDS);

        assertEquals("Bearer v1", value(table));
        assertEquals(state, engine.state());
        assertEquals("Bearer ${secret:tok}", engine.state().apis().get("a").policies().get(0).config().get("value"));
    }

    @Test
    void should_use_a_changed_file_on_recompile_as_a_new_generation_of_the_same_revision() throws Exception {
        Files.writeString(dir.resolve("tok"), "v1");
        RouteTable first = engine.publish(GatewayState.of(1, List.of(api("${secret:tok}")))).get(5, TimeUnit.SECONDS);
        RouteTable same = engine.recompile().get(5, TimeUnit.SECONDS);
        Files.writeString(dir.resolve("tok"), "v2");

        RouteTable second = engine.recompile().get(5, TimeUnit.SECONDS);

        assertSame(first.match("/a").policy(0), same.match("/a").policy(0), "unchanged secret: instance kept");
        assertEquals("v2", value(second));
        assertEquals(1, second.revision());
        assertTrue(second.generation() > same.generation());
        assertSame(second, engine.current());
    }

    @Test
    void should_refuse_a_missing_secret_naming_it_and_keep_serving_on_recompile() throws Exception {
        Files.writeString(dir.resolve("tok"), "v1");
        RouteTable first = engine.publish(GatewayState.of(1, List.of(api("${secret:tok}")))).get(5, TimeUnit.SECONDS);
        Files.delete(dir.resolve("tok"));

        ExecutionException e = assertThrows(ExecutionException.class, () -> engine.recompile().get(5, TimeUnit.SECONDS));

        ValidationException v = assertInstanceOf(ValidationException.class, e.getCause());
        assertEquals("[a].policies[0].value", v.problems().get(0).path());
        assertTrue(v.problems().get(0).message().contains("'tok'"));
        assertSame(first, engine.current());
    }

    @Test
    void should_name_the_reference_not_the_value_in_a_validation_error() throws Exception {
        Files.writeString(dir.resolve("tok"), "hunter2");

        ValidationException e = assertThrows(ValidationException.class,
            () -> engine.validate(List.of(api("bad:${secret:tok}"))));

        String all = e.problems().stream().map(Problem::describe).toList().toString() + e.getMessage();
        assertFalse(all.contains("hunter2"), all);
        assertTrue(all.contains("bad:${secret:tok}"), all);
    }

    @Test
    void should_name_the_reference_not_the_value_when_a_factory_throws() throws Exception {
        Files.writeString(dir.resolve("tok"), "hunter2");

        ExecutionException e = assertThrows(ExecutionException.class,
            () -> engine.publish(GatewayState.of(1, List.of(api("boom:${secret:tok}")))).get(5, TimeUnit.SECONDS));

        assertFalse(String.valueOf(e.getCause().getMessage()).contains("hunter2"), e.getCause().getMessage());
        assertInstanceOf(ValidationException.class, e.getCause());
    }

    @Test
    void should_refuse_a_missing_secret_when_validating() throws Exception {
        ValidationException e = assertThrows(ValidationException.class, () -> engine.validate(List.of(api("${secret:none}"))));

        assertEquals("policies[0].value", e.problems().get(0).path());
        assertTrue(e.problems().get(0).message().contains("'none'"));
    }

    @Test
    void should_check_the_secrets_of_applied_apis_without_building_them() throws Exception {
        Files.writeString(dir.resolve("tok"), "v1");
        engine.checkSecrets(List.of(api("boom:${secret:tok}"))); // resolves; the factory is not called

        Files.delete(dir.resolve("tok"));
        ValidationException e = assertThrows(ValidationException.class, () -> engine.checkSecrets(List.of(api("${secret:tok}"))));

        assertEquals("[a].policies[0].value", e.problems().get(0).path());
        assertTrue(e.problems().get(0).message().contains("'tok'"));
    }

    private static String value(RouteTable table) {
        return ((EchoPolicy) table.match("/a").policy(0)).value;
    }

    private static ApiDefinition api(String value) throws Exception {
        String yaml = "id: a\nbasePath: /a\nupstream: {url: 'http://127.0.0.1:9000'}\npolicies:\n  - type: echo\n    value: '"
            + value + "'\n";
        return DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
    }

    @SuppressWarnings("unchecked")
    private static ServiceReference<PolicyFactory> reference() {
        Hashtable<String, Object> props = new Hashtable<>(Map.of(PolicyFactory.TYPE_PROPERTY, "echo", Constants.SERVICE_ID, 1L));
        return (ServiceReference<PolicyFactory>) java.lang.reflect.Proxy.newProxyInstance(
            EngineSecretsTest.class.getClassLoader(), new Class<?>[] {ServiceReference.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "getProperty" -> props.get((String) args[0]);
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> null;
            });
    }

    /** Keeps {@code value}; {@code bad:} is refused quoting the value, {@code boom:} throws quoting it. */
    private static final class EchoFactory implements PolicyFactory {
        @Override
        public String type() {
            return "echo";
        }

        @Override
        public Policy create(Map<String, Object> config) throws PolicyConfigException {
            String value = (String) config.get("value");
            if (value.startsWith("bad:")) {
                throw new PolicyConfigException("value", "not a header value: '" + value + "'");
            }
            if (value.startsWith("boom:")) {
                throw new IllegalStateException("cannot use " + value);
            }
            return new EchoPolicy(value);
        }
    }

    private static final class EchoPolicy implements Policy {
        final String value;

        EchoPolicy(String value) {
            this.value = value;
        }
    }
}
