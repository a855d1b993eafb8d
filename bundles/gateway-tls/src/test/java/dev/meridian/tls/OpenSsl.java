package dev.meridian.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the openssl command line in a directory, for tests that need real keys and certificates. */
public final class OpenSsl {

    private final Path dir;

    public OpenSsl(Path dir) {
        this.dir = dir;
    }

    public Path run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
        return dir;
    }

    /** A self-signed certificate {@code name.crt} + PKCS#8 key {@code name.key} for the given SAN DNS names. */
    public void selfSigned(String name, String keyAlgorithm, String cn, String... dnsNames) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("req", "-x509", "-newkey", keyAlgorithm, "-nodes", "-days", "2",
            "-subj", "/CN=" + cn, "-keyout", name + ".key", "-out", name + ".crt"));
        if (dnsNames.length > 0) {
            args.add("-addext");
            args.add("subjectAltName=DNS:" + String.join(",DNS:", dnsNames));
        }
        run(args.toArray(new String[0]));
    }

    public String read(String file) throws IOException {
        return Files.readString(dir.resolve(file));
    }
}
