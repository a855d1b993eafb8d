package dev.meridian.itests;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * An HTTP/1.1 client on one loopback socket that shows a response exactly as it arrived: every
 * header line in order with its value's bytes (decoded ISO-8859-1, so one char per byte and
 * obs-text kept), interim 1xx responses, and bodies framed by Content-Length, chunked coding or
 * the connection's close. {@code java.net.http} hides interim responses and restricts methods
 * and header names; this one sends what a test writes. Not thread-safe: one client, one caller.
 */
final class RawHttpClient implements AutoCloseable {

    /** One header line: name and value as received (value trimmed of surrounding whitespace). */
    record Field(String name, String value) {
        static Field of(String name, String value) {
            return new Field(name, value);
        }
    }

    /**
     * One response.
     *
     * @param status the status code
     * @param fields the header lines in order
     * @param body the body after removing the chunked coding
     * @param interim the 1xx responses received before this one, in order (each without body)
     * @param trailers the trailer lines of a chunked body
     */
    record Response(int status, List<Field> fields, byte[] body, List<Response> interim, List<Field> trailers) {

        /** Every value of {@code name}, one per line, in order. */
        List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (Field f : fields) {
                if (f.name().equalsIgnoreCase(name)) {
                    out.add(f.value());
                }
            }
            return out;
        }

        Optional<String> first(String name) {
            List<String> all = all(name);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }

        boolean has(String name) {
            return !all(name).isEmpty();
        }

        String xCache() {
            return first("X-Cache").orElse("(none)");
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (Response r : interim) {
                sb.append(r).append(" | ");
            }
            sb.append(status);
            for (Field f : fields) {
                sb.append("; ").append(f.name()).append(": ").append(f.value());
            }
            String t = text();
            sb.append("; body ").append(t.length() > 80 ? t.substring(0, 80) + "..." : t);
            return sb.toString();
        }
    }

    private final int port;
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    RawHttpClient(int port) throws IOException {
        this.port = port;
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream());
    }

    /** One request on a new connection, closed afterwards. */
    static Response once(int port, String method, String target, Field... headers) throws IOException {
        try (RawHttpClient c = new RawHttpClient(port)) {
            return c.send(method, target, List.of(headers), null);
        }
    }

    Response get(String target, Field... headers) throws IOException {
        return send("GET", target, List.of(headers), null);
    }

    /**
     * Sends a request and reads its response. Adds {@code Host}; with a body, adds {@code
     * Content-Length}. Header values are written byte for byte (ISO-8859-1).
     */
    Response send(String method, String target, List<Field> headers, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        head.append("Host: 127.0.0.1:").append(port).append("\r\n");
        for (Field f : headers) {
            head.append(f.name()).append(": ").append(f.value()).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.write(body);
        }
        out.flush();
        return read(method.equals("HEAD"));
    }

    boolean isClosed() {
        return socket.isClosed();
    }

    private Response read(boolean head) throws IOException {
        List<Response> interim = new ArrayList<>();
        while (true) {
            String statusLine = line();
            if (statusLine == null) {
                throw new IOException("connection closed before a response");
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not a status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            List<Field> fields = fields();
            if (status >= 100 && status < 200 && status != 101) {
                interim.add(new Response(status, fields, new byte[0], List.of(), List.of()));
                continue;
            }
            Response r = body(status, fields, head, interim);
            if (r.all("Connection").stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("close"))) {
                socket.close();
            }
            return r;
        }
    }

    private Response body(int status, List<Field> fields, boolean head, List<Response> interim) throws IOException {
        Response probe = new Response(status, fields, new byte[0], List.copyOf(interim), List.of());
        if (head || status == 204 || status == 304) {
            return probe;
        }
        List<String> te = probe.all("Transfer-Encoding");
        if (!te.isEmpty() && te.get(te.size() - 1).toLowerCase(Locale.ROOT).endsWith("chunked")) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = line();
                if (sizeLine == null) {
                    throw new IOException("connection closed inside a chunked body");
                }
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    break;
                }
                buf.write(in.readNBytes(size));
                line();
            }
            List<Field> trailers = fields();
            return new Response(status, fields, buf.toByteArray(), List.copyOf(interim), trailers);
        }
        Optional<String> length = probe.first("Content-Length");
        if (length.isPresent()) {
            int n = Integer.parseInt(length.get().trim());
            byte[] b = in.readNBytes(n);
            if (b.length != n) {
                throw new IOException("body cut short: " + b.length + " of " + n + " bytes");
            }
            return new Response(status, fields, b, List.copyOf(interim), List.of());
        }
        byte[] rest = in.readAllBytes();
        socket.close();
        return new Response(status, fields, rest, List.copyOf(interim), List.of());
    }

    private List<Field> fields() throws IOException {
        List<Field> fields = new ArrayList<>();
        String h;
        while ((h = line()) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new IOException("not a header line: " + h);
            }
            fields.add(new Field(h.substring(0, colon), ows(h.substring(colon + 1))));
        }
        return fields;
    }

    /** Without leading and trailing SP and HTAB (RFC 9110 §5.5), nothing else. */
    static String ows(String v) {
        int from = 0;
        int to = v.length();
        while (from < to && (v.charAt(from) == ' ' || v.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (v.charAt(to - 1) == ' ' || v.charAt(to - 1) == '\t')) {
            to--;
        }
        return v.substring(from, to);
    }

    /** One line without its CRLF, bytes as ISO-8859-1 chars; null at end of stream. */
    private String line() throws IOException {
        return HttpLines.read(in);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
