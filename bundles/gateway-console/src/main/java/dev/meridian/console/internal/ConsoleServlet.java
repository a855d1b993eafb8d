package dev.meridian.console.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /console/*} on the admin port (CONTRACT §10): the bundle's {@code console/} files and
 * nothing else, {@code index.html} for {@code /console/} and app routes, every answer (404s and
 * redirects included) with the strict Content-Security-Policy and its companions. The files are
 * public; the data they show comes from {@code /api/v1} with the user's credentials.
 */
@Component(service = Servlet.class, property = {
    "osgi.http.whiteboard.servlet.pattern=/console/*",
    "osgi.http.whiteboard.servlet.name=meridian-console"})
public final class ConsoleServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServlet.class);
    /** Where the files sit in the bundle. */
    private static final String ROOT = "/console/";

    /** No inline script or style anywhere; uPlot's and Preact's styles go through the CSSOM, which CSP allows. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    static final Map<String, String> HEADERS = headers();

    private transient volatile ConsoleFiles files = ConsoleFiles.of(Map.of());

    public ConsoleServlet() {
    }

    ConsoleServlet(ConsoleFiles files) {
        this.files = files;
    }

    @Activate
    void activate(BundleContext context) throws IOException {
        files = ConsoleFiles.of(read(context.getBundle()));
        LOG.info("console: {} files at /console/", files.size());
    }

    private static Map<String, byte[]> read(Bundle bundle) throws IOException {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        Enumeration<URL> entries = bundle.findEntries(ROOT, "*", true);
        while (entries != null && entries.hasMoreElements()) {
            URL url = entries.nextElement();
            String path = url.getPath();
            if (path.endsWith("/") || !path.startsWith(ROOT)) {
                continue;
            }
            String name = path.substring(ROOT.length());
            try (InputStream in = url.openStream()) {
                contents.put(name, in.readAllBytes());
            }
        }
        return contents;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        HEADERS.forEach(resp::setHeader);
        String method = req.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            resp.setHeader("Allow", "GET, HEAD");
            text(resp, 405, "method not allowed", true);
            return;
        }
        // the raw path, still percent-encoded: what decides is exactly what the client sent
        String prefix = req.getContextPath() + "/console";
        String uri = req.getRequestURI();
        if (uri == null || !uri.startsWith(prefix)) {
            text(resp, 404, "not found", method.equals("GET"));
            return;
        }
        String rest = uri.substring(prefix.length());
        if (rest.isEmpty()) {
            resp.setStatus(302);
            resp.setHeader("Location", prefix + "/");
            return;
        }
        Optional<ConsoleFiles.File> found = files.resolve(rest);
        if (found.isEmpty()) {
            text(resp, 404, "not found", method.equals("GET"));
            return;
        }
        ConsoleFiles.File file = found.get();
        resp.setHeader("ETag", file.etag());
        String match = req.getHeader("If-None-Match");
        if (match != null && (match.equals(file.etag()) || match.equals("W/" + file.etag()))) {
            resp.setStatus(304);
            return;
        }
        resp.setStatus(200);
        resp.setContentType(file.contentType());
        resp.setContentLength(file.bytes().length);
        if (method.equals("GET")) {
            resp.getOutputStream().write(file.bytes());
        }
    }

    private static void text(HttpServletResponse resp, int status, String message, boolean body) throws IOException {
        byte[] bytes = (message + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("text/plain; charset=utf-8");
        resp.setContentLength(bytes.length);
        if (body) {
            resp.getOutputStream().write(bytes);
        }
    }

    private static Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Security-Policy", CSP);
        h.put("X-Content-Type-Options", "nosniff");
        h.put("Referrer-Policy", "no-referrer");
        h.put("Cache-Control", "no-cache");
        h.put("X-Frame-Options", "DENY");
        return Map.copyOf(h);
    }
}
