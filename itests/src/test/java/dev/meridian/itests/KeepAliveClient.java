package dev.meridian.itests;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client on one socket that it never reopens: if the server closes the
 * keep-alive connection, the next request fails. That is the point: it proves "no keep-alive
 * connection is closed" (CONTRACT §4), which pooling clients hide by reconnecting.
 */
final class KeepAliveClient implements AutoCloseable {

    record Reply(int status, Map<String, String> headers, String body) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String host;

    KeepAliveClient(int port) throws IOException {
        this(new Socket("127.0.0.1", port), "127.0.0.1:" + port);
    }

    /** On a socket the caller connected (a TLS one, say), with {@code host} as the Host field. */
    KeepAliveClient(Socket connected, String host) throws IOException {
        socket = connected;
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream());
        this.host = host;
    }

    Reply get(String path) throws IOException {
        return exchange(path, false);
    }

    /** A GET with extra header fields (name → value). */
    Reply get(String path, Map<String, String> fields) throws IOException {
        StringBuilder head = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
        fields.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        return read(false);
    }

    /** A request with a small body (any method) on this connection. */
    Reply send(String method, String path, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write((method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + bytes.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        return read(false);
    }

    /** As {@link #get}, but a {@code Connection: close} answer is returned instead of failing. */
    Reply getAllowingClose(String path) throws IOException {
        return exchange(path, true);
    }

    private Reply exchange(String path, boolean closeAllowed) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return read(closeAllowed);
    }

    private Reply read(boolean closeAllowed) throws IOException {
        out.flush();
        String statusLine = line();
        if (statusLine == null) {
            throw new IOException("connection closed by server");
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        String h;
        while ((h = line()) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        if (!closeAllowed && "close".equalsIgnoreCase(headers.get("connection"))) {
            throw new IOException("server announced Connection: close");
        }
        byte[] body;
        if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            while (true) {
                int size = Integer.parseInt(line().split(";")[0].trim(), 16);
                if (size == 0) {
                    line();
                    break;
                }
                buf.write(in.readNBytes(size));
                line();
            }
            body = buf.toByteArray();
        } else {
            throw new IOException("response without length on a keep-alive connection");
        }
        return new Reply(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        return HttpLines.read(in);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
