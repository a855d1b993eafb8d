package dev.meridian.cache;

import java.time.Instant;
import java.time.ZoneOffset;

/**
 * HTTP-date (RFC 9110 §5.6.7) parsing and formatting by hand: no formatter, no exception and no
 * allocation on the parse path. Day names, month names and {@code GMT} are matched
 * case-insensitively: RFC 9110 makes HTTP-date case-sensitive, but RFC 9111 §4.2 asks a cache
 * recipient to match date values case-insensitively. Anything else (another zone such as
 * {@code UTC}, a two-digit year in IMF-fixdate, a missing comma, extra spaces, dashes, a
 * one-digit hour) is invalid. Stateless.
 */
final class HttpDates {

    static final long INVALID = Long.MIN_VALUE;

    private static final String[] MONTHS =
        {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    private static final String[] DAYS = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    private static final String[] LONG_DAYS =
        {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    /** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range a four-digit year can write. */
    private static final long MIN_FORMAT = -62_135_596_800_000L;
    private static final long MAX_FORMAT = 253_402_300_799_000L;
    private static final long SECONDS_PER_DAY = 86_400;

    private HttpDates() {}

    static long parse(String value) {
        return value == null ? INVALID : parse(value, -1);
    }

    /**
     * @param currentYear the year that two-digit RFC 850 years are read against, or -1 for the
     *     current UTC year
     */
    static long parse(String value, int currentYear) {
        int start = Tokens.skipOws(value, 0, value.length());
        int end = Tokens.trimOws(value, start, value.length());
        int len = end - start;
        if (len == 29 && value.charAt(start + 3) == ',') {
            return imfFixdate(value, start);
        }
        if (len == 24 && value.charAt(start + 3) == ' ') {
            return asctime(value, start);
        }
        int comma = value.indexOf(',', start);
        if (comma > start + 3 && comma < end && end - comma == 24) {
            return rfc850(value, start, comma, currentYear);
        }
        return INVALID;
    }

    /** {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    private static long imfFixdate(String s, int p) {
        if (indexOf(DAYS, s, p, 3) < 0 || s.charAt(p + 4) != ' ' || s.charAt(p + 7) != ' '
            || s.charAt(p + 11) != ' ' || s.charAt(p + 16) != ' ' || s.charAt(p + 25) != ' '
            || !s.regionMatches(true, p + 26, "GMT", 0, 3)) {
            return INVALID;
        }
        int day = digits(s, p + 5, 2);
        int month = indexOf(MONTHS, s, p + 8, 3) + 1;
        int year = digits(s, p + 12, 4);
        return epochMillis(year, month, day, s, p + 17);
    }

    /** {@code Sunday, 06-Nov-94 08:49:37 GMT}; {@code comma} is the index of the comma. */
    private static long rfc850(String s, int p, int comma, int currentYear) {
        if (indexOf(LONG_DAYS, s, p, comma - p) < 0) {
            return INVALID;
        }
        int q = comma + 1;
        if (s.charAt(q) != ' ' || s.charAt(q + 3) != '-' || s.charAt(q + 7) != '-' || s.charAt(q + 10) != ' '
            || s.charAt(q + 19) != ' ' || !s.regionMatches(true, q + 20, "GMT", 0, 3)) {
            return INVALID;
        }
        int day = digits(s, q + 1, 2);
        int month = indexOf(MONTHS, s, q + 4, 3) + 1;
        int yy = digits(s, q + 8, 2);
        if (yy < 0) {
            return INVALID;
        }
        int now = currentYear >= 0 ? currentYear : Instant.now().atOffset(ZoneOffset.UTC).getYear();
        // RFC 9110 §5.6.7: a year more than 50 years in the future is the most recent past one.
        int year = now / 100 * 100 + yy;
        if (year > now + 50) {
            year -= 100;
        }
        return epochMillis(year, month, day, s, q + 11);
    }

    /** {@code Sun Nov  6 08:49:37 1994}. */
    private static long asctime(String s, int p) {
        if (indexOf(DAYS, s, p, 3) < 0 || s.charAt(p + 7) != ' ' || s.charAt(p + 10) != ' '
            || s.charAt(p + 19) != ' ') {
            return INVALID;
        }
        int month = indexOf(MONTHS, s, p + 4, 3) + 1;
        int day = s.charAt(p + 8) == ' ' ? digits(s, p + 9, 1) : digits(s, p + 8, 2);
        int year = digits(s, p + 20, 4);
        return epochMillis(year, month, day, s, p + 11);
    }

    /** Validates the date and the {@code HH:MM:SS} at {@code t}. */
    private static long epochMillis(int year, int month, int day, String s, int t) {
        if (year < 0 || month < 1 || day < 1 || day > daysInMonth(year, month)
            || s.charAt(t + 2) != ':' || s.charAt(t + 5) != ':') {
            return INVALID;
        }
        int hour = digits(s, t, 2);
        int minute = digits(s, t + 3, 2);
        int second = digits(s, t + 6, 2);
        if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
            return INVALID;
        }
        long days = daysFromCivil(year, month, day);
        return (days * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second) * 1000L;
    }

    /** IMF-fixdate of {@code millis} (floored to the second, clamped to years 1..9999). */
    static String format(long millis) {
        long clamped = Math.max(MIN_FORMAT, Math.min(MAX_FORMAT, millis));
        long seconds = Math.floorDiv(clamped, 1000L);
        long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
        int secondOfDay = (int) (seconds - days * SECONDS_PER_DAY);
        // civil from days (H. Hinnant's algorithm)
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        int year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));
        String dayName = DAYS[(int) Math.floorMod(days + 4, 7L)];
        char[] out = new char[29];
        dayName.getChars(0, 3, out, 0);
        out[3] = ',';
        out[4] = ' ';
        two(out, 5, day);
        out[7] = ' ';
        MONTHS[month - 1].getChars(0, 3, out, 8);
        out[11] = ' ';
        two(out, 12, year / 100);
        two(out, 14, year % 100);
        out[16] = ' ';
        two(out, 17, secondOfDay / 3600);
        out[19] = ':';
        two(out, 20, secondOfDay / 60 % 60);
        out[22] = ':';
        two(out, 23, secondOfDay % 60);
        out[25] = ' ';
        out[26] = 'G';
        out[27] = 'M';
        out[28] = 'T';
        return new String(out);
    }

    private static void two(char[] out, int at, int value) {
        out[at] = (char) ('0' + value / 10);
        out[at + 1] = (char) ('0' + value % 10);
    }

    private static long daysFromCivil(long year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    private static int daysInMonth(int year, int month) {
        switch (month) {
            case 2:
                boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
                return leap ? 29 : 28;
            case 4:
            case 6:
            case 9:
            case 11:
                return 30;
            default:
                return 31;
        }
    }

    /** The value of {@code count} ASCII digits at {@code at}, or -1. */
    private static int digits(String s, int at, int count) {
        int value = 0;
        for (int i = at; i < at + count; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** The index of the name in {@code names} equal (ignoring case) to {@code s[at, at+len)}, or -1. */
    private static int indexOf(String[] names, String s, int at, int len) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].length() == len && s.regionMatches(true, at, names[i], 0, len)) {
                return i;
            }
        }
        return -1;
    }
}
