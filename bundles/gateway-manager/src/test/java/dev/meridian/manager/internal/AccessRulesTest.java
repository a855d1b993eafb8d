package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class AccessRulesTest {

    /** Every endpoint of the admin API with the role it needs: a new endpoint gets a row here and in the table. */
    private static final List<Object[]> ENDPOINTS = List.of(
        new Object[] {"GET", "/apis", Role.VIEWER},
        new Object[] {"GET", "/apis/orders", Role.VIEWER},
        new Object[] {"HEAD", "/apis/orders", Role.VIEWER},
        new Object[] {"GET", "/revisions", Role.VIEWER},
        new Object[] {"GET", "/revisions/12", Role.VIEWER},
        new Object[] {"GET", "/plugins", Role.VIEWER},
        new Object[] {"GET", "/cluster", Role.VIEWER},
        new Object[] {"GET", "/cache/stats", Role.VIEWER},
        new Object[] {"GET", "/audit", Role.VIEWER},
        new Object[] {"GET", "/whoami", Role.VIEWER},
        new Object[] {"GET", "/metrics/series", Role.VIEWER},
        new Object[] {"GET", "/metrics/stream", Role.VIEWER},
        new Object[] {"PUT", "/apis/orders", Role.OPERATOR},
        new Object[] {"DELETE", "/apis/orders", Role.OPERATOR},
        new Object[] {"GET", "/consumers", Role.VIEWER},
        new Object[] {"GET", "/consumers/alice", Role.VIEWER},
        new Object[] {"PUT", "/consumers/alice", Role.OPERATOR},
        new Object[] {"DELETE", "/consumers/alice", Role.OPERATOR},
        new Object[] {"POST", "/apply", Role.OPERATOR},
        new Object[] {"POST", "/validate", Role.OPERATOR},
        new Object[] {"POST", "/rollback", Role.OPERATOR},
        new Object[] {"POST", "/cache/invalidate", Role.OPERATOR},
        new Object[] {"POST", "/introspection/revoke", Role.OPERATOR},
        new Object[] {"POST", "/canary/promote", Role.OPERATOR},
        new Object[] {"GET", "/tokens", Role.ADMIN},
        new Object[] {"POST", "/tokens", Role.ADMIN},
        new Object[] {"DELETE", "/tokens/ci", Role.ADMIN},
        new Object[] {"POST", "/secrets/reload", Role.ADMIN});

    @Test
    void should_classify_every_endpoint_of_the_admin_api() {
        for (Object[] e : ENDPOINTS) {
            assertEquals(e[2], AccessRules.needed((String) e[0], (String) e[1]), e[0] + " " + e[1]);
        }
    }

    @Test
    void should_need_admin_for_a_call_no_row_names() {
        assertEquals(Role.ADMIN, AccessRules.needed("POST", "/something-new"));
        assertEquals(Role.ADMIN, AccessRules.needed("PATCH", "/apis/orders"));
        assertEquals(Role.ADMIN, AccessRules.needed("GET", "/apis/orders/extra"));
        assertEquals(Role.ADMIN, AccessRules.needed("POST", "/revisions"));
    }

    @Test
    void should_order_roles_so_each_covers_the_weaker_ones() {
        assertTrue(Role.ADMIN.covers(Role.OPERATOR) && Role.ADMIN.covers(Role.VIEWER));
        assertTrue(Role.OPERATOR.covers(Role.VIEWER));
        assertFalse(Role.OPERATOR.covers(Role.ADMIN));
        assertFalse(Role.VIEWER.covers(Role.OPERATOR));
    }

    @Test
    void should_map_karaf_roles_to_the_strongest_meridian_role() {
        assertEquals(Role.ADMIN, Role.fromKaraf(List.of("viewer", "admin", "ssh")).orElseThrow());
        assertEquals(Role.OPERATOR, Role.fromKaraf(List.of("ssh", "viewer", "operator")).orElseThrow());
        assertTrue(Role.fromKaraf(List.of("ssh", "manager")).isEmpty());
        for (Role r : Role.values()) {
            assertEquals(r, Role.fromKaraf(List.of(r.karafRoles())).orElseThrow(), "round trip of " + r);
        }
    }
}
