package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TrustedProxiesTest {

    private static final TrustedProxies PROXIES = TrustedProxies.parse("10.0.0.0/8, 192.168.1.7,2001:db8::/32 fd00::1");

    private static HttpFields xff(String... values) {
        HttpFields.Mutable f = HttpFields.build();
        for (String v : values) {
            f.add(HttpHeader.X_FORWARDED_FOR, v);
        }
        return f;
    }

    private static boolean trusts(TrustedProxies proxies, String address) {
        return proxies.trusts(address, 0, address.length());
    }

    @Test
    void should_use_the_peer_and_skip_the_fields_when_no_proxy_is_trusted() {
        String peer = new String("10.1.2.3");
        assertSame(TrustedProxies.NONE, TrustedProxies.parse(null));
        assertSame(TrustedProxies.NONE, TrustedProxies.parse(" "));
        assertSame(peer, TrustedProxies.NONE.client(peer, xff("6.6.6.6")));
        assertEquals("10.1.2.3", TrustedProxies.NONE.forwardedFor(peer, xff("6.6.6.6")));
        assertEquals("none", TrustedProxies.NONE.toString());
    }

    @Test
    void should_ignore_forwarded_for_from_an_untrusted_peer() {
        String peer = new String("203.0.113.9");
        assertSame(peer, PROXIES.client(peer, xff("6.6.6.6")));
        assertEquals("203.0.113.9", PROXIES.forwardedFor(peer, xff("6.6.6.6, 10.0.0.1")));
    }

    @Test
    void should_take_the_right_most_untrusted_hop_when_the_peer_is_trusted() {
        assertEquals("198.51.100.4", PROXIES.client("10.9.9.9", xff("6.6.6.6, 198.51.100.4")));
        // walks over trusted hops, nginx's real_ip_recursive on
        assertEquals("198.51.100.4", PROXIES.client("10.9.9.9", xff("6.6.6.6, 198.51.100.4, 10.0.0.2, 192.168.1.7")));
        assertEquals("2001:db9::5", PROXIES.client("2001:db8::1", xff("1.1.1.1, 2001:db9::5, 2001:db8:ffff::1")));
    }

    @Test
    void should_read_several_fields_as_one_list_in_order() {
        assertEquals("198.51.100.4", PROXIES.client("10.0.0.1", xff("6.6.6.6", "198.51.100.4", "10.0.0.3")));
        assertEquals("7.7.7.7", PROXIES.client("10.0.0.1", xff("6.6.6.6, 7.7.7.7", "", "10.0.0.3,")));
    }

    @Test
    void should_answer_the_peer_when_a_trusted_peer_sends_no_chain() {
        assertEquals("10.0.0.1", PROXIES.client("10.0.0.1", xff()));
        assertEquals("10.0.0.1", PROXIES.client("10.0.0.1", xff(" , ")));
        assertEquals("10.0.0.1", PROXIES.forwardedFor("10.0.0.1", xff()));
    }

    @Test
    void should_answer_the_left_most_hop_when_every_hop_is_trusted() {
        assertEquals("10.0.0.3", PROXIES.client("10.0.0.1", xff("10.0.0.3, 192.168.1.7, 10.0.0.2")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "6.6.6.6, unknown, 10.0.0.2|10.0.0.2",
        "6.6.6.6, evil.example|10.0.0.1",
        "6.6.6.6, 1.2.3.256|10.0.0.1",
        "6.6.6.6, 01.2.3.4|10.0.0.1",
        "6.6.6.6, 1.2.3|10.0.0.1",
        "6.6.6.6, 2001:db8::g|10.0.0.1",
        "6.6.6.6, 1:2:3:4:5:6:7:8:9|10.0.0.1",
        "6.6.6.6, [2001:db9::1|10.0.0.1",
        "6.6.6.6, 1.2.3.4:port|10.0.0.1",
        "6.6.6.6, \u0661.2.3.4|10.0.0.1",
    })
    void should_stop_at_a_malformed_hop_and_answer_the_last_trusted_address(String chain, String client) {
        assertEquals(client, PROXIES.client("10.0.0.1", xff(chain)));
    }

    @Test
    void should_drop_ports_brackets_and_zones_of_hops() {
        assertEquals("198.51.100.4", PROXIES.client("10.0.0.1", xff("198.51.100.4:5555")));
        assertEquals("2001:db9::1", PROXIES.client("10.0.0.1", xff("[2001:db9::1]:443")));
        assertEquals("2001:db9::1", PROXIES.client("10.0.0.1", xff("[2001:db9::1]")));
        assertEquals("fe80::1", PROXIES.client("10.0.0.1", xff("fe80::1%eth0")));
        assertEquals("198.51.100.4", PROXIES.client("10.0.0.1", xff("198.51.100.4,[2001:db8::7]:80, 10.1.1.1:8080")));
    }

    @Test
    void should_match_ipv4_mapped_ipv6_as_ipv4() {
        assertTrue(trusts(PROXIES, "::ffff:10.1.2.3"));
        assertTrue(trusts(PROXIES, "::ffff:c0a8:107"));
        assertEquals("198.51.100.4", PROXIES.client("::ffff:10.0.0.1", xff("198.51.100.4, ::ffff:10.0.0.2")));
        TrustedProxies mapped = TrustedProxies.parse("::ffff:10.0.0.0/104");
        assertTrue(trusts(mapped, "10.200.0.1"));
        assertFalse(trusts(mapped, "11.0.0.1"));
    }

    @Test
    void should_match_peers_with_a_zone_and_java_style_ipv6_text() {
        assertEquals("6.6.6.6", PROXIES.client("fd00:0:0:0:0:0:0:1%lo", xff("6.6.6.6")));
        assertEquals("6.6.6.6", PROXIES.client("2001:db8:0:0:0:0:0:1", xff("6.6.6.6")));
        assertEquals("0:0:0:0:0:0:0:1", PROXIES.client("0:0:0:0:0:0:0:1", xff("6.6.6.6")));
        // Jetty's Request.getRemoteAddr puts an IPv6 peer in brackets
        assertEquals("6.6.6.6", PROXIES.client("[2001:db8:0:0:0:0:0:1]", xff("6.6.6.6")));
        assertEquals("6.6.6.6", PROXIES.client("[fd00:0:0:0:0:0:0:1%1]", xff("6.6.6.6")));
        assertEquals("[0:0:0:0:0:0:0:1]", PROXIES.client("[0:0:0:0:0:0:0:1]", xff("6.6.6.6")));
        assertFalse(trusts(PROXIES, "[]"));
        assertFalse(trusts(PROXIES, "[10.0.0.1"));
    }

    @Test
    void should_walk_many_hops() {
        StringBuilder chain = new StringBuilder("203.0.113.1");
        for (int i = 0; i < 500; i++) {
            chain.append(", 10.0.").append(i / 250).append('.').append(i % 250 + 1);
        }
        assertEquals("203.0.113.1", PROXIES.client("10.0.0.1", xff(chain.toString())));
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            fields.add("10.0.1." + (i + 1));
        }
        fields.add(0, "203.0.113.2");
        assertEquals("203.0.113.2", PROXIES.client("10.0.0.1", fields));
    }

    @Test
    void should_forward_the_received_chain_with_the_peer_appended_when_the_peer_is_trusted() {
        assertEquals("6.6.6.6, 198.51.100.4, 10.0.0.1", PROXIES.forwardedFor("10.0.0.1", xff("6.6.6.6, 198.51.100.4")));
        assertEquals("1.1.1.1, 2.2.2.2, 10.0.0.1", PROXIES.forwardedFor("10.0.0.1", xff(" 1.1.1.1 ", "2.2.2.2")));
        assertEquals("6.6.6.6, 2001:db8:0:0:0:0:0:1", PROXIES.forwardedFor("[2001:db8:0:0:0:0:0:1]", xff("6.6.6.6")));
        assertEquals("0:0:0:0:0:0:0:1", PROXIES.forwardedFor("[0:0:0:0:0:0:0:1]", xff("6.6.6.6")));
        assertEquals("0:0:0:0:0:0:0:1", TrustedProxies.NONE.forwardedFor("[0:0:0:0:0:0:0:1]", xff("6.6.6.6")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "2001:db8::/129", "10.0.0.1/8", "2001:db8::1/32", "10.0.0.0/", "10.0.0.0/x",
        "proxy.example", "10.0.0", "256.0.0.0", "fe80::1%eth0", "10.0.0.0/8/8", "10.0.0.0/-1", "::1::2"})
    void should_refuse_an_invalid_entry_naming_it_and_the_setting(String entry) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> TrustedProxies.parse("127.0.0.1, " + entry));
        assertTrue(e.getMessage().startsWith("MERIDIAN_TRUSTED_PROXIES: '" + entry + "'"), e.getMessage());
    }

    @Test
    void should_name_the_network_when_host_bits_are_set() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse("10.1.2.3/8"));
        assertTrue(e.getMessage().contains("10.0.0.0/8"), e.getMessage());
    }

    @Test
    void should_trust_exactly_the_prefix() {
        TrustedProxies p = TrustedProxies.parse("127.0.0.2/31,2001:db8:8000::/33,0.0.0.0/0");
        assertTrue(trusts(p, "8.8.8.8")); // 0.0.0.0/0: every IPv4 address
        TrustedProxies q = TrustedProxies.parse("127.0.0.2/31,2001:db8:8000::/33");
        assertTrue(trusts(q, "127.0.0.3"));
        assertFalse(trusts(q, "127.0.0.4"));
        assertFalse(trusts(q, "127.0.0.1"));
        assertTrue(trusts(q, "2001:db8:ffff::1"));
        assertFalse(trusts(q, "2001:db8:7fff::1"));
        assertFalse(trusts(q, "::1"));
        assertEquals("127.0.0.2/31,2001:db8:8000::/33", q.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"::", "::1", "1::", "2001:db8::1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "::ffff:1.2.3.4",
        "fe80::", "ABCD:ef01::2:3", "1::2:3:4:5:6:7", "0:0:0:0:0:0:0:1"})
    void should_parse_ipv6_as_the_jdk_does(String text) throws Exception {
        byte[] expected = InetAddress.getByName(text).getAddress();
        long[] parsed = TrustedProxies.parseIpv6(text, 0, text.length());
        if (expected.length == 4) { // the JDK folds IPv4-mapped addresses to IPv4
            assertEquals(0xFFFFL, parsed[1] >>> 32);
            assertArrayEquals(expected, new byte[] {(byte) (parsed[1] >>> 24), (byte) (parsed[1] >>> 16),
                (byte) (parsed[1] >>> 8), (byte) parsed[1]});
            return;
        }
        byte[] actual = new byte[16];
        for (int i = 0; i < 8; i++) {
            actual[i] = (byte) (parsed[0] >>> (56 - 8 * i));
            actual[i + 8] = (byte) (parsed[1] >>> (56 - 8 * i));
        }
        assertArrayEquals(expected, actual);
    }

    @ParameterizedTest
    @ValueSource(strings = {":", ":::", "1:::2", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "1:", ":1", "::1.2.3",
        "1:2:3:4:5:6:7:1.2.3.4", "g::", "1::2::3"})
    void should_refuse_malformed_ipv6(String text) {
        assertNull(TrustedProxies.parseIpv6(text, 0, text.length()));
    }

    /** Bytes this thread allocated while {@code calls} calls of {@code work} ran (after as many to warm up). */
    private static long allocatedBytes(int calls, Runnable work) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < calls; i++) {
            work.run();
        }
        long id = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(id);
        for (int i = 0; i < calls; i++) {
            work.run();
        }
        return mx.getThreadAllocatedBytes(id) - before;
    }

    @Test
    void should_not_allocate_for_a_node_without_proxies_nor_for_an_untrusted_ipv4_peer() {
        HttpFields fields = xff("6.6.6.6, 10.0.0.2");
        String peer = "203.0.113.9";
        String[] sink = new String[1];
        int calls = 200_000;
        long none = allocatedBytes(calls, () -> sink[0] = TrustedProxies.NONE.client(peer, fields));
        long untrusted = allocatedBytes(calls, () -> sink[0] = PROXIES.client(peer, fields));
        long trusted = allocatedBytes(calls, () -> sink[0] = PROXIES.client("10.0.0.1", fields));
        long nanosNone = nanosPerCall(calls, () -> sink[0] = TrustedProxies.NONE.client(peer, fields));
        long nanosUntrusted = nanosPerCall(calls, () -> sink[0] = PROXIES.client(peer, fields));
        long nanosTrusted = nanosPerCall(calls, () -> sink[0] = PROXIES.client("10.0.0.1", fields));
        System.out.printf("TrustedProxies.client per call: no proxies %d ns / %.1f bytes; untrusted IPv4 peer, 4 entries"
            + " %d ns / %.1f bytes; trusted peer, 2 hops %d ns / %.1f bytes%n", nanosNone, (double) none / calls,
            nanosUntrusted, (double) untrusted / calls, nanosTrusted, (double) trusted / calls);

        // the measurement itself may allocate a few bytes: far below one byte per call
        assertTrue(none < 4096, none + " bytes for " + calls + " calls without proxies");
        assertTrue(untrusted < 4096, untrusted + " bytes for " + calls + " calls from an untrusted peer");
        assertTrue(trusted > calls, "a trusted peer's chain is read (allocates): " + trusted);
    }

    private static long nanosPerCall(int calls, Runnable work) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            work.run();
        }
        return (System.nanoTime() - start) / calls;
    }
}
