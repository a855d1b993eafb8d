package dev.meridian.cache;

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

    // ---- Age (RFC 9111 §5.1, §4.2.3); cache-tests age-parse ----

    private static long age(String... lines) {
        return Freshness.ageSeconds(List.of(lines));
    }

    /** RFC 9111 §5.1: an invalid Age is ignored; cache-tests age-parse-nonnumeric, -negative, -float. */
    @Test
    void should_ignore_a_non_numeric_negative_or_float_age() {
        assertEquals(-1, age("abc"));
        assertEquals(-1, age("-7200"));
        assertEquals(-1, age("7200.0"));
        assertEquals(-1, age(""));
        assertEquals(-1, age());
        HeaderView response = Headers.view("Date", DATE, "Cache-Control", "max-age=3600", "Age", "-7200");
        assertEquals(1_000, Freshness.correctedInitialAgeMillis(response, SUN_06_NOV_1994, SUN_06_NOV_1994 + 1_000));
    }

    /**
     * RFC 9111 §5.1 and §1.2.2: a valid Age, clamped to 2147483648; cache-tests
     * age-parse-large-minus-one, age-parse-large, age-parse-larger (all stale for max-age=3600).
     */
    @Test
    void should_read_a_large_age_clamped_to_2147483648() {
        assertEquals(2_147_483_647L, age("2147483647"));
        assertEquals(2_147_483_648L, age("2147483648"));
        assertEquals(2_147_483_648L, age("2147483649"));
        assertEquals(2_147_483_648L, age("99999999999999999999999"));
        assertEquals(3600, age(" 003600 "));
    }

    /**
     * RFC 9111 §5.1: "a cache encountering a message with a list-based Age field value SHOULD use
     * the first member"; several lines form one list; cache-tests age-parse-suffix ("7200, 0":
     * stale), age-parse-prefix ("0, 7200": fresh), age-parse-suffix-twoline,
     * age-parse-prefix-twoline, age-parse-dup-0, age-parse-dup-0-twoline, age-parse-dup-old.
     */
    @Test
    void should_use_the_first_member_of_an_age_list_or_the_first_of_several_lines() {
        assertEquals(7200, age("7200, 0"));
        assertEquals(0, age("0, 7200"));
        assertEquals(7200, age("7200", "0"));
        assertEquals(0, age("0", "7200"));
        assertEquals(0, age("0, 0"));
        assertEquals(0, age("0", "0"));
        assertEquals(3600, age("3600", "3600"));
        assertEquals(5, age(" , 5, 6"), "empty list elements are skipped (RFC 9110 §5.6.1)");
        assertEquals(5, age("", "5"));
        assertEquals(-1, age("x, 5"), "the first member decides, even when invalid");
    }

    /**
     * RFC 9111 §5.1: "7200;foo=bar" is not delta-seconds, so it is ignored. cache-tests
     * age-parse-parameter and age-parse-numeric-parameter are "check" tests (no requirement)
     * that would rather see it stale; Meridian follows the RFC.
     */
    @Test
    void should_ignore_an_age_with_a_parameter() {
        assertEquals(-1, age("7200;foo=bar"));
        assertEquals(-1, age("7200;foo=111"));
    }

    /** RFC 9111 §4.2.3 over every Age line; cache-tests freshness-max-age-age, age-parse-suffix-twoline. */
    @Test
    void should_compute_the_corrected_initial_age_from_all_age_lines() {
        HeaderView twoLines = Headers.view("Date", DATE, "Age", "7200", "Age", "0");
        assertEquals(7_200_000, Freshness.correctedInitialAgeMillis(twoLines, SUN_06_NOV_1994, SUN_06_NOV_1994));
        HeaderView list = Headers.view("Date", DATE, "Age", "0, 7200");
        assertEquals(0, Freshness.correctedInitialAgeMillis(list, SUN_06_NOV_1994, SUN_06_NOV_1994));
        assertEquals(7_200_000, Freshness.correctedInitialAgeMillis(DATE, "7200, 0", SUN_06_NOV_1994, SUN_06_NOV_1994));
        assertTrue(Freshness.correctedInitialAgeMillis(Headers.view("Date", DATE, "Age", "7200"), SUN_06_NOV_1994,
            SUN_06_NOV_1994) >= Freshness.lifetimeMillis(RULES, 200, Headers.view("Cache-Control", "max-age=3600")),
            "stale on arrival");
    }

    /** RFC 9111 §5.1: Age is sent in whole seconds, at most 2147483648. */
    @Test
    void should_format_the_age_field_in_whole_seconds() {
        assertEquals("0", Freshness.ageFieldValue(999));
        assertEquals("61", Freshness.ageFieldValue(61_999));
        assertEquals("0", Freshness.ageFieldValue(-5));
        assertEquals("2147483648", Freshness.ageFieldValue(Long.MAX_VALUE));
    }

    // ---- lifetime (RFC 9111 §4.2.1, §5.2.2.10, §5.3); cache-tests cc-freshness, expires-parse ----

    /**
     * RFC 9111 §5.2.2.10: a shared cache uses s-maxage over max-age and Expires; cache-tests
     * freshness-s-maxage-shared, freshness-max-age-s-maxage-shared-longer, -longer-reversed,
     * -longer-multiple, -shared-shorter, -shared-shorter-expires.
     */
    @Test
    void should_use_s_maxage_as_a_shared_cache() {
        assertEquals(3_600_000, lifetime("Cache-Control", "s-maxage=3600"));
        assertEquals(1_000, lifetime("Cache-Control", "max-age=3600, s-maxage=1"));
        assertEquals(1_000, lifetime("Cache-Control", "s-maxage=1, max-age=3600"));
        assertEquals(1_000, lifetime("Cache-Control", "max-age=3600", "Cache-Control", "s-maxage=1"));
        assertEquals(3_600_000, lifetime("Cache-Control", "max-age=1, s-maxage=3600"));
        assertEquals(3_600_000, lifetime("Date", DATE, "Expires", "Sun, 06 Nov 1994 08:49:27 GMT",
            "Cache-Control", "max-age=0, s-maxage=3600"));
    }

    /** RFC 9111 §1.2.2; cache-tests cc-parse freshness-max-age-leading-zero. */
    @Test
    void should_read_max_age_with_leading_zeros() {
        assertEquals(3_600_000, lifetime("Cache-Control", "max-age=003600"));
    }

    /**
     * RFC 9111 §4.2.1 (invalid freshness information: stale); cache-tests cc-freshness
     * freshness-max-age-space-before-equals, -space-after-equals, -a100, -100a, -negative,
     * freshness-max-age-0, freshness-max-age-0-expires, freshness-max-age-max-plus.
     */
    @Test
    void should_give_invalid_max_age_a_zero_lifetime_even_with_a_future_expires() {
        for (String cc : List.of("max-age =3600", "max-age= 3600", "max-age=a100", "max-age=100a", "max-age=-3600",
            "max-age=0")) {
            assertEquals(0, lifetime("Cache-Control", cc, "Date", DATE, "Expires", "Sun, 06 Nov 1994 09:49:37 GMT"), cc);
        }
        assertEquals(2_147_483_648_000L, lifetime("Cache-Control", "max-age=99999999999"));
    }

    /**
     * RFC 9111 §5.3 and §4.2 (cache recipients match dates case-insensitively); cache-tests
     * expires-parse freshness-expires-32bit, -far-future, -rfc850, -ansi-c, -wrong-case-weekday,
     * -wrong-case-month, -wrong-case-tz.
     */
    @Test
    void should_read_every_valid_expires_form_in_any_case() {
        String date = "Thu, 01 Jan 2026 00:00:00 GMT";
        long at = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        long y2050 = Instant.parse("2050-08-18T02:01:18Z").toEpochMilli();
        assertEquals(Instant.parse("2038-01-19T14:14:08Z").toEpochMilli() - at,
            lifetime("Date", date, "Expires", "Tue, 19 Jan 2038 14:14:08 GMT"));
        assertEquals(Instant.parse("2286-11-21T04:46:39Z").toEpochMilli() - at,
            lifetime("Date", date, "Expires", "Sun, 21 Nov 2286 04:46:39 GMT"));
        assertEquals(y2050 - at, lifetime("Date", date, "Expires", "Thursday, 18-Aug-50 02:01:18 GMT"));
        assertEquals(Instant.parse("2050-08-08T02:01:18Z").toEpochMilli() - at,
            lifetime("Date", date, "Expires", "Thu Aug  8 02:01:18 2050"));
        for (String expires : List.of("THU, 18 Aug 2050 02:01:18 GMT", "Thu, 18 AUG 2050 02:01:18 GMT",
            "Thu, 18 Aug 2050 02:01:18 gMT", "thursday, 18-aug-50 02:01:18 gmt")) {
            assertEquals(y2050 - at, lifetime("Date", date, "Expires", expires), expires);
        }
    }

    /**
     * RFC 9111 §5.3 (an invalid Expires means already expired); cache-tests expires-parse
     * freshness-expires-invalid-utc, -aest, -2-digit-year, -no-comma, -multiple-spaces,
     * -date-dashes, -time-periods, -1-digit-hour; expires freshness-expires-invalid.
     */
    @Test
    void should_treat_an_invalid_expires_form_as_already_expired() {
        for (String expires : List.of("Thu, 18 Aug 2050 02:01:18 UTC", "Thu, 18 Aug 2050 02:01:18 AEST",
            "Thu, 18 Aug 50 02:01:18 GMT", "Thu 18 Aug 2050 02:01:18 GMT", "Thu, 18  Aug  2050 02:01:18 GMT",
            "Thu, 18-Aug-2050 02:01:18 GMT", "Thu, 18 Aug 2050 02.01.18 GMT", "Thu, 18 Aug 2050 2:01:18 GMT", "0")) {
            assertEquals(0, lifetime("Date", DATE, "Expires", expires), expires);
        }
    }

    /**
     * RFC 9111 §4.2.1: several Expires values: "the first occurrence should be used or the
     * response should be considered stale": stale unless they agree; cache-tests expires-parse
     * freshness-expires-invalid-multiple-lines.
     */
    @Test
    void should_treat_several_differing_expires_lines_as_stale() {
        assertEquals(0, lifetime("Date", DATE, "Expires", "Sun, 06 Nov 1994 09:49:37 GMT",
            "Expires", "Sun, 06 Nov 1994 10:49:37 GMT"));
        assertEquals(0, lifetime("Date", DATE, "Expires", "Thu, 18 Aug 2050 2:01:18 GMT",
            "Expires", "Thu, 18 Aug 2050 2:01:19 GMT"));
        assertEquals(3_600_000, lifetime("Date", DATE, "Expires", "Sun, 06 Nov 1994 09:49:37 GMT",
            "Expires", "Sunday, 06-Nov-94 09:49:37 GMT"), "the same instant written twice");
    }

    /**
     * RFC 9213 §2.2: with a valid targeted field, Cache-Control and Expires are ignored;
     * cache-tests cdn-max-age, cdn-max-age-expires, cdn-max-age-cc-max-age-invalid-expires,
     * cdn-max-age-0-expires, cdn-max-age-long-cc-max-age, cdn-max-age-short-cc-max-age,
     * cdn-max-age-age (Age still counts).
     */
    @Test
    void should_take_the_lifetime_from_a_targeted_field_ignoring_cache_control_and_expires() {
        assertEquals(3_600_000, lifetime("CDN-Cache-Control", "max-age=3600", "Date", DATE,
            "Expires", "Sun, 06 Nov 1994 05:49:37 GMT"));
        assertEquals(3_600_000, lifetime("CDN-Cache-Control", "max-age=3600", "Date", DATE, "Expires", "0"));
        assertEquals(0, lifetime("CDN-Cache-Control", "max-age=0", "Date", DATE, "Expires", "Sun, 06 Nov 1994 09:49:37 GMT"));
        assertEquals(1_000, lifetime("Cache-Control", "max-age=3600", "CDN-Cache-Control", "max-age=1"));
        assertEquals(3_600_000, lifetime("Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age=3600"));
        assertEquals(0, lifetime("CDN-Cache-Control", "no-cache", "Cache-Control", "max-age=10000"));
        assertEquals(30_000, lifetime("CDN-Cache-Control", "none", "Cache-Control", "max-age=10000", "Date", DATE,
            "Expires", "Sun, 06 Nov 1994 09:49:37 GMT"), "no freshness information left: the heuristic ttl");
        assertEquals(7_200_000, Freshness.correctedInitialAgeMillis(
            Headers.view("Date", DATE, "CDN-Cache-Control", "max-age=3600", "Age", "7200"), SUN_06_NOV_1994,
            SUN_06_NOV_1994));
    }

    // ---- serving stale (RFC 9111 §4.2.4, §5.2.2.2, §5.2.2.4, §5.2.2.8, §5.2.2.10; RFC 5861) ----

    /**
     * RFC 9111 §4.2.4: no-cache, must-revalidate, proxy-revalidate and s-maxage prohibit stale
     * responses; cache-tests stale-close-must-revalidate, stale-close-proxy-revalidate,
     * stale-close-no-cache, stale-close-s-maxage=2.
     */
    @Test
    void should_never_serve_stale_what_must_be_revalidated() {
        for (String cc : List.of("max-age=2, must-revalidate", "max-age=2, proxy-revalidate", "max-age=2, no-cache",
            "max-age=2, s-maxage=2")) {
            HeaderView response = Headers.view("Cache-Control", cc + ", stale-while-revalidate=60, stale-if-error=60");
            assertTrue(Freshness.mustRevalidate(RULES, response), cc);
            assertEquals(0, Freshness.staleWhileRevalidateMillis(RULES, response), cc);
            assertEquals(0, Freshness.staleIfErrorMillis(RULES, response), cc);
            assertFalse(Freshness.mayServeStale(3_000, 2_000, 10_000, true, CacheControl.NONE), cc);
            assertFalse(Freshness.mayServeStaleOnError(3_000, 2_000, 60_000, true, request("stale-if-error=60"), 503), cc);
            assertFalse(Freshness.usable(3_000, 2_000, request("max-stale"), true), cc);
        }
        assertTrue(Freshness.mustRevalidate(RULES, Headers.view("CDN-Cache-Control", "must-revalidate",
            "Cache-Control", "max-age=5")));
        assertFalse(Freshness.mustRevalidate(RULES, Headers.view("Cache-Control", "must-revalidate",
            "CDN-Cache-Control", "max-age=5")));
    }

    /**
     * RFC 5861 §3: stale-while-revalidate, from the response, within its window only; cache-tests
     * stale-while-revalidate (max-age=1, stale-while-revalidate=3600: served), and
     * stale-while-revalidate-window (max-age=1, stale-while-revalidate=4: not past it).
     */
    @Test
    void should_serve_stale_while_revalidating_within_the_window_only() {
        HeaderView response = Headers.view("Cache-Control", "max-age=1, stale-while-revalidate=4", "ETag", "\"abc\"");
        long window = Freshness.staleWhileRevalidateMillis(RULES, response);
        assertEquals(4_000, window);
        assertFalse(Freshness.mayServeStale(999, 1_000, window, false, CacheControl.NONE), "fresh: a hit, not stale");
        assertTrue(Freshness.mayServeStale(1_000, 1_000, window, false, CacheControl.NONE));
        assertTrue(Freshness.mayServeStale(5_000, 1_000, window, false, CacheControl.NONE));
        assertFalse(Freshness.mayServeStale(5_001, 1_000, window, false, CacheControl.NONE));
        assertEquals(3_600_000, Freshness.staleWhileRevalidateMillis(RULES,
            Headers.view("Cache-Control", "max-age=1, stale-while-revalidate=3600")));
        assertEquals(60_000, Freshness.staleWhileRevalidateMillis(RULES,
            Headers.view("Cache-Control", "stale-while-revalidate=1", "CDN-Cache-Control", "stale-while-revalidate=60")));
        assertEquals(0, Freshness.staleWhileRevalidateMillis(RULES, Headers.view("Cache-Control", "max-age=1")));
        assertEquals(0, Freshness.staleWhileRevalidateMillis(rules("respectCacheControl", false),
            Headers.view("Cache-Control", "max-age=1, stale-while-revalidate=60")));
    }

    /**
     * RFC 9111 §5.2.1.1, §5.2.1.3, §5.2.1.4 and §4.2.4: the client's no-cache, max-age or
     * min-fresh withholds consent to a stale answer, whether grace or stale-while-revalidate
     * would give it.
     */
    @Test
    void should_not_serve_stale_while_revalidating_against_the_request() {
        for (String cc : List.of("no-cache", "max-age=100", "min-fresh=1")) {
            assertFalse(Freshness.mayServeStale(2_000, 1_000, 60_000, false, request(cc)), cc);
        }
        assertFalse(Freshness.mayServeStale(2_000, 1_000, 60_000, false,
            CacheControl.parseRequest(Headers.view("Pragma", "no-cache"))));
        assertTrue(Freshness.mayServeStale(2_000, 1_000, 60_000, false, request("max-stale=0")));
        assertFalse(Freshness.mayServeStale(2_000, 1_000, 0, false, CacheControl.NONE), "no window");
    }

    /** RFC 5861 §4: the errors stale-if-error covers are the answers 500, 502, 503 and 504. */
    @Test
    void should_count_500_502_503_504_as_errors_for_stale_if_error() {
        for (int status = 100; status < 600; status++) {
            assertEquals(status == 500 || status == 502 || status == 503 || status == 504,
                Freshness.isStaleIfErrorStatus(status), Integer.toString(status));
        }
    }

    /**
     * RFC 5861 §4 (response directive): within the window past expiry only; cache-tests cc-stale
     * stale-if-error-cc-response (served on a 500), stale-if-error-cc-response-expired (not after
     * the window), stale stale-sie-close and stale-sie-503 (a connection failure answers 502 and
     * a timeout 504, both covered).
     */
    @Test
    void should_serve_stale_on_an_upstream_error_within_the_response_window() {
        HeaderView response = Headers.view("Cache-Control", "max-age=0, stale-if-error=1");
        long window = Freshness.staleIfErrorMillis(RULES, response);
        assertEquals(1_000, window);
        for (int status : new int[] {500, 502, 503, 504}) {
            assertTrue(Freshness.mayServeStaleOnError(1_000, 0, window, false, CacheControl.NONE, status));
        }
        assertFalse(Freshness.mayServeStaleOnError(1_001, 0, window, false, CacheControl.NONE, 500), "past the window");
        assertFalse(Freshness.mayServeStaleOnError(500, 0, window, false, CacheControl.NONE, 404), "not an error");
        assertFalse(Freshness.mayServeStaleOnError(500, 0, window, false, CacheControl.NONE, 200));
        assertFalse(Freshness.mayServeStaleOnError(500, 0, 0, false, CacheControl.NONE, 503), "no window at all");
        assertEquals(3_600_000, Freshness.staleIfErrorMillis(RULES,
            Headers.view("Cache-Control", "max-age=0, stale-if-error=3600")));
        assertEquals(0, Freshness.staleIfErrorMillis(rules("respectCacheControl", false),
            Headers.view("Cache-Control", "max-age=0, stale-if-error=3600")));
    }

    /**
     * RFC 5861 §4 (request directive, scope: that request); cache-tests cc-stale
     * stale-if-error-cc-request (served on a 500) and stale-if-error-cc-request-expired.
     */
    @Test
    void should_serve_stale_on_an_upstream_error_within_the_request_window() {
        assertTrue(Freshness.mayServeStaleOnError(3_600_000, 0, 0, false, request("stale-if-error=3600"), 500));
        assertFalse(Freshness.mayServeStaleOnError(1_001, 0, 0, false, request("stale-if-error=1"), 500));
        assertTrue(Freshness.mayServeStaleOnError(1_000, 0, 0, false, request("stale-if-error=1"), 500));
        assertTrue(Freshness.mayServeStaleOnError(5_000, 0, 1_000, false, request("stale-if-error=10"), 503),
            "the larger window of request and response");
        assertTrue(Freshness.mayServeStaleOnError(5_000, 0, 10_000, false, request("stale-if-error=1"), 503));
    }

    /**
     * RFC 9111 §5.2.1.4 and §4.2.4: a client that asked for validation (no-cache, max-age,
     * min-fresh) did not consent to the origin's stale-if-error, only to its own.
     */
    @Test
    void should_let_the_request_withhold_the_response_stale_if_error() {
        assertFalse(Freshness.mayServeStaleOnError(500, 0, 60_000, false, request("no-cache"), 503));
        assertFalse(Freshness.mayServeStaleOnError(500, 0, 60_000, false, request("max-age=0"), 503));
        assertTrue(Freshness.mayServeStaleOnError(500, 0, 60_000, false, request("no-cache, stale-if-error=1"), 503));
        assertTrue(Freshness.mayServeStaleOnError(500, 1_000, 60_000, false, CacheControl.NONE, 503),
            "still fresh (a forced revalidation): zero staleness");
    }

    /**
     * RFC 9111 §5.2.1.2 with §5.2.1.3: max-stale allows a stale answer, but not to a request
     * that also asks for remaining freshness with min-fresh; cache-tests cc-request
     * ccreq-max-stale, ccreq-max-stale-age, ccreq-min-fresh, ccreq-min-fresh-age.
     */
    @Test
    void should_combine_max_stale_with_the_other_request_directives() {
        assertTrue(Freshness.usable(2_000, 1_000, request("max-stale=1000"), false));
        assertTrue(Freshness.usable(2_000_000, 1_500_000, request("max-stale=1000"), false));
        assertFalse(Freshness.usable(2_000, 1_000, request("max-stale=1000, min-fresh=1"), false));
        assertFalse(Freshness.usable(2_000, 1_000, request("max-stale, max-age=1"), false));
        assertTrue(Freshness.usable(2_000, 1_000, request("max-stale, max-age=2"), false));
        assertFalse(Freshness.usable(2_000, 1_000, request("max-stale, no-cache"), false));
        assertFalse(Freshness.usable(0, 1_500_000, request("min-fresh=2000"), false));
        assertFalse(Freshness.usable(1_000_000, 1_500_000, request("min-fresh=1000"), false));
    }
}
