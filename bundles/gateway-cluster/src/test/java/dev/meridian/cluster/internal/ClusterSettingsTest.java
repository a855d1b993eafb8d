package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.cluster.ClusterNode;

class ClusterSettingsTest {

    @Test
    void should_add_the_member_port_when_a_member_has_none() {
        assertEquals(List.of("127.0.0.1:5701", "10.0.0.2:5801", "[::1]:5701"),
            ClusterSettings.parseMembers(" 127.0.0.1, 10.0.0.2:5801 ,[::1]", 5701));
    }

    @Test
    void should_reject_an_empty_member_list() {
        assertThrows(IllegalArgumentException.class, () -> ClusterSettings.parseMembers(" , ", 5701));
    }

    @Test
    void should_reject_a_port_that_is_not_a_number() {
        assertThrows(NumberFormatException.class, () -> ClusterSettings.parseMembers("host:http", 5701));
    }

    @Test
    void should_round_trip_a_node_status_through_json() throws Exception {
        ClusterNode n = new ClusterNode("n1", "eu", "127.0.0.1:8080", 42, "ready",
            List.of(Map.of("type", "set-headers", "bundle", "b", "version", "1.0.0")));
        assertEquals(n, HazelcastMembership.fromJson(HazelcastMembership.toJson(n)));
    }

    @Test
    void should_round_trip_why_a_node_cannot_serve_a_revision() throws Exception {
        ClusterNode n = new ClusterNode("n1", "eu", "127.0.0.1:8080", 41, "starting", List.of(),
            new ClusterNode.Failure(42, "[orders].policies[0].type: no installed bundle provides policy type 'set-headers'"));
        assertEquals(n, HazelcastMembership.fromJson(HazelcastMembership.toJson(n)));
    }
}
