package dev.meridian.cache;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A strict parser of RFC 8941 Dictionary structured fields (§4.2.2), as RFC 9213 requires for the
 * targeted cache-control fields ({@code CDN-Cache-Control}, {@code Meridian-Cache-Control}).
 * Any deviation from the grammar fails the whole field: there is no partial result.
 *
 * <p>Bare items are mapped to JDK types: Integer to {@link Long}, Decimal to {@link BigDecimal},
 * String to {@link String}, Token to {@link Token}, Byte Sequence to {@link ByteSequence},
 * Boolean to {@link Boolean}. Dictionary and parameter order is kept; a repeated key keeps its
 * first position and its last value (§4.2.2, §4.2.3.2).
 *
 * <p>Stateless; results are immutable.
 */
final class StructuredFields {

    /** The largest absolute value of an Integer (§3.3.1): fifteen digits. */
    static final long MAX_INTEGER = 999_999_999_999_999L;

    /** An RFC 8941 Token (§3.3.4), kept apart from a String. */
    record Token(String value) {
    }

    /** An RFC 8941 Byte Sequence (§3.3.5); compared by content. */
    record ByteSequence(byte[] value) {
        ByteSequence {
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByteSequence other && Arrays.equals(value, other.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return ":" + Base64.getEncoder().encodeToString(value) + ":";
        }
    }

    /** A Dictionary member: an {@link Item} or an {@link InnerList}, each with parameters. */
    sealed interface Member permits Item, InnerList {
        Map<String, Object> parameters();
    }

    /** A bare item with its parameters (§3.3). */
    record Item(Object value, Map<String, Object> parameters) implements Member {
    }

    /** An inner list of items with its own parameters (§3.1.1). */
    record InnerList(List<Item> items, Map<String, Object> parameters) implements Member {
    }

    private StructuredFields() {
    }

    /**
     * Parses the field lines of one field as a Dictionary, combined as RFC 8941 §4.2 says (in
     * order, joined with a comma).
     *
     * @return the members in order, empty when the field value is invalid; an empty map when
     *     it is valid and empty
     */
    static Optional<Map<String, Member>> parseDictionary(List<String> fieldLines) {
        if (fieldLines.size() == 1) {
            return parseDictionary(fieldLines.get(0));
        }
        return parseDictionary(String.join(", ", fieldLines));
    }

    /** {@link #parseDictionary(List)} of one field value. */
    static Optional<Map<String, Member>> parseDictionary(String fieldValue) {
        Parser parser = new Parser(fieldValue);
        try {
            return Optional.of(parser.wholeDictionary());
        } catch (Invalid e) {
            return Optional.empty();
        }
    }

    /** A parse failure; no stack trace, as it is an expected outcome. */
    private static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Invalid() {
            super(null, null, false, false);
        }
    }

    /** One parse: a cursor over the input. Not shared. */
    private static final class Parser {

        private final String s;
        private int p;

        Parser(String s) {
            this.s = s;
        }

        Map<String, Member> wholeDictionary() {
            skipSp();
            Map<String, Member> dictionary = dictionary();
            skipSp();
            if (p != s.length()) {
                throw new Invalid();
            }
            return Collections.unmodifiableMap(dictionary);
        }

        /** §4.2.2. */
        private Map<String, Member> dictionary() {
            Map<String, Member> members = new LinkedHashMap<>();
            while (p < s.length()) {
                String key = key();
                Member member;
                if (peek() == '=') {
                    p++;
                    member = itemOrInnerList();
                } else {
                    member = new Item(Boolean.TRUE, parameters());
                }
                members.put(key, member);
                skipOws();
                if (p == s.length()) {
                    return members;
                }
                if (s.charAt(p++) != ',') {
                    throw new Invalid();
                }
                skipOws();
                if (p == s.length()) {
                    throw new Invalid(); // a trailing comma
                }
            }
            return members;
        }

        private Member itemOrInnerList() {
            return peek() == '(' ? innerList() : item();
        }

        /** §4.2.1.2. */
        private InnerList innerList() {
            p++; // (
            List<Item> items = new ArrayList<>();
            while (p < s.length()) {
                skipSp();
                if (peek() == ')') {
                    p++;
                    return new InnerList(List.copyOf(items), parameters());
                }
                items.add(item());
                char c = peek();
                if (c != ' ' && c != ')') {
                    throw new Invalid();
                }
            }
            throw new Invalid(); // no closing parenthesis
        }

        /** §4.2.3. */
        private Item item() {
            Object value = bareItem();
            return new Item(value, parameters());
        }

        /** §4.2.3.1. */
        private Object bareItem() {
            char c = peek();
            if (c == '-' || digit(c)) {
                return number();
            }
            if (c == '"') {
                return string();
            }
            if (alpha(c) || c == '*') {
                return token();
            }
            if (c == ':') {
                return byteSequence();
            }
            if (c == '?') {
                return bool();
            }
            throw new Invalid();
        }

