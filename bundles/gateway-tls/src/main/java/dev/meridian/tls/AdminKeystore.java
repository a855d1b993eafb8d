package dev.meridian.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;

/**
 * Builds the admin port's PKCS12 keystore from {@code MERIDIAN_ADMIN_TLS_CERT} and
 * {@code MERIDIAN_ADMIN_TLS_KEY} (PEM files) before Karaf starts: pax-web (Jetty 9.4) reads a
 * keystore, not PEM, and reads it once when it starts, so it has to be there first. Run by
 * {@code bin/setenv} as {@code java -cp gateway-tls.jar dev.meridian.tls.AdminKeystore FILE}; writes
 * FILE readable by its owner only, with a fresh random password printed on standard output (for
 * setenv to hand to pax-web through the environment, never to a log). Exits 1 with the reason on
 * standard error when the pair is missing or does not parse, so the node does not start on
 * plain HTTP instead.
 */
public final class AdminKeystore {

    private AdminKeystore() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: AdminKeystore KEYSTORE_FILE");
            System.exit(2);
        }
        try {
            char[] password = write(Path.of(args[0]), System.getenv("MERIDIAN_ADMIN_TLS_CERT"),
                System.getenv("MERIDIAN_ADMIN_TLS_KEY"));
            System.out.println(new String(password));
        } catch (IllegalArgumentException | IOException | GeneralSecurityException e) {
            System.err.println("Meridian: admin TLS: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Writes the keystore of the PEM pair at {@code certFile} / {@code keyFile}; returns its password. */
    static char[] write(Path target, String certFile, String keyFile) throws IOException, GeneralSecurityException {
        if (certFile == null || certFile.isBlank() || keyFile == null || keyFile.isBlank()) {
            throw new IllegalArgumentException("MERIDIAN_ADMIN_TLS_CERT and MERIDIAN_ADMIN_TLS_KEY go together");
        }
        CertifiedKey pair;
        try {
            pair = CertifiedKey.of(Files.readString(Path.of(certFile)), Files.readString(Path.of(keyFile)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(certFile + " / " + keyFile + ": " + e.getMessage(), e);
        }
        char[] password = KeyStores.randomPassword();
        KeyStore store = KeyStores.keys(Map.of("admin", pair), password);
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(tmp);
        }
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            store.store(out, password);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return password;
    }
}
