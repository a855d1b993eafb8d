package dev.meridian.itests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.awaitility.Awaitility;

/**
 * One Meridian node run from the shipped distribution as a separate process ({@code bin/karaf
 * server}), configured only by {@code MERIDIAN_*} environment variables, with an admin client
 * (HTTP Basic as {@code admin}, ssh shell) and the operations the tests do to a process:
 * freeze (SIGSTOP), thaw, kill (SIGKILL), terminate (SIGTERM), restart. Created and always
 * closed by {@link MeridianCluster}: {@link #close()} thaws a frozen node, sends SIGTERM, then
 * SIGKILL after a bound.
 */
final class MeridianNode implements AutoCloseable {

    private static final Pattern LISTED = Pattern.compile("\"name\":\"([^\"]+)\"[^}]*?\"state\":\"([a-z]+)\"");

    final String name;
    final Path home;
    final int httpPort;
    final int adminPort;
    final int sshPort;
    private final String givenPassword;
    private final Map<String, String> env;
    /** Over HTTPS, trusting the node's admin certificate, when the node has MERIDIAN_ADMIN_TLS_CERT. */
    private final HttpClient http;
    private final String adminScheme;
    private volatile String generatedPassword;
    private volatile Process process;
    private volatile boolean frozen;

    /**
     * Unpacks the distribution into {@code workDir/<spec.dir>} (replacing what was there).
     *
     * @param password the admin password, or null to let the node generate one and read it back
     * @param env     the node's environment over the defaults of {@link #start()}
     */
    MeridianNode(NodeSpec spec, Path workDir, String password, Map<String, String> env) throws IOException, InterruptedException {
        this.name = spec.name();
        this.httpPort = spec.httpPort();
        this.adminPort = spec.adminPort();
        this.sshPort = spec.sshPort();
        this.givenPassword = password;
        this.env = Map.copyOf(env);
        String adminCert = env.get("MERIDIAN_ADMIN_TLS_CERT");
        this.adminScheme = adminCert == null ? "http" : "https";
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (adminCert != null) {
            client.sslContext(trusting(Paths.get(adminCert)));
        }
        this.http = client.build();
        Path dist = Paths.get(System.getProperty("meridian.distribution"));
        Path dir = workDir.resolve(spec.dir());
        if (Files.exists(dir)) {
            run(new ProcessBuilder("rm", "-rf", dir.toString()));
        }
        Files.createDirectories(dir);
        run(new ProcessBuilder("tar", "xzf", dist.toAbsolutePath().toString(), "-C", dir.toString(), "--strip-components=1"));
        this.home = dir;
    }

    /** A TLS context that trusts the certificates of a PEM file (the admin port's own, for the admin client). */
    static javax.net.ssl.SSLContext trusting(Path pem) throws IOException {
        try {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificates(Files.newInputStream(pem))) {
                trust.setCertificateEntry("c" + i++, c);
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot trust " + pem, e);
        }
    }