        /** §4.2.3.2. */
        private Map<String, Object> parameters() {
            Map<String, Object> parameters = null;
            while (peek() == ';') {
                p++;
                skipSp();
                String key = key();
                Object value = Boolean.TRUE;
                if (peek() == '=') {
                    p++;
                    value = bareItem();
                }
                if (parameters == null) {
                    parameters = new LinkedHashMap<>();
                }
                parameters.put(key, value);
            }
            return parameters == null ? Map.of() : Collections.unmodifiableMap(parameters);
        }

        /** §4.2.3.3. */
        private String key() {
            char c = peek();
            if (!lcalpha(c) && c != '*') {
                throw new Invalid();
            }
            int start = p;
            while (p < s.length()) {
                c = s.charAt(p);
                if (!lcalpha(c) && !digit(c) && c != '_' && c != '-' && c != '.' && c != '*') {
                    break;
                }
                p++;
            }
            return s.substring(start, p);
        }

        /** §4.2.4. */
        private Object number() {
            boolean negative = false;
            if (peek() == '-') {
                negative = true;
                p++;
            }
            if (!digit(peek())) {
                throw new Invalid();
            }
            int start = p;
            int dot = -1;
            while (p < s.length()) {
                char c = s.charAt(p);
                if (digit(c)) {
                    p++;
                } else if (c == '.' && dot < 0) {
                    if (p - start > 12) {
                        throw new Invalid();
                    }
                    dot = p++;
                } else {
                    break;
                }
                if (dot < 0 ? p - start > 15 : p - start > 16) {
                    throw new Invalid();
                }
            }
            if (dot < 0) {
                long value = Long.parseLong(s, start, p, 10);
                return negative ? -value : value;
            }
            int fraction = p - dot - 1;
            if (fraction == 0 || fraction > 3) {
                throw new Invalid();
            }
            BigDecimal value = new BigDecimal(s.substring(start, p));
            return negative ? value.negate() : value;
        }

        /** §4.2.5. */
        private String string() {
            p++; // "
            StringBuilder out = new StringBuilder();
            while (p < s.length()) {
                char c = s.charAt(p++);
                if (c == '\\') {
                    if (p == s.length()) {
                        throw new Invalid();
                    }
                    char next = s.charAt(p++);
                    if (next != '"' && next != '\\') {
                        throw new Invalid();
                    }
                    out.append(next);
                } else if (c == '"') {
                    return out.toString();
                } else if (c < 0x20 || c > 0x7E) {
                    throw new Invalid();
                } else {
                    out.append(c);
                }
            }
            throw new Invalid(); // no closing quote
        }

        /** §4.2.6. */
        private Token token() {
            int start = p++;
            while (p < s.length()) {
                char c = s.charAt(p);
                if (!tchar(c) && c != ':' && c != '/') {
                    break;
                }
                p++;
            }
            return new Token(s.substring(start, p));
        }

        /** §4.2.7. */
        private ByteSequence byteSequence() {
            p++; // :
            int end = s.indexOf(':', p);
            if (end < 0) {
                throw new Invalid();
            }
            for (int i = p; i < end; i++) {
                char c = s.charAt(i);
                if (!alpha(c) && !digit(c) && c != '+' && c != '/' && c != '=') {
                    throw new Invalid();
                }
            }
            byte[] bytes;
            try {
                // the JDK decoder accepts missing padding, as §4.2.7 asks
                bytes = Base64.getDecoder().decode(s.substring(p, end));
            } catch (IllegalArgumentException e) {
                throw new Invalid();
            }
            p = end + 1;
            return new ByteSequence(bytes);
        }

        /** §4.2.8. */
        private Boolean bool() {
            p++; // ?
            char c = peek();
            if (c == '1' || c == '0') {
                p++;
                return c == '1';
            }
            throw new Invalid();
        }

        /** The next character, or 0 at the end (0 is never valid where it is looked at). */
        private char peek() {
            return p < s.length() ? s.charAt(p) : 0;
        }

        private void skipSp() {
            while (p < s.length() && s.charAt(p) == ' ') {
                p++;
            }
        }

        private void skipOws() {
            while (p < s.length() && Tokens.ows(s.charAt(p))) {
                p++;
            }
        }
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean lcalpha(char c) {
        return c >= 'a' && c <= 'z';
    }

    private static boolean alpha(char c) {
        return lcalpha(c) || c >= 'A' && c <= 'Z';
    }

    /** RFC 9110 §5.6.2 tchar. */
    static boolean tchar(char c) {
        if (alpha(c) || digit(c)) {
            return true;
        }
        switch (c) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
                return true;
            default:
                return false;
        }
    }
}
