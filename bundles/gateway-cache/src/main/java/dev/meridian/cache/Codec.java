package dev.meridian.cache;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Big-endian primitives and length-prefixed UTF-8 strings over a byte array. A writer fills an
 * array sized up front; a reader throws {@link IllegalArgumentException} on anything short or
 * malformed. Each instance is confined to one thread.
 */
final class Codec {

    private Codec() {}

    /** Bytes {@link Writer#string(String)} takes for {@code s}: a 4-byte length and the UTF-8 bytes. */
    static int stringSize(String s) {
        return 4 + utf8Length(s);
    }

    /** The UTF-8 length of {@code s}; an unpaired surrogate is written as {@code ?}, as the JDK does. */
    static int utf8Length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 2; // 4 bytes for 2 chars
                i++;
            } else if (!Character.isSurrogate(c)) {
                bytes += 2;
            }
        }
        return bytes;
    }

    static final class Writer {

        private final byte[] buf;
        private int pos;

        Writer(int size) {
            this.buf = new byte[size];
        }

        Writer bytes(byte[] b) {
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        Writer u8(int v) {
            buf[pos++] = (byte) v;
            return this;
        }

        Writer i32(int v) {
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
            return this;
        }

        Writer i64(long v) {
            i32((int) (v >>> 32));
            return i32((int) v);
        }

        Writer string(String s) {
            int lengthAt = pos;
            pos += 4;
            for (int i = 0, n = s.length(); i < n; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    buf[pos++] = (byte) c;
                } else if (c < 0x800) {
                    buf[pos++] = (byte) (0xC0 | c >> 6);
                    buf[pos++] = (byte) (0x80 | c & 0x3F);
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    buf[pos++] = (byte) (0xF0 | cp >> 18);
                    buf[pos++] = (byte) (0x80 | cp >> 12 & 0x3F);
                    buf[pos++] = (byte) (0x80 | cp >> 6 & 0x3F);
                    buf[pos++] = (byte) (0x80 | cp & 0x3F);
                } else if (Character.isSurrogate(c)) {
                    buf[pos++] = '?';
                } else {
                    buf[pos++] = (byte) (0xE0 | c >> 12);
                    buf[pos++] = (byte) (0x80 | c >> 6 & 0x3F);
                    buf[pos++] = (byte) (0x80 | c & 0x3F);
                }
            }
            int length = pos - lengthAt - 4;
            int end = pos;
            pos = lengthAt;
            i32(length);
            pos = end;
            return this;
        }

        /** The filled array; fails when the size computed up front was wrong. */
        byte[] done() {
            if (pos != buf.length) {
                throw new IllegalStateException("encoded " + pos + " bytes into " + buf.length);
            }
            return buf;
        }
    }

    static final class Reader {

        private final byte[] buf;
        private int pos;

        Reader(byte[] buf, int pos) {
            this.buf = buf;
            this.pos = pos;
        }

        int remaining() {
            return buf.length - pos;
        }

        private void need(int n) {
            if (n < 0 || n > buf.length - pos) {
                throw new IllegalArgumentException("truncated at byte " + pos);
            }
        }

        int u8() {
            need(1);
            return buf[pos++] & 0xFF;
        }

        int i32() {
            need(4);
            int v = (buf[pos] & 0xFF) << 24 | (buf[pos + 1] & 0xFF) << 16 | (buf[pos + 2] & 0xFF) << 8
                | buf[pos + 3] & 0xFF;
            pos += 4;
            return v;
        }

        long i64() {
            long hi = i32();
            return hi << 32 | i32() & 0xFFFF_FFFFL;
        }

        /** A count of items that take at least {@code minItemBytes} each: checked against what is left. */
        int count(int minItemBytes) {
            int n = i32();
            if (n < 0 || (long) n * minItemBytes > remaining()) {
                throw new IllegalArgumentException("bad count " + n + " at byte " + (pos - 4));
            }
            return n;
        }

        byte[] bytes(int n) {
            need(n);
            byte[] out = new byte[n];
            System.arraycopy(buf, pos, out, 0, n);
            pos += n;
            return out;
        }

        /** Skips a string without decoding it. */
        void skipString() {
            int n = i32();
            need(n);
            pos += n;
        }

        String string() {
            int n = i32();
            need(n);
            int start = pos;
            pos += n;
            for (int i = start; i < pos; i++) {
                if (buf[i] < 0) {
                    return strictUtf8(start, n);
                }
            }
            return new String(buf, start, n, StandardCharsets.ISO_8859_1); // all ASCII
        }

        private String strictUtf8(int start, int n) {
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, start, n));
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("malformed UTF-8 at byte " + start, e);
            }
        }

        void end() {
            if (pos != buf.length) {
                throw new IllegalArgumentException((buf.length - pos) + " trailing bytes");
            }
        }
    }
}
