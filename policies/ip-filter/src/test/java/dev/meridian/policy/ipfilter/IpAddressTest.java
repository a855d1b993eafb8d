package dev.meridian.policy.ipfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class IpAddressTest {

    @Test
    void should_parse_ipv4_dotted_quads() {
        assertEquals(new IpAddress(true, 0, 0xC0000207L), parse("192.0.2.7"));
        assertEquals(new IpAddress(true, 0, 0), parse("0.0.0.0"));
        assertEquals(new IpAddress(true, 0, 0xFFFFFFFFL), parse("255.255.255.255"));
    }

    @Test
    void should_parse_ipv6_forms_like_the_jdk() throws Exception {
        for (String text : List.of("::", "::1", "1::", "2001:db8::1", "2001:DB8:0:0:8:800:200C:417A", "fe80::1:2:3:4",
                "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "64:ff9b::192.0.2.33", "::192.0.2.33")) {
            assertEquals(jdk(text), parse(text), text);
        }
    }

    @Test
    void should_parse_random_addresses_in_full_and_compressed_form_like_the_jdk() throws Exception {
        Random random = new Random(12);
        for (int n = 0; n < 20_000; n++) {
            byte[] bytes = new byte[random.nextBoolean() ? 4 : 16];
            random.nextBytes(bytes);
            if (bytes.length == 16 && random.nextBoolean()) {
                // runs of zero groups, so "::" appears in the compressed form
                int from = random.nextInt(8);
                int to = from + random.nextInt(8 - from + 1);
                for (int b = from * 2; b < to * 2; b++) {
                    bytes[b] = 0;
                }
            }
            InetAddress address = InetAddress.getByAddress(bytes);
            IpAddress expected = of(bytes);
            assertEquals(expected, parse(address.getHostAddress()), address.getHostAddress());
            if (bytes.length == 16) {
                String compressed = compress(address.getHostAddress());
                assertEquals(expected, parse(compressed), compressed);
            }
        }
    }

    @Test
    void should_read_ipv4_mapped_ipv6_as_ipv4() {
        assertEquals(parse("192.0.2.7"), parse("::ffff:192.0.2.7"));
        assertEquals(parse("192.0.2.7"), parse("::FFFF:c000:207"));
    }

    @Test
    void should_read_client_addresses_in_brackets_or_with_a_zone() {
        assertEquals(parse("::1"), IpAddress.parseClient("[::1]"));
        assertEquals(parse("fe80::1"), IpAddress.parseClient("fe80::1%eth0"));
        assertEquals(parse("::1"), IpAddress.parseClient("0:0:0:0:0:0:0:1%0"));
        assertEquals(parse("127.0.0.3"), IpAddress.parseClient("127.0.0.3"));
    }

    @Test
    void should_refuse_what_is_not_an_address_literal() {
        for (String bad : List.of("", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4.", ".1.2.3.4", "1..2.3",
                "localhost", "1.2.3.4:80", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "1::2::3", ":1", "1:", ":::",
                "12345::", "::g", "::1.2.3", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", "[::1", "::-1")) {
            assertNull(IpAddress.parseClient(bad), bad);
        }
    }

    @Test
    void should_print_the_canonical_text() {
        assertEquals("10.0.0.0", parse("10.0.0.0").toString());
        assertEquals("2001:db8:0:0:0:0:0:0", parse("2001:db8::").toString());
    }

    private static IpAddress parse(String text) {
        return IpAddress.parse(text, 0, text.length());
    }

    private static IpAddress jdk(String literal) throws Exception {
        return of(InetAddress.getByName(literal).getAddress()); // literals only: no lookup
    }

    private static IpAddress of(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        if (bytes.length == 4) {
            return new IpAddress(true, 0, buffer.getInt() & 0xFFFFFFFFL);
        }
        long hi = buffer.getLong();
        long lo = buffer.getLong();
        if (hi == 0 && lo >>> 32 == 0xFFFF) {
            return new IpAddress(true, 0, lo & 0xFFFFFFFFL);
        }
        return new IpAddress(false, hi, lo);
    }

    /** RFC 5952 compression of the JDK's full form: the longest run of two or more zero groups becomes "::". */
    private static String compress(String full) {
        String[] groups = full.split(":");
        int bestFrom = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; ) {
            int j = i;
            while (j < groups.length && groups[j].equals("0")) {
                j++;
            }
            if (j - i > bestLength) {
                bestFrom = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (bestFrom < 0) {
            return full;
        }
        String head = String.join(":", Arrays.copyOfRange(groups, 0, bestFrom));
        String tail = String.join(":", Arrays.copyOfRange(groups, bestFrom + bestLength, groups.length));
        return head + "::" + tail;
    }
}