    private static void run(ProcessBuilder pb) throws IOException, InterruptedException {
        Process p = pb.inheritIO().start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("command failed: " + pb.command());
        }
    }

    /**
     * Starts {@code bin/karaf server} with its ports, name, a 512 MiB heap, no drain delay and a
     * Hazelcast cluster of its own, unless its environment says otherwise; the same environment
     * every time it is started.
     */
    MeridianNode start() throws IOException {
        if (process != null) {
            throw new IllegalStateException("node " + name + " is already started");
        }
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server");
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("MERIDIAN_"));
        e.put("MERIDIAN_HTTP_PORT", Integer.toString(httpPort));
        e.put("MERIDIAN_ADMIN_PORT", Integer.toString(adminPort));
        e.put("MERIDIAN_SSH_PORT", Integer.toString(sshPort));
        if (givenPassword != null) {
            e.put("MERIDIAN_ADMIN_PASSWORD", givenPassword);
        }
        e.put("MERIDIAN_NODE_NAME", name);
        e.put("MERIDIAN_HEAP", "512m");
        e.put("MERIDIAN_DRAIN_DELAY", "0s");
        // Boot cost, not behaviour: three nodes booting at once on two cores spent 60 s of CPU and
        // were ready after 36 s; without the proxy warm-up and with C1 only, 32 s of CPU and 22 s
        // (2026-12-03). Every class boots nodes, most of them three. A class that tests the
        // warm-up or needs C2's speed under load sets either back in its env.
        e.put("MERIDIAN_PROXY_WARMUP", "off");
        e.put("EXTRA_JAVA_OPTS", "-XX:TieredStopAtLevel=1");
        int clusterPort = httpPort - 21000;
        e.put("MERIDIAN_CLUSTER_NAME", "test-" + name);
        e.put("MERIDIAN_CLUSTER_PORT", Integer.toString(clusterPort));
        e.put("MERIDIAN_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort);
        e.putAll(env);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("console.log").toFile()));
        process = pb.start();
        return this;
    }

    /** Waits until {@code /ready} answers 200 (failing at once if the process exited), then for the admin password. */
    MeridianNode awaitReady(Duration timeout) {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("node " + name + " is not started");
        }
        Awaitility.await("node " + name + " ready").atMost(timeout).pollInterval(Duration.ofMillis(250))
            .ignoreExceptions()
            .until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("node " + name + " exited; see " + home.resolve("console.log"));
                }
                return get(adminUrl("/ready"), false).statusCode() == 200;
            });
        password();
        return this;
    }

    /** Stops the node gracefully and starts it again on the same directory, environment and ports. */
    MeridianNode restart(Duration readyTimeout) throws IOException {
        close();
        return start().awaitReady(readyTimeout);
    }

    /**
     * The password of {@code admin}: the one given, or the one the node generated at its first
     * start and printed once to its console ({@code console.log}: the node stores only its hash).
     */
    String password() {
        if (givenPassword != null) {
            return givenPassword;
        }
        String known = generatedPassword;
        if (known == null) {
            Path file = home.resolve("console.log");
            String[] found = new String[1];
            Awaitility.await("generated admin password of " + name + " in its console.log").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).until(() -> (found[0] = printedPassword(file)) != null);
            known = found[0];
            generatedPassword = known;
        }
        return known;
    }

    String trafficUrl(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    String adminUrl(String path) {
        return adminScheme + "://127.0.0.1:" + adminPort + path;
    }

    HttpResponse<String> get(String url, boolean auth) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15));
        if (auth) {
            b.header("Authorization", basic());
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A call to the admin API as {@code admin}. */
    HttpResponse<String> send(String method, String path, String contentType, String body) throws IOException, InterruptedException {
        return sendAs(basic(), method, path, contentType, body);
    }

    /** A call to the admin API with {@code authorization} as its header (null: none), e.g. a token's {@code Bearer}. */
    HttpResponse<String> sendAs(String authorization, String method, String path, String contentType, String body)
        throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(adminUrl(path))).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Node name → state as this node's {@code GET /api/v1/cluster} lists them. */
    Map<String, String> clusterStates() throws IOException, InterruptedException {
        HttpResponse<String> r = get(adminUrl("/api/v1/cluster"), true);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /api/v1/cluster on " + name + ": " + r.statusCode() + " " + r.body());
        }
        Map<String, String> out = new TreeMap<>();
        Matcher m = LISTED.matcher(r.body());
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    /** The password a node printed at its first start, or null while it has not. */
    static String printedPassword(Path consoleLog) throws IOException {
        if (!Files.isRegularFile(consoleLog)) {
            return null;
        }
        String prefix = "Meridian admin password (generated, printed once): ";
        for (String line : Files.readAllLines(consoleLog, StandardCharsets.UTF_8)) {
            int at = line.indexOf(prefix);
            if (at >= 0) {
                return line.substring(at + prefix.length()).trim();
            }
        }
        return null;
    }

    /** Runs one Karaf shell command over ssh as admin and returns its output. */
    String shell(String command) throws IOException {
        return shellAs("admin", password(), command);
    }

    /** Runs one Karaf shell command over ssh as {@code user} (a token's name, with the token as password). */
    String shellAs(String user, String secret, String command) throws IOException {
        return overSsh(user, secret, session -> session.executeRemoteCommand(command));
    }

    /**
     * Runs one Karaf shell command over ssh as {@code user} with {@code input} on its standard input
     * (then EOF), as {@code ssh node 'gateway:apply --input' < file} does; returns what it printed.
     */
    String shellAs(String user, String secret, String command, byte[] input) throws IOException {
        return overSsh(user, secret, session -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ChannelExec exec = session.createExecChannel(command)) {
                exec.setIn(new ByteArrayInputStream(input));
                exec.setOut(out);
                exec.setErr(out);
                exec.open().verify(15, TimeUnit.SECONDS);
                exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(60));
            }
            return out.toString(StandardCharsets.UTF_8);
        });
    }

    /** What one authenticated ssh session does. */
    private interface SshWork {
        String run(ClientSession session) throws IOException;
    }

    private String overSsh(String user, String secret, SshWork work) throws IOException {
        try (SshClient client = SshClient.setUpDefaultClient()) {
            client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
            client.start();
            try (ClientSession session = client.connect(user, "127.0.0.1", sshPort).verify(15, TimeUnit.SECONDS).getSession()) {
                session.addPasswordIdentity(secret);
                session.auth().verify(15, TimeUnit.SECONDS);
                return work.run(session);
            }
        }
    }

    private String basic() {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + password()).getBytes(StandardCharsets.UTF_8));
    }

    /** The launcher process ({@code bin/karaf}); it exits when the JVM does. */
    Process process() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("node " + name + " is not started");
        }
        return p;
    }

    /** The node's JVM (a child of the launcher script). */
    ProcessHandle jvm() {
        return process().descendants().filter(p -> p.info().command().orElse("").endsWith("java")).findFirst()
            .orElseThrow(() -> new IllegalStateException("node " + name + " has no JVM"));
    }

    /**
     * The node JVM's threads ({@code jcmd <pid> Thread.print}), written to {@code thread-dump-<ms>.txt}
     * in the node's directory: for a test that sees the node stop answering (its failure names the file).
     * Returns the file, or null when no dump could be taken.
     */
    Path threadDump() {
        try {
            Path file = home.resolve("thread-dump-" + System.currentTimeMillis() + ".txt");
            Process jcmd = new ProcessBuilder("jcmd", Long.toString(jvm().pid()), "Thread.print", "-l")
                .redirectErrorStream(true).redirectOutput(file.toFile()).start();
            if (!jcmd.waitFor(20, TimeUnit.SECONDS)) {
                jcmd.destroyForcibly();
                return null;
            }
            return file;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** SIGSTOP: the JVM stops answering anything (heartbeats included) until {@link #thaw()}. */
    void freeze() throws IOException, InterruptedException {
        signal("STOP");
        frozen = true;
    }

    /** SIGCONT after {@link #freeze()}. */
    void thaw() throws IOException, InterruptedException {
        signal("CONT");
        frozen = false;
    }

    /** SIGKILL of the JVM (no drain, no leave), waiting until it is gone. */
    void kill() throws InterruptedException, ExecutionException, TimeoutException {
        ProcessHandle jvm = jvm();
        jvm.destroyForcibly();
        jvm.onExit().get(30, TimeUnit.SECONDS);
    }

    /** SIGTERM of the JVM (the drain), without waiting: the caller watches the returned JVM exit. */
    ProcessHandle terminate() {
        ProcessHandle jvm = jvm();
        jvm.destroy();
        return jvm;
    }

    private void signal(String sig) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(jvm().pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + sig + " of " + name + " failed");
        }
    }

    /** The last {@code lines} lines of {@code data/log/karaf.log}, or of the console output when there is none. */
    String logTail(int lines) {
        Path log = home.resolve("data/log/karaf.log");
        Path file = Files.exists(log) ? log : home.resolve("console.log");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long from = Math.max(0, f.length() - 256 * 1024);
            byte[] bytes = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(bytes);
            List<String> all = List.of(new String(bytes, StandardCharsets.UTF_8).split("\n"));
            return file.getFileName() + ":\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log in " + home + ": " + e + ")";
        }
    }

    /** Thaws a frozen node, sends SIGTERM (graceful drain) to the JVM and its launcher, then SIGKILL to what has not exited within 60 s. */
    @Override
    public void close() {
        Process p = process;
        if (p == null) {
            return;
        }
        if (frozen) {
            try {
                thaw();
            } catch (IOException | RuntimeException e) {
                System.err.println("node " + name + ": SIGCONT before stopping failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
        all.add(p.toHandle());
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (ProcessHandle h : all) {
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                h.destroyForcibly();
            }
        }
        all.forEach(h -> {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        });
        process = null;
    }

    boolean isStarted() {
        return process != null;
    }

    @Override
    public String toString() {
        return "node " + name + " (" + home + ")";
    }
}
