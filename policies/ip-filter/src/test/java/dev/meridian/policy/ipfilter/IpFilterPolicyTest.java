package dev.meridian.policy.ipfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;

class IpFilterPolicyTest {

    private static final Decision REFUSED = Decision.reject(403, IpFilterPolicy.REFUSED);

    private final IpFilterFactory factory = new IpFilterFactory();

    @Test
    void should_name_its_type_and_run_where_it_is_written() throws PolicyConfigException {
        assertEquals("ip-filter", factory.type());
        assertEquals(0, factory.create(Map.of("deny", List.of("10.0.0.0/8"))).order());
    }

    @Test
    void should_let_through_only_allowed_addresses_with_deny_winning() throws PolicyConfigException {
        Policy policy = factory.create(Map.of(
                "allow", List.of("10.0.0.0/8", "2001:db8::/32"),
                "deny", List.of("10.6.6.0/24", "2001:db8:bad::/48")));

        assertSame(Decision.proceed(), check(policy, "10.1.2.3"));
        assertSame(Decision.proceed(), check(policy, "2001:db8::1"));
        assertSame(Decision.proceed(), check(policy, "::ffff:10.1.2.3"));
        assertEquals(REFUSED, check(policy, "10.6.6.1"));
        assertEquals(REFUSED, check(policy, "2001:db8:bad::7"));
        assertEquals(REFUSED, check(policy, "192.0.2.7"));
        assertEquals(REFUSED, check(policy, "::1"));
    }

    @Test
    void should_let_through_every_address_not_denied_when_there_is_no_allow_list() throws PolicyConfigException {
        Policy policy = factory.create(Map.of("deny", List.of("127.0.0.3", "::1")));

        assertSame(Decision.proceed(), check(policy, "127.0.0.2"));
        assertSame(Decision.proceed(), check(policy, "[::2]"));
        assertEquals(REFUSED, check(policy, "127.0.0.3"));
        assertEquals(REFUSED, check(policy, "[::1]"));
        assertEquals(REFUSED, check(policy, "0:0:0:0:0:0:0:1"));
    }

    @Test
    void should_refuse_everything_with_a_deny_of_both_whole_families() throws PolicyConfigException {
        Policy policy = factory.create(Map.of("deny", List.of("0.0.0.0/0", "::/0")));

        assertEquals(REFUSED, check(policy, "127.0.0.1"));
        assertEquals(REFUSED, check(policy, "::1"));
    }

    @Test
    void should_refuse_a_client_address_it_cannot_read() throws PolicyConfigException {
        Policy policy = factory.create(Map.of("deny", List.of("10.0.0.0/8")));

        assertEquals(Decision.reject(403, IpFilterPolicy.UNKNOWN), check(policy, "unix-socket"));
    }

    @Test
    void should_name_the_index_of_every_invalid_block() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("allow", Arrays.asList("10.0.0.0/8", "10.0.0.0/33", 42));
        config.put("deny", List.of("10.1.2.3/16", "  192.0.2.7  ", "not\nan address"));
        config.put("except", List.of());

        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> factory.create(config));

        assertEquals(List.of(
                new Problem("except", "unknown field; expected allow or deny"),
                new Problem("allow[1]", "not a CIDR: '10.0.0.0/33': prefix length out of range: 0 to 32"),
                new Problem("allow[2]", "not a CIDR: expected a string such as 10.0.0.0/8 or \"2001:db8::/32\""),
                new Problem("deny[0]", "not a CIDR: '10.1.2.3/16': host bits set after the prefix;"
                        + " the block's first address is 10.1.0.0 (write 10.1.0.0/16)"),
                new Problem("deny[2]", "not a CIDR: 'not?an address': not a CIDR or an IP address"
                        + " (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)")), e.problems());
    }

    @Test
    void should_refuse_an_empty_allow_list_a_missing_list_and_a_non_list() {
        assertEquals(List.of("allow"), paths(() -> factory.create(Map.of("allow", List.of()))));
        assertEquals(List.of(""), paths(() -> factory.create(Map.of())));
        assertEquals(List.of("deny"), paths(() -> factory.create(Map.of("deny", "10.0.0.0/8"))));
    }

    @Test
    void should_refuse_more_blocks_than_the_bound() {
        List<String> many = Collections.nCopies(IpFilterConfig.MAX_BLOCKS + 1, "10.0.0.0/8");

        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> factory.create(Map.of("deny", many)));

        assertTrue(e.problems().get(0).message().startsWith("at most"), e.problems().toString());
    }

    private static Decision check(Policy policy, String client) {
        return policy.onRequest(new ClientRequest(client));
    }

    private interface Create {
        void run() throws PolicyConfigException;
    }

    private static List<String> paths(Create create) {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, create::run);
        return e.problems().stream().map(Problem::path).toList();
    }
}
