package dev.meridian.console.internal;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import javax.servlet.ServletOutputStream;
import javax.servlet.WriteListener;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/** One request through a servlet, with the answer recorded: the few servlet methods the console uses. */
final class FakeHttp {

    int status = 200;
    final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    final ByteArrayOutputStream body = new ByteArrayOutputStream();

    static FakeHttp get(HttpServlet servlet, String uri) throws Exception {
        return call(servlet, "GET", uri, Map.of());
    }

    static FakeHttp call(HttpServlet servlet, String method, String uri, Map<String, String> requestHeaders)
        throws Exception {
        FakeHttp f = new FakeHttp();
        HttpServletRequest req = (HttpServletRequest) Proxy.newProxyInstance(FakeHttp.class.getClassLoader(),
            new Class<?>[] {HttpServletRequest.class}, (p, m, args) -> switch (m.getName()) {
                case "getMethod" -> method;
                case "getRequestURI" -> uri;
                case "getContextPath" -> "";
                case "getHeader" -> requestHeaders.get((String) args[0]);
                default -> throw new UnsupportedOperationException(m.getName());
            });
        ServletOutputStream out = new ServletOutputStream() {
            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {
            }

            @Override
            public void write(int b) {
                f.body.write(b);
            }
        };
        PrintWriter writer = new PrintWriter(f.body, true, StandardCharsets.UTF_8);
        HttpServletResponse resp = (HttpServletResponse) Proxy.newProxyInstance(FakeHttp.class.getClassLoader(),
            new Class<?>[] {HttpServletResponse.class}, (p, m, args) -> {
                switch (m.getName()) {
                    case "setStatus" -> f.status = (Integer) args[0];
                    case "setHeader" -> f.headers.put((String) args[0], (String) args[1]);
                    case "setContentType" -> f.headers.put("Content-Type", (String) args[0]);
                    case "setContentLength" -> f.headers.put("Content-Length", args[0].toString());
                    case "getOutputStream" -> {
                        return out;
                    }
                    case "getWriter" -> {
                        return writer;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                }
                return null;
            });
        servlet.service(req, resp);
        writer.flush();
        return f;
    }

    String text() {
        return body.toString(StandardCharsets.UTF_8);
    }
}
