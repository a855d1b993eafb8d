package dev.meridian.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

  @ParameterizedTest
  @CsvSource({"0, 0", "1, 1", "1536, 1536", "1k, 1024", "64k, 65536", "64m, 67108864",
      "1g, 1073741824", "1024g, 1099511627776", "0064m, 67108864", "9223372036854775807, 9223372036854775807"})
  void should_parse_bytes_or_a_binary_unit(String text, long bytes) {
    assertEquals(bytes, Sizes.parse(text));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "k", "m", "-1", "+1", "1.5m", "64M", "64K", "64G", "64mb", "64mi", "64 m",
      " 64m", "64m ", "1t", "0x10", "1_000", "9223372036854775808", "8589934592g", "99999999999999999999"})
  void should_reject_anything_but_digits_and_one_lower_case_unit(String text) {
    assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "1, 1", "1536, 1536", "1024, 1k", "3072, 3k", "1048576, 1m", "67108864, 64m",
      "1073741824, 1g", "1099511627776, 1024g", "1049600, 1025k"})
  void should_format_with_the_largest_exact_unit(long bytes, String expected) {
    assertEquals(expected, Sizes.format(bytes));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1, 1023, 1024, 65536, 67108864, 1073741824, 1099511627776L, 1099511627777L,
      Long.MAX_VALUE})
  void should_read_back_what_it_formats(long bytes) {
    assertEquals(bytes, Sizes.parse(Sizes.format(bytes)));
  }

  @Test
  void should_reject_formatting_a_negative_size() {
    assertThrows(IllegalArgumentException.class, () -> Sizes.format(-1));
  }
}
