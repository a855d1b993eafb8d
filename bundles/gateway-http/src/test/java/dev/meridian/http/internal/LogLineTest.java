package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogLineTest {

    private static String escaped(String s) {
        return new LogLine().raw('<').text(s).raw('>').toString();
    }

    @Test
    void should_keep_printable_ascii_as_it_is() {
        assertEquals("</orders/42?x=1&y=%2F ~!>", escaped("/orders/42?x=1&y=%2F ~!"));
    }

    @Test
    void should_write_a_dash_for_nothing() {
        assertEquals("<->", escaped(null));
        assertEquals("<->", escaped(""));
    }

    @Test
    void should_escape_the_quote_and_the_backslash_that_would_end_or_bend_a_field() {
        assertEquals("</a\\\" status=200 x=\\\"b>", escaped("/a\" status=200 x=\"b"));
        assertEquals("</a\\\\b>", escaped("/a\\b"));
    }

    @Test
    void should_escape_line_breaks_and_controls_so_no_line_can_be_forged() {
        assertEquals("</a\\x0D\\x0A2026-12-02T00:00:00.000Z api=x>", escaped("/a\r\n2026-12-02T00:00:00.000Z api=x"));
        assertEquals("<\\x1B[2J\\x00\\x09\\x7F>", escaped("\u001b[2J\u0000\t\u007f"));
        assertEquals("<a\\x85b\\u2028c\\u2029d>", escaped("a\u0085b\u2028c\u2029d"), "NEL, LS and PS are line breaks too");
    }

    @Test
    void should_escape_every_character_outside_printable_ascii() {
        assertEquals("<caf\\xE9 \\u20AC \\uD83D\\uDE00>", escaped("café € \uD83D\uDE00"));
        for (int c = 0; c <= 0xffff; c++) {
            String out = new LogLine().text(String.valueOf((char) c)).toString();
            for (char o : out.toCharArray()) {
                assertTrue(o >= 0x20 && o <= 0x7e, "char " + (int) c + " gave " + out);
            }
        }
    }

    @Test
    void should_write_numbers_and_milliseconds_as_the_jdk_does() {
        for (long n : new long[] {0, 7, 10, 99, 100, 12_345, -1, -42, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE}) {
            assertEquals(Long.toString(n), new LogLine().number(n).toString());
        }
        assertEquals("0.0", new LogLine().millis(99_999).toString());
        assertEquals("12.3", new LogLine().millis(12_345_678).toString());
        assertEquals("1000.0", new LogLine().millis(1_000_000_000).toString());
    }

    @Test
    void should_grow_past_its_first_buffer_and_start_again_when_reset() {
        LogLine line = new LogLine();
        String path = "/" + "a".repeat(3000) + "\u00e9";
        assertEquals("<" + "/" + "a".repeat(3000) + "\\xE9>", line.raw('<').text(path).raw('>').toString());
        assertEquals("x=1", line.reset().raw("x=").number(1).toString());
    }
}
