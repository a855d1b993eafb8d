package dev.meridian.itests;

import java.io.IOException;
import java.io.InputStream;

/** Reading HTTP/1.1 lines off a raw socket, for the tests' own clients and upstreams. */
final class HttpLines {

    private HttpLines() {
    }

    /** One line without its CR LF (or bare LF), bytes as ISO-8859-1 chars; null at the end of the stream. */
    static String read(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
