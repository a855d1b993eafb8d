package dev.meridian.policy.ipfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class CidrTest {

    @Test
    void should_span_an_ipv4_block_from_first_to_last_address() {
        assertEquals(new Cidr(true, 0, 0x0A000000L, 0, 0x0AFFFFFFL), Cidr.parse("10.0.0.0/8"));
        assertEquals(new Cidr(true, 0, 0, 0, 0xFFFFFFFFL), Cidr.parse("0.0.0.0/0"));
        assertEquals(new Cidr(true, 0, 0xC0000207L, 0, 0xC0000207L), Cidr.parse("192.0.2.7"));
        assertEquals(Cidr.parse("192.0.2.7"), Cidr.parse("192.0.2.7/32"));
    }

    @Test
    void should_span_an_ipv6_block_on_either_side_of_bit_64() {
        assertEquals(new Cidr(false, 0x20010DB800000000L, 0, 0x20010DB8FFFFFFFFL, -1L), Cidr.parse("2001:db8::/32"));
        assertEquals(new Cidr(false, 0x20010DB800000000L, 0, 0x20010DB800000000L, -1L), Cidr.parse("2001:db8::/64"));
        assertEquals(new Cidr(false, 0x20010DB800000000L, 0x1200000000000000L, 0x20010DB800000000L, 0x12FFFFFFFFFFFFFFL),
                Cidr.parse("2001:db8::1200:0:0:0/72"));
        assertEquals(new Cidr(false, 0, 0, -1L, -1L), Cidr.parse("::/0"));
        assertEquals(new Cidr(false, 0, 1, 0, 1), Cidr.parse("::1"));
    }

    @Test
    void should_read_an_ipv4_mapped_block_as_the_ipv4_block() {
        assertEquals(Cidr.parse("10.0.0.0/8"), Cidr.parse("::ffff:10.0.0.0/104"));
        assertEquals(Cidr.parse("10.1.2.3"), Cidr.parse("::ffff:10.1.2.3"));
    }

    @Test
    void should_name_the_first_address_when_host_bits_are_set() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.1.2.3/8"));
        assertEquals("host bits set after the prefix; the block's first address is 10.0.0.0 (write 10.0.0.0/8)",
                e.getMessage());
        IllegalArgumentException six = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("2001:db8::1/32"));
        assertEquals("host bits set after the prefix; the block's first address is 2001:db8:0:0:0:0:0:0"
                + " (write 2001:db8:0:0:0:0:0:0/32)", six.getMessage());
    }

    @Test
    void should_refuse_bad_prefixes_and_addresses() {
        for (String bad : List.of("10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/1000", "10.0.0.0/-1",
                "::ffff:10.0.0.0/95", "10.0.0/8", "example.com/8", "/8", "10.0.0.0/8/8")) {
            assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
        }
    }
}
