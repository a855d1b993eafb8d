package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.meridian.cache.StructuredFields.ByteSequence;
import dev.meridian.cache.StructuredFields.InnerList;
import dev.meridian.cache.StructuredFields.Item;
import dev.meridian.cache.StructuredFields.Member;
import dev.meridian.cache.StructuredFields.Token;

/** RFC 8941 Dictionaries: the RFC's own examples, its limits, and what §4.2 says must fail. */
class StructuredFieldsTest {

    private static Map<String, Member> dictionary(String value) {
        return StructuredFields.parseDictionary(value).orElseThrow(() -> new AssertionError("invalid: " + value));
    }

    private static Item item(Object value) {
        return new Item(value, Map.of());
    }

    private static Object value(String field, String key) {
        return ((Item) dictionary(field).get(key)).value();
    }

    @Test
    void should_parse_the_rfc_8941_section_3_2_examples() {
        Map<String, Member> d = dictionary("en=\"Applepie\", da=:w4ZibGV0w6ZydGU=:");
        assertEquals(List.of("en", "da"), List.copyOf(d.keySet()));
        assertEquals(item("Applepie"), d.get("en"));
        assertEquals(item(new ByteSequence("\u00c6blet\u00e6rte".getBytes(StandardCharsets.UTF_8))),
            d.get("da"));

        d = dictionary("a=?0, b, c; foo=bar");
        assertEquals(item(false), d.get("a"));
        assertEquals(item(true), d.get("b"));
        assertEquals(new Item(true, Map.of("foo", new Token("bar"))), d.get("c"));

        d = dictionary("rating=1.5, feelings=(joy sadness)");
        assertEquals(item(new BigDecimal("1.5")), d.get("rating"));
        assertEquals(new InnerList(List.of(item(new Token("joy")), item(new Token("sadness"))), Map.of()),
            d.get("feelings"));

        d = dictionary("a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid");
        assertEquals(new InnerList(List.of(item(1L), item(2L)), Map.of()), d.get("a"));
        assertEquals(item(3L), d.get("b"));
        assertEquals(new Item(4L, Map.of("aa", new Token("bb"))), d.get("c"));
        assertEquals(new InnerList(List.of(item(5L), item(6L)), Map.of("valid", true)), d.get("d"));
    }

    @Test
    void should_parse_every_bare_item_type_of_section_3_3() {
        assertEquals(42L, value("a=42", "a"));
        assertEquals(-42L, value("a=-42", "a"));
        assertEquals(new BigDecimal("4.5"), value("a=4.5", "a"));
        assertEquals(new BigDecimal("-0.002"), value("a=-0.002", "a"));
        assertEquals("hello world", value("a=\"hello world\"", "a"));
        assertEquals("say \"hi\" \\ bye", value("a=\"say \\\"hi\\\" \\\\ bye\"", "a"));
        assertEquals(new Token("foo123/456"), value("a=foo123/456", "a"));
        assertEquals(new Token("*a:b!c"), value("a=*a:b!c", "a"));
        assertEquals(new ByteSequence("pretend this is binary content.".getBytes(StandardCharsets.US_ASCII)),
            value("a=:cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:", "a"));
        assertEquals(true, value("a=?1", "a"));
        assertEquals(false, value("a=?0", "a"));
    }

    @Test
    void should_accept_the_integer_and_decimal_limits_of_section_3_3() {
        assertEquals(999_999_999_999_999L, value("a=999999999999999", "a"));
        assertEquals(-999_999_999_999_999L, value("a=-999999999999999", "a"));
        assertEquals(3600L, value("a=003600", "a"));
        assertEquals(new BigDecimal("123456789012.123"), value("a=123456789012.123", "a"));
    }

    @Test
    void should_keep_the_last_value_of_a_repeated_key_in_its_first_place() {
        Map<String, Member> d = dictionary("a=1, b=2, a=3");
        assertEquals(List.of("a", "b"), List.copyOf(d.keySet()));
        assertEquals(item(3L), d.get("a"));
        assertEquals(Map.of("x", 2L), ((Item) dictionary("a;x=1;x=2").get("a")).parameters());
    }

    @Test
    void should_combine_field_lines_in_order_as_section_4_2_says() {
        Map<String, Member> d = StructuredFields.parseDictionary(List.of("a=1", "b=2, a=3")).orElseThrow();
        assertEquals(List.of("a", "b"), List.copyOf(d.keySet()));
        assertEquals(item(3L), d.get("a"));
        assertTrue(StructuredFields.parseDictionary(List.of("a=1", "b=(")).isEmpty());
    }

    @Test
    void should_allow_the_whitespace_the_grammar_allows() {
        assertEquals(List.of("a", "b", "c"), List.copyOf(dictionary("  a=1 ,\tb=2,c  ").keySet()));
        assertEquals(new InnerList(List.of(item(1L), item(2L)), Map.of()), dictionary("a=(  1  2 )").get("a"));
        assertEquals(Map.of("x", true, "y", 1L), ((Item) dictionary("a; x; y=1").get("a")).parameters());
    }

    @Test
    void should_read_an_empty_field_as_an_empty_dictionary() {
        assertEquals(Map.of(), dictionary(""));
        assertEquals(Map.of(), dictionary("   "));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "a=1,", // trailing comma
        "a=1,,b=2", // empty member
        ",a=1",
        "A=1", // keys are lower case
        "Max-Age=1",
        "1a=1",
        "=1",
        "a =1", // no space before =
        "a= 1", // nor after it
        "a=1 b=2", // members need a comma
        "a=1;",
        "a=1000000000000000", // sixteen digits
        "a=-1000000000000000",
        "a=1234567890123.1", // thirteen integer digits in a decimal
        "a=1.1234", // four fraction digits
        "a=1.",
        "a=-",
        "a=--1",
        "a=1.2.3",
        "a=\"unterminated",
        "a=\"bad \\escape\"",
        "a=\"tab\there\"",
        "a=\"\u00e9\"", // strings are ASCII
        "a=\u00e9",
        "a=?2",
        "a=?",
        "a=:not base64!:",
        "a=:YWJj",
        "a=(1 2",
        "a=(1,2)",
        "a=('x')",
        "\ta=1", // only SP may lead
        "max-age=10000, &&&&&",
        "a=@1659578233", // a Date of RFC 9651, not of RFC 8941
        "a=%\"x\""})
    void should_fail_the_whole_field_on_any_error(String value) {
        assertTrue(StructuredFields.parseDictionary(value).isEmpty(), value);
    }

    @Test
    void should_compare_byte_sequences_by_content() {
        assertEquals(new ByteSequence(new byte[] {1, 2}), new ByteSequence(new byte[] {1, 2}));
        assertEquals(new ByteSequence(new byte[] {1, 2}).hashCode(), new ByteSequence(new byte[] {1, 2}).hashCode());
        assertEquals(":AQI=:", new ByteSequence(new byte[] {1, 2}).toString());
    }
}
