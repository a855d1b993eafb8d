package dev.meridian.policy.ipfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class CidrSetTest {

    @Test
    void should_find_addresses_at_both_ends_of_a_block_and_not_beside_it() {
        CidrSet set = set("10.0.0.0/8", "2001:db8::/32");

        assertTrue(set.contains(address("10.0.0.0")));
        assertTrue(set.contains(address("10.255.255.255")));
        assertFalse(set.contains(address("9.255.255.255")));
        assertFalse(set.contains(address("11.0.0.0")));
        assertTrue(set.contains(address("2001:db8::")));
        assertTrue(set.contains(address("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
        assertFalse(set.contains(address("2001:db9::")));
        assertFalse(set.contains(address("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")));
    }

    @Test
    void should_keep_families_apart() {
        CidrSet set = set("0.0.0.0/0");

        assertTrue(set.contains(address("203.0.113.9")));
        assertTrue(set.contains(address("::ffff:203.0.113.9")));
        assertFalse(set.contains(address("::1")));
        assertFalse(set("::/0").contains(address("127.0.0.1")));
    }

    @Test
    void should_merge_nested_overlapping_and_adjacent_blocks() {
        CidrSet set = set("10.0.0.0/8", "10.1.0.0/16", "11.0.0.0/8", "192.0.2.0/25", "192.0.2.128/25",
                "255.255.255.255", "::/1", "8000::/1");

        assertEquals(8, set.blocks());
        assertEquals(4, set.ranges()); // 10-11/7, 192.0.2.0/24, 255.255.255.255, ::/0
        assertTrue(set.contains(address("11.255.255.255")));
        assertTrue(set.contains(address("255.255.255.255")));
        assertTrue(set.contains(address("ffff::1")));
        assertFalse(set.contains(address("12.0.0.0")));
    }

    @Test
    void should_answer_like_a_linear_scan_for_random_blocks_and_addresses() {
        Random random = new Random(7);
        List<Cidr> blocks = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            blocks.add(RandomBlocks.next(random));
        }
        CidrSet set = new CidrSet(blocks);
        for (int n = 0; n < 50_000; n++) {
            // half the probes inside a configured block, so both answers are exercised
            IpAddress probe = random.nextBoolean() ? RandomBlocks.address(random) : RandomBlocks.inside(blocks.get(random.nextInt(blocks.size())), random);
            boolean expected = blocks.stream().anyMatch(b -> RandomBlocks.covers(b, probe));
            assertEquals(expected, set.contains(probe), probe::toString);
        }
    }

    private static CidrSet set(String... cidrs) {
        return new CidrSet(List.of(cidrs).stream().map(Cidr::parse).toList());
    }

    private static IpAddress address(String text) {
        return IpAddress.parseClient(text);
    }
}
