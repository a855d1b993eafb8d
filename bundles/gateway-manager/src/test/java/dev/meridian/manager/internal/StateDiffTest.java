package dev.meridian.manager.internal;

import static dev.meridian.manager.internal.TestDefinitions.api;
import static dev.meridian.manager.internal.TestDefinitions.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.core.GatewayState;
import dev.meridian.manager.Change;
import dev.meridian.model.ApiDefinition;

class StateDiffTest {

    private static Map<String, ApiDefinition> byId(ApiDefinition... apis) {
        Map<String, ApiDefinition> map = new LinkedHashMap<>();
        for (ApiDefinition api : apis) {
            map.put(api.id(), api);
        }
        return map;
    }

    @Test
    void should_list_added_updated_and_removed_ids_sorted() throws Exception {
        GatewayState base = GatewayState.of(4, List.of(api("m", "/m"), api("c", "/c"), api("b", "/b"), api("k", "/k"),
            api("x", "/x")));
        Map<String, ApiDefinition> next = byId(api("z", "/z"), api("m", "/m", "methods: [GET]\n"), api("d", "/d"),
            api("c", "/c2"), api("b", "/b"));

        Change change = StateDiff.between(base, next, 5, true);

        assertTrue(change.changed());
        assertEquals(5, change.revision());
        assertEquals(List.of("d", "z"), change.added());
        assertEquals(List.of("c", "m"), change.updated());
        assertEquals(List.of("k", "x"), change.removed());
    }

    @Test
    void should_report_no_change_and_keep_base_revision_when_committing_equal_definitions() throws Exception {
        GatewayState base = GatewayState.of(4, List.of(yaml(TestDefinitions.ORDERS_YAML), api("b", "/b")));
        Map<String, ApiDefinition> next = byId(api("b", "/b"), yaml(TestDefinitions.ORDERS_YAML));

        Change change = StateDiff.between(base, next, 5, true);

        assertFalse(change.changed());
        assertEquals(4, change.revision());
        assertEquals(List.of(), change.added());
        assertEquals(List.of(), change.updated());
        assertEquals(List.of(), change.removed());
    }

    @Test
    void should_report_given_revision_when_validating_without_change() throws Exception {
        GatewayState base = GatewayState.of(4, List.of(api("a", "/a")));

        Change change = StateDiff.between(base, byId(api("a", "/a")), 4, false);

        assertFalse(change.changed());
        assertEquals(4, change.revision());
    }

    @Test
    void should_treat_definitions_that_mean_the_same_as_unchanged() throws Exception {
        GatewayState base = GatewayState.of(1, List.of(api("a", "/a")));
        ApiDefinition spelledOut = yaml("""
            id: a
            basePath: /a
            upstream:
              url: HTTP://127.0.0.1:9000/
              timeout: 30000ms
              pool: {maxConnections: 256, warm: 0}
            """);

        Change change = StateDiff.between(base, byId(spelledOut), 2, true);

        assertFalse(change.changed(), change::toString);
    }

    @Test
    void should_report_everything_added_when_base_is_empty() throws Exception {
        Change change = StateDiff.between(GatewayState.EMPTY, byId(api("b", "/b"), api("a", "/a")), 1, true);

        assertTrue(change.changed());
        assertEquals(1, change.revision());
        assertEquals(List.of("a", "b"), change.added());
    }

    @Test
    void should_report_everything_removed_when_next_is_empty() throws Exception {
        GatewayState base = GatewayState.of(3, List.of(api("b", "/b"), api("a", "/a")));

        Change change = StateDiff.between(base, Map.of(), 4, true);

        assertTrue(change.changed());
        assertEquals(4, change.revision());
        assertEquals(List.of("a", "b"), change.removed());
        assertEquals(List.of(), change.added());
    }

    @Test
    void should_report_no_change_when_both_are_empty() {
        Change change = StateDiff.between(GatewayState.EMPTY, Map.of(), 1, true);

        assertFalse(change.changed());
        assertEquals(0, change.revision());
    }
}
