package dev.meridian.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.PolicySpec;
import dev.meridian.model.Problem;
import dev.meridian.model.Upstream;

class TextTest {

    @Test
    void should_print_status_message_and_each_detail_when_a_call_is_refused() {
        AdminException e = new AdminException(422, "invalid definition",
                List.of(new Problem("upstream.url", "expected http or https"), new Problem("", "empty")));

        assertEquals(List.of("Error (422): invalid definition", "  upstream.url: expected http or https", "  empty"),
                Text.errorLines(e));
    }

    @Test
    void should_summarise_an_apply() {
        assertEquals("Applied revision 5 (added: orders, users; updated: -; removed: legacy)",
                Text.applied(new Change(5, true, List.of("orders", "users"), List.of(), List.of("legacy"))));
        assertEquals("No change: revision 4 is current",
                Text.applied(new Change(4, false, List.of(), List.of(), List.of())));
    }

    @Test
    void should_summarise_a_dry_run_and_a_rollback() {
        assertEquals("Valid; applying would change nothing",
                Text.validated(new Change(4, false, List.of(), List.of(), List.of())));
        assertEquals("Rolled back to revision 2 as revision 9 (added: -; updated: orders; removed: -)",
                Text.rolledBack(2, new Change(9, true, List.of(), List.of("orders"), List.of())));
    }

    @Test
    void should_mark_added_updated_and_removed_apis_of_a_revision() {
        RevisionInfo info = new RevisionInfo(3, Instant.EPOCH, "admin", "shell",
                List.of("a"), List.of("b", "c"), List.of("d"));

        assertEquals("+a ~b ~c -d", Text.changes(info));
        assertEquals("-", Text.changes(new RevisionInfo(4, Instant.EPOCH, "admin", "shell", List.of(), List.of(), List.of())));
    }

    @Test
    void should_list_policy_types_in_definition_order() {
        assertEquals("set-headers, rate-limit", Text.policyTypes(api(List.of(
                new PolicySpec("set-headers", Map.of("request", Map.of("remove", List.of("X-Debug")))),
                new PolicySpec("rate-limit", Map.of("limit", 100L))))));
        assertEquals("-", Text.policyTypes(api(List.of())));
    }

    @Test
    void should_write_time_as_rfc3339_utc_seconds() {
        assertEquals("2026-01-02T03:04:05Z", Text.time(Instant.parse("2026-01-02T03:04:05.678Z")));
    }

    private static ApiDefinition api(List<PolicySpec> policies) {
        Upstream upstream = new Upstream(URI.create("http://127.0.0.1:9000"), "http", "127.0.0.1", 9000, "",
                Duration.ofSeconds(30), 256, 0);
        return new ApiDefinition("orders", "/orders", Set.of(), upstream, policies, Map.of());
    }
}
