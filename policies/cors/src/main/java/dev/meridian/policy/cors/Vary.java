package dev.meridian.policy.cors;

import java.util.List;

import dev.meridian.policy.api.PolicyResponse;

/**
 * Adds {@code Origin} to a response's {@code Vary} without duplicating it: an answer whose
 * {@code Access-Control-Allow-Origin} depends on the request's origin must say so, or a shared
 * cache (ours or a CDN's) serves one origin's allow header to another.
 */
final class Vary {

    static final String VARY = "Vary";
    static final String ORIGIN = "Origin";
    private static final String ANY = "*";

    private Vary() {
    }

    /** Adds {@code Origin} unless a {@code Vary} line already names it or {@code *} (varies on everything). */
    static void addOrigin(PolicyResponse response) {
        List<String> lines = response.headers(VARY);
        for (String line : lines) {
            if (names(line, ORIGIN) || names(line, ANY)) {
                return;
            }
        }
        if (lines.isEmpty()) {
            response.setHeader(VARY, ORIGIN);
        } else if (lines.size() == 1 && !lines.get(0).isBlank()) {
            // one line stays one line: "Vary: Accept-Encoding, Origin", as most servers write it
            response.setHeader(VARY, lines.get(0).strip() + ", " + ORIGIN);
        } else {
            response.addHeader(VARY, ORIGIN);
        }
    }

    /** Whether the comma-separated {@code line} lists {@code name} (case-insensitive, whitespace ignored). */
    static boolean names(String line, String name) {
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && isSeparator(line.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && line.charAt(i) != ',') {
                i++;
            }
            int end = i;
            while (end > start && isWhitespace(line.charAt(end - 1))) {
                end--;
            }
            if (end - start == name.length() && line.regionMatches(true, start, name, 0, name.length())) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSeparator(char c) {
        return c == ',' || isWhitespace(c);
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }
}
