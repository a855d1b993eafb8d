package dev.meridian.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import com.sun.net.httpserver.HttpServer;

import dev.meridian.core.GatewayEngine;

/**
 * Boots the shipped assembly (Jetty 12 + Camel embedded in the engine bundle, next to pax-web's
 * Jetty 9.4) and proves apply + proxy + revision header over real sockets.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DistributionIT {

    private static final int HTTP_PORT = 18080;
    private static final int ADMIN_PORT = 18181;
    private static final String PASSWORD = "it-secret";

    @Inject
    private GatewayEngine engine;

    @Configuration
    public Option[] config() {
        String repo = System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository");
        String dist = new File(System.getProperty("meridian.distribution", "target/dependency/meridian.tar.gz")).toURI().toString();
        return options(
            karafDistributionConfiguration().frameworkUrl(dist).name("meridian").karafVersion("4.4.10")
                .unpackDirectory(new File("target/exam")).useDeployFolder(false),
            configureConsole().ignoreLocalConsole().ignoreRemoteShell(),
            logLevel(LogLevel.WARN),
            editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.repositories", ""),
            editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", repo),
            editConfigurationFilePut("etc/system.properties", "meridian.http.port", Integer.toString(HTTP_PORT)),
            editConfigurationFilePut("etc/system.properties", "meridian.http.host", "127.0.0.1"),
            editConfigurationFilePut("etc/system.properties", "meridian.admin.port", Integer.toString(ADMIN_PORT)),
            editConfigurationFilePut("etc/system.properties", "meridian.ssh.port", "18101"),
            editConfigurationFilePut("etc/system.properties", "meridian.admin.password", PASSWORD),
            editConfigurationFilePut("etc/system.properties", "meridian.drain.delay", "0s"),
            CoreOptions.vmOptions(
                "--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-4.4.10.jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-4.4.10.jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED", "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "-Xmx512m"));
    }

    @Test
    public void should_proxy_through_an_applied_definition_with_revision_and_request_id() throws Exception {
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", ex -> {
            byte[] body = ("seen " + ex.getRequestURI() + " env=" + ex.getRequestHeaders().getFirst("X-Env")
                + " xff=" + ex.getRequestHeaders().getFirst("X-Forwarded-For")).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        upstream.start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            waitUntil(() -> get(http, "http://127.0.0.1:" + ADMIN_PORT + "/ready", false).statusCode() == 200);
            waitUntil(() -> get(http, "http://127.0.0.1:" + HTTP_PORT + "/", false).statusCode() == 404);

            String yaml = String.join("\n",
                "id: demo",
                "basePath: /demo",
                "upstream:",
                "  url: http://127.0.0.1:" + upstream.getAddress().getPort() + "/base",
                "policies:",
                "  - type: set-headers",
                "    request: { set: { X-Env: it } }",
                "    response: { set: { X-Frame-Options: DENY } }",
                "");
            HttpResponse<String> applied = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ADMIN_PORT + "/api/v1/apis/demo"))
                .header("Authorization", basic(PASSWORD)).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString(yaml)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(applied.body(), 200, applied.statusCode());
            assertTrue(applied.body(), applied.body().contains("\"revision\":1"));
            assertEquals(1, engine.current().revision());

            HttpResponse<String> proxied = get(http, "http://127.0.0.1:" + HTTP_PORT + "/demo/hello?x=1", false);
            assertEquals(proxied.body(), 200, proxied.statusCode());
            assertTrue(proxied.body(), proxied.body().startsWith("seen /base/hello?x=1 env=it xff=127.0.0.1"));
            assertEquals("1", proxied.headers().firstValue("X-Meridian-Revision").orElse(null));
            assertEquals("DENY", proxied.headers().firstValue("X-Frame-Options").orElse(null));
            assertNotNull(proxied.headers().firstValue("X-Request-Id").orElse(null));

            HttpResponse<String> missing = get(http, "http://127.0.0.1:" + HTTP_PORT + "/nowhere", false);
            assertEquals(404, missing.statusCode());
            assertEquals("1", missing.headers().firstValue("X-Meridian-Revision").orElse(null));
            assertTrue(missing.body(), missing.body().startsWith("{\"error\":"));

            assertEquals(401, get(http, "http://127.0.0.1:" + ADMIN_PORT + "/api/v1/apis", false).statusCode());
            HttpResponse<String> list = get(http, "http://127.0.0.1:" + ADMIN_PORT + "/api/v1/apis", true);
            assertEquals(200, list.statusCode());
            assertTrue(list.body(), list.body().contains("\"id\":\"demo\""));
        } finally {
            upstream.stop(0);
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url, boolean auth) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (auth) {
            b.header("Authorization", basic(PASSWORD));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String password) {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Polls inside the container (Awaitility is not deployed there), bounded to 60 s. */
    private static void waitUntil(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.call()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new AssertionError("condition not met within 60 s", last);
    }
}
