package dev.meridian.itests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import dev.meridian.tls.OpenSsl;

/**
 * A private certificate authority made by the test with {@code openssl} in a directory of its
 * own (nothing committed, nothing reused across runs): {@code ca.crt}, and leaf certificates it
 * issues on demand as {@code <name>.crt} + {@code <name>.key} (PKCS#8).
 */
final class TestPki {

    final Path dir;
    private final OpenSsl ssl;

    private TestPki(Path dir) {
        this.dir = dir;
        this.ssl = new OpenSsl(dir);
    }

    /** A fresh CA in {@code dir} (emptied first). */
    static TestPki create(Path dir) {
        return unchecked(() -> {
            if (Files.exists(dir)) {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(dir);
            TestPki pki = new TestPki(dir);
            pki.ssl.run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Meridian Test CA",
                "-keyout", "ca.key", "-out", "ca.crt", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            return pki;
        });
    }

    /** Copies {@code name.crt} and {@code name.key} into {@code target} (a traffic port's TLS directory). */
    void install(String name, Path target) {
        unchecked(() -> {
            Files.createDirectories(target);
            Files.copy(cert(name), target.resolve(name + ".crt"), StandardCopyOption.REPLACE_EXISTING);
            return Files.copy(key(name), target.resolve(name + ".key"), StandardCopyOption.REPLACE_EXISTING);
        });
    }

    private interface Io<T> {
        T run() throws IOException, InterruptedException;
    }

    private static <T> T unchecked(Io<T> io) {
        try {
            return io.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Path ca() {
        return dir.resolve("ca.crt");
    }

    /**
     * Issues {@code name.crt}/{@code name.key} for {@code subject} (e.g. {@code /CN=a.test/O=gen1})
     * with the given subjectAltName (e.g. {@code DNS:a.test,IP:127.0.0.1}); signed by this CA
     * unless {@code selfSigned}.
     */
    Path issue(String name, String subject, String san, boolean selfSigned) {
        return unchecked(() -> issueChecked(name, subject, san, selfSigned, "rsa:2048"));
    }

    /** As {@link #issue} with an EC P-256 key ({@code "ec"}) or an Ed25519 key ({@code "ed25519"}), signed by this (RSA) CA. */
    Path issue(String name, String subject, String san, String keyType) {
        return unchecked(() -> issueChecked(name, subject, san, false, keyType));
    }

    private Path issueChecked(String name, String subject, String san, boolean selfSigned, String keyType)
        throws IOException, InterruptedException {
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, "subjectAltName=" + san + "\nbasicConstraints=CA:FALSE\n"
            + "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n");
        if (selfSigned) {
            ssl.run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject,
                "-keyout", name + ".key", "-out", name + ".crt", "-addext", "subjectAltName=" + san);
        } else {
            if (keyType.equals("ec")) {
                ssl.run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                    "-keyout", name + ".key", "-out", name + ".csr");
            } else {
                ssl.run("req", "-newkey", keyType, "-nodes", "-subj", subject, "-keyout", name + ".key", "-out", name + ".csr");
            }
            ssl.run("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".crt");
            Files.delete(dir.resolve(name + ".csr"));
        }
        Files.delete(ext);
        return dir.resolve(name + ".crt");
    }

    Path key(String name) {
        return dir.resolve(name + ".key");
    }

    Path cert(String name) {
        return dir.resolve(name + ".crt");
    }
}
