package dev.meridian.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({"250ms, PT0.25S", "30s, PT30S", "5m, PT5M", "1h, PT1H", "0s, PT0S", "0ms, PT0S",
      "90s, PT1M30S", "48h, PT48H"})
  void should_parse_short_form(String text, Duration expected) {
    assertEquals(expected, Durations.parse(text));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "30", "s", "1.5s", "-1s", "30S", " 30s", "30s ", "1d", "1m30s",
      "30 s", "9999999999999999999h"})
  void should_reject_anything_but_number_and_unit(String text) {
    assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
  }

  @Test
  void should_reject_duration_that_overflows() {
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("999999999999999999h"));
  }

  @ParameterizedTest
  @CsvSource({"PT0.25S, 250ms", "PT30S, 30s", "PT5M, 5m", "PT1H, 1h", "PT0S, 0s", "PT1M30S, 90s",
      "PT1.5S, 1500ms", "PT120M, 2h", "PT25H, 25h"})
  void should_format_with_largest_exact_unit(Duration d, String expected) {
    assertEquals(expected, Durations.format(d));
  }

  @Test
  void should_reject_formatting_negative_or_sub_millisecond_durations() {
    assertThrows(IllegalArgumentException.class, () -> Durations.format(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> Durations.format(Duration.ofNanos(1500)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"250ms", "30s", "5m", "1h", "0s", "1001ms"})
  void should_round_trip_canonical_forms(String text) {
    assertEquals(text, Durations.format(Durations.parse(text)));
  }
}
