package dev.meridian.itests;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Base64;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.awaitility.Awaitility;

/**
 * One Meridian node run from the shipped distribution as a separate process ({@code bin/karaf
 * server}), configured only by {@code MERIDIAN_*} environment variables. Always {@link #close()}
 * it: SIGTERM, then SIGKILL after a bound.
 */
final class MeridianNode implements AutoCloseable {

    final String name;
    final Path home;
    final int httpPort;
    final int adminPort;
    final int sshPort;
    final String password;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;

    MeridianNode(String name, Path workDir, int httpPort, int adminPort, int sshPort, String password) throws IOException, InterruptedException {
        this.name = name;
        this.httpPort = httpPort;
        this.adminPort = adminPort;
        this.sshPort = sshPort;
        this.password = password;
        Path dist = Paths.get(System.getProperty("meridian.distribution"));
        Path dir = workDir.resolve(name);
        if (Files.exists(dir)) {
            run(new ProcessBuilder("rm", "-rf", dir.toString()));
        }
        Files.createDirectories(dir);
        run(new ProcessBuilder("tar", "xzf", dist.toAbsolutePath().toString(), "-C", dir.toString(), "--strip-components=1"));
        this.home = dir;
    }

    private static void run(ProcessBuilder pb) throws IOException, InterruptedException {
        Process p = pb.inheritIO().start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("command failed: " + pb.command());
        }
    }

    MeridianNode start(Map<String, String> extraEnv) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server");
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("MERIDIAN_"));
        env.put("MERIDIAN_HTTP_PORT", Integer.toString(httpPort));
        env.put("MERIDIAN_ADMIN_PORT", Integer.toString(adminPort));
        env.put("MERIDIAN_SSH_PORT", Integer.toString(sshPort));
        env.put("MERIDIAN_ADMIN_PASSWORD", password);
        env.put("MERIDIAN_NODE_NAME", name);
        env.put("MERIDIAN_HEAP", "512m");
        env.put("MERIDIAN_DRAIN_DELAY", "0s");
        // a cluster of its own unless the test says otherwise: test classes never merge
        int clusterPort = httpPort - 21000;
        env.put("MERIDIAN_CLUSTER_NAME", "test-" + name);
        env.put("MERIDIAN_CLUSTER_PORT", Integer.toString(clusterPort));
        env.put("MERIDIAN_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort);
        env.putAll(extraEnv);
        pb.redirectErrorStream(true).redirectOutput(home.resolve("console.log").toFile());
        process = pb.start();
        return this;
    }

    MeridianNode start() throws IOException {
        return start(new HashMap<>());
    }

    void awaitReady(Duration timeout) {
        Awaitility.await("node " + name + " ready").atMost(timeout).pollInterval(Duration.ofMillis(250))
            .ignoreExceptions()
            .until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("node " + name + " exited; see " + home.resolve("console.log"));
                }
                return get(adminUrl("/ready"), false).statusCode() == 200;
            });
    }

    String trafficUrl(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    String adminUrl(String path) {
        return "http://127.0.0.1:" + adminPort + path;
    }

    HttpResponse<String> get(String url, boolean auth) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15));
        if (auth) {
            b.header("Authorization", basic());
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(String method, String path, String contentType, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(adminUrl(path))).timeout(Duration.ofSeconds(30))
            .header("Authorization", basic());
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Runs one Karaf shell command over ssh as admin and returns its output. */
    String shell(String command) throws IOException {
        try (SshClient client = SshClient.setUpDefaultClient()) {
            client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
            client.start();
            try (ClientSession session = client.connect("admin", "127.0.0.1", sshPort).verify(15, TimeUnit.SECONDS).getSession()) {
                session.addPasswordIdentity(password);
                session.auth().verify(15, TimeUnit.SECONDS);
                return session.executeRemoteCommand(command);
            }
        }
    }

    private String basic() {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    }

    Process process() {
        return process;
    }

    /** The node's JVM (a child of the launcher script). */
    ProcessHandle jvm() {
        return process.descendants().filter(p -> p.info().command().orElse("").endsWith("java")).findFirst().orElseThrow();
    }

    /** Sends {@code kill -SIG} to the node's JVM ({@code STOP}, {@code CONT}, ...). */
    void signal(String sig) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(jvm().pid())).inheritIO().start();
        if (!kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + sig + " of " + name + " failed");
        }
    }

    String consoleLog() {
        try {
            return Files.readString(home.resolve("console.log"));
        } catch (IOException e) {
            return "(no console log: " + e + ")";
        }
    }

    /** SIGTERM (graceful drain) to the JVM and its launcher, then SIGKILL if they have not exited within 60 s. */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (ProcessHandle p : all) {
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                p.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                p.destroyForcibly();
            }
        }
        all.forEach(p -> {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        });
        process = null;
    }
}
