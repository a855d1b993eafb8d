package dev.meridian.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class FreshnessTest {

    private static final long SUN_06_NOV_1994 = 784_111_777_000L;
    private static final String DATE = "Sun, 06 Nov 1994 08:49:37 GMT";
    private static final CacheRules RULES = CacheRulesTest.rules(Map.of("ttl", "30s", "ttlByStatus", Map.of("404", "5s")));

    private static CacheRules rules(String field, Object value) {
        Map<String, Object> block = new HashMap<>();
        block.put("ttl", "30s");
        block.put(field, value);
        return CacheRulesTest.rules(block);
    }

    private static long lifetime(String... nameValues) {
        return Freshness.lifetimeMillis(RULES, 200, Headers.view(nameValues));
    }

    private static CacheControl request(String cacheControl) {
        return CacheControl.parse(List.of(cacheControl));
    }

    @Test
    void should_prefer_s_maxage_over_max_age() {
        assertEquals(20_000, lifetime("Cache-Control", "max-age=10, s-maxage=20"));
    }

    @Test
    void should_prefer_max_age_over_expires() {
        assertEquals(10_000, lifetime("Cache-Control", "max-age=10", "Date", DATE, "Expires", "Sun, 06 Nov 1994 09:49:37 GMT"));
    }

    @Test
    void should_use_expires_minus_date() {
        assertEquals(3_600_000, lifetime("Date", DATE, "Expires", "Sun, 06 Nov 1994 09:49:37 GMT"));
    }

    @Test
    void should_treat_an_invalid_expires_as_already_stale() {
        assertEquals(0, lifetime("Date", DATE, "Expires", "0"));
        assertEquals(0, lifetime("Date", DATE, "Expires", "-1"));
    }

    @Test
    void should_never_give_a_negative_lifetime() {
        assertEquals(0, lifetime("Date", DATE, "Expires", "Sat, 05 Nov 1994 08:49:37 GMT"));
    }

    @Test
    void should_use_ttl_by_status_then_ttl_when_the_upstream_says_nothing() {
        assertEquals(5_000, Freshness.lifetimeMillis(RULES, 404, Headers.NONE));
        assertEquals(30_000, Freshness.lifetimeMillis(RULES, 200, Headers.NONE));
        assertEquals(0, Freshness.lifetimeMillis(RULES, 500, Headers.NONE));
    }

    @Test
    void should_give_no_cache_a_zero_lifetime() {
        assertEquals(0, lifetime("Cache-Control", "no-cache, max-age=60"));
    }

    @Test
    void should_use_only_configured_ttls_when_not_respecting_cache_control() {
        CacheRules ignore = rules("respectCacheControl", false);
        assertEquals(30_000, Freshness.lifetimeMillis(ignore, 200,
            Headers.view("Cache-Control", "s-maxage=1, max-age=2, no-cache", "Date", DATE, "Expires", DATE)));
        assertFalse(Freshness.mustRevalidate(ignore, Headers.view("Cache-Control", "must-revalidate")));
    }

    @Test
    void should_flag_must_revalidate_proxy_revalidate_and_s_maxage() {
        assertTrue(Freshness.mustRevalidate(RULES, Headers.view("Cache-Control", "must-revalidate")));
        assertTrue(Freshness.mustRevalidate(RULES, Headers.view("Cache-Control", "proxy-revalidate")));
        assertTrue(Freshness.mustRevalidate(RULES, Headers.view("Cache-Control", "s-maxage=5")));
        assertFalse(Freshness.mustRevalidate(RULES, Headers.view("Cache-Control", "max-age=5")));
    }

    @Test
    void should_take_apparent_age_from_date() {
        HeaderView response = Headers.view("Date", DATE);
        assertEquals(10_000, Freshness.correctedInitialAgeMillis(response, SUN_06_NOV_1994 + 9_000, SUN_06_NOV_1994 + 10_000));
    }

    @Test
    void should_add_the_response_delay_to_the_age_header() {
        HeaderView response = Headers.view("Date", DATE, "Age", "30");
        assertEquals(32_000, Freshness.correctedInitialAgeMillis(response, SUN_06_NOV_1994 - 2_000, SUN_06_NOV_1994));
    }

    @Test
    void should_take_the_larger_of_apparent_and_corrected_age() {
        HeaderView response = Headers.view("Date", DATE, "Age", "5");
        assertEquals(60_000, Freshness.correctedInitialAgeMillis(response, SUN_06_NOV_1994 + 59_000, SUN_06_NOV_1994 + 60_000));
    }

    @Test
    void should_ignore_a_missing_date_a_future_date_and_an_invalid_age() {
        assertEquals(1_000, Freshness.correctedInitialAgeMillis(Headers.view("Age", "x1"), 0, 1_000));
        assertEquals(0, Freshness.correctedInitialAgeMillis(Headers.view("Date", DATE), SUN_06_NOV_1994 - 5_000,
            SUN_06_NOV_1994 - 5_000));
    }

    @Test
    void should_add_resident_time_to_the_current_age() {
        assertEquals(7_000, Freshness.currentAgeMillis(2_000, 10_000, 15_000));
        assertEquals(2_000, Freshness.currentAgeMillis(2_000, 10_000, 9_000));
    }

    @Test
    void should_use_a_fresh_response_and_not_a_stale_one() {
        assertTrue(Freshness.usable(9_999, 10_000, CacheControl.NONE, false));
        assertFalse(Freshness.usable(10_000, 10_000, CacheControl.NONE, false));
    }

    @Test
    void should_honour_request_max_age() {
        assertFalse(Freshness.usable(6_000, 60_000, request("max-age=5"), false));
        assertTrue(Freshness.usable(5_000, 60_000, request("max-age=5"), false));
        assertFalse(Freshness.usable(1, 60_000, request("max-age=0"), false));
    }

    @Test
    void should_honour_request_min_fresh() {
        assertTrue(Freshness.usable(40_000, 60_000, request("min-fresh=20"), false));
        assertFalse(Freshness.usable(40_001, 60_000, request("min-fresh=20"), false));
    }

    @Test
    void should_serve_stale_within_request_max_stale() {
        assertTrue(Freshness.usable(65_000, 60_000, request("max-stale=5"), false));
        assertFalse(Freshness.usable(65_001, 60_000, request("max-stale=5"), false));
        assertTrue(Freshness.usable(Long.MAX_VALUE / 2, 60_000, request("max-stale"), false));
    }

    @Test
    void should_never_serve_stale_when_the_response_must_revalidate() {
        assertFalse(Freshness.usable(60_001, 60_000, request("max-stale"), true));
        assertTrue(Freshness.usable(59_999, 60_000, request("max-stale"), true));
    }

    @Test
    void should_not_use_a_stored_response_for_a_no_cache_request() {
        assertFalse(Freshness.usable(0, 60_000, CacheControl.parseRequest(Headers.view("Pragma", "no-cache")), false));
    }

    @Test
    void should_parse_all_three_http_date_formats() {
        assertEquals(SUN_06_NOV_1994, Freshness.parseHttpDate(DATE));
        assertEquals(SUN_06_NOV_1994, HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT", 2025));
        assertEquals(SUN_06_NOV_1994, Freshness.parseHttpDate("Sun Nov  6 08:49:37 1994"));
        assertEquals(SUN_06_NOV_1994 + 4 * 86_400_000L, Freshness.parseHttpDate("Thu Nov 10 08:49:37 1994"));
        assertEquals(SUN_06_NOV_1994, Freshness.parseHttpDate("  " + DATE + "\t"));
    }

    @Test
    void should_read_two_digit_years_more_than_50_years_ahead_as_past() {
        long y2030 = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli();
        assertEquals(y2030, HttpDates.parse("Tuesday, 01-Jan-30 00:00:00 GMT", 2025));
        long y1980 = Instant.parse("1980-01-01T00:00:00Z").toEpochMilli();
        assertEquals(y1980, HttpDates.parse("Tuesday, 01-Jan-80 00:00:00 GMT", 2025));
    }

    @Test
    void should_reject_invalid_http_dates() {
        for (String bad : new String[] {null, "", "0", "-1", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT x",
            "Someday, 06-Nov-94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "1994-11-06T08:49:37Z"}) {
            assertEquals(Long.MIN_VALUE, Freshness.parseHttpDate(bad), String.valueOf(bad));
        }
        assertEquals(Instant.parse("2000-02-29T00:00:00Z").toEpochMilli(),
            Freshness.parseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT"));
    }

    @Test
    void should_format_imf_fixdate_like_java_time_and_parse_it_back() {
        DateTimeFormatter reference = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
            .withZone(ZoneOffset.UTC);
        assertEquals(DATE, Freshness.formatHttpDate(SUN_06_NOV_1994 + 999));
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", Freshness.formatHttpDate(0));
        assertEquals("Wed, 31 Dec 1969 23:59:59 GMT", Freshness.formatHttpDate(-1));
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            long millis = random.nextLong() % 253_402_300_799_000L;
            millis = millis < -62_135_596_800_000L ? -millis : millis;
            String formatted = Freshness.formatHttpDate(millis);
            assertEquals(reference.format(Instant.ofEpochMilli(millis)), formatted);
            assertEquals(Math.floorDiv(millis, 1000) * 1000, Freshness.parseHttpDate(formatted), formatted);
        }
    }

    @Test
    void should_clamp_formatting_to_four_digit_years() {
        assertEquals("Fri, 31 Dec 9999 23:59:59 GMT", Freshness.formatHttpDate(Long.MAX_VALUE));
        assertEquals("Mon, 01 Jan 0001 00:00:00 GMT", Freshness.formatHttpDate(Long.MIN_VALUE));
    }
}
