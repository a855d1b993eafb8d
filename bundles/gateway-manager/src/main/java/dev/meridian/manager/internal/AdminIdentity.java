package dev.meridian.manager.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Settings;

/**
 * The one identity of CONTRACT §2: user {@code admin}, password from
 * {@code MERIDIAN_ADMIN_PASSWORD}, else generated at first start and printed once to the
 * console (stdout: {@code bin/karaf server}'s output, never {@code karaf.log}). Only its
 * SHA-256 is kept: in the data dir ({@code admin.password.sha256}) and in Karaf's
 * {@code etc/users.properties} as {@code {CRYPT}hex{CRYPT}}, which Karaf's properties login
 * module checks with {@code encryption.enabled = true} in {@code etc/org.apache.karaf.jaas.cfg}
 * (Karaf's "basic" encryption: an unsalted digest of the password in the JVM's default charset,
 * as it computes it). The admin API, the web console and ssh all accept it.
 */
final class AdminIdentity {

    private static final Logger LOG = LoggerFactory.getLogger(AdminIdentity.class);
    static final String GROUP_LINE = "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh";

    private AdminIdentity() {
    }

    /** What the console shows once; the e2e harness reads the password back from this line. */
    static final String PRINTED = "Meridian admin password (generated, printed once): ";
    static final String CRYPT = "{CRYPT}";

    static void ensure(Path dataDir) throws IOException {
        String configured = Settings.string("MERIDIAN_ADMIN_PASSWORD", null);
        String hashed;
        if (configured != null) {
            hashed = crypt(configured);
        } else {
            Path stored = dataDir.resolve("admin.password.sha256");
            Path plain = dataDir.resolve("admin.password"); // written in clear by releases before this one
            if (Files.exists(stored)) {
                hashed = Files.readString(stored, StandardCharsets.UTF_8).trim();
            } else {
                String password;
                boolean generated = !Files.exists(plain);
                if (generated) {
                    byte[] random = new byte[18];
                    new SecureRandom().nextBytes(random);
                    password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                } else {
                    password = Files.readString(plain, StandardCharsets.UTF_8).trim();
                }
                hashed = crypt(password);
                Files.createDirectories(dataDir);
                Path tmp = dataDir.resolve("admin.password.sha256.tmp");
                Files.writeString(tmp, hashed + "\n", StandardCharsets.UTF_8);
                restrict(tmp);
                Files.move(tmp, stored, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                Files.deleteIfExists(plain);
                if (generated) {
                    // stdout only: karaf.log is read by more people and shipped to more places than the console
                    System.out.println(PRINTED + password);
                    LOG.info("generated the admin password and printed it once to the console; only its SHA-256 is stored ({})", stored);
                } else {
                    LOG.info("the stored admin password is now kept as its SHA-256 only ({})", stored);
                }
            }
        }
        Path etc = Paths.get(System.getProperty("karaf.etc", "etc"));
        repairJaasConfig(etc.resolve("org.apache.karaf.jaas.cfg"));
        Path users = etc.resolve("users.properties");
        // Karaf reads users.properties as ISO-8859-1 (java.util.Properties rules)
        List<String> lines = Files.exists(users) ? Files.readAllLines(users, StandardCharsets.ISO_8859_1) : List.of();
        String adminLine = "admin = " + hashed + ",_g_:admingroup";
        List<String> out = new ArrayList<>();
        boolean hasGroup = false;
        for (String line : lines) {
            String t = line.trim();
            if (t.startsWith("admin ") || t.startsWith("admin=")) {
                continue;
            }
            if (t.startsWith("_g_\\:admingroup")) {
                hasGroup = true;
            }
            out.add(line);
        }
        if (!hasGroup) {
            out.add(GROUP_LINE);
        }
        out.add(adminLine);
        if (!out.equals(lines)) {
            Path tmp = users.resolveSibling("users.properties.tmp");
            Files.write(tmp, out, StandardCharsets.ISO_8859_1);
            restrict(tmp);
            Files.move(tmp, users, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** What {@code etc/org.apache.karaf.jaas.cfg} must say for the stored hash to be checked (the distribution's file says it). */
    static final Map<String, String> JAAS = jaas();

    private static Map<String, String> jaas() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("encryption.enabled", "true");
        m.put("encryption.name", "basic");
        m.put("encryption.prefix", CRYPT);
        m.put("encryption.suffix", CRYPT);
        m.put("encryption.algorithm", "SHA-256");
        m.put("encryption.encoding", "hexadecimal");
        m.put("audit.eventadmin.enabled", "false");
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * Puts back what {@code file} lacks of {@link #JAAS}. Karaf 4.4.10 can tear a {@code .cfg} file
     * on a node's first start (apache/karaf#2805, fixed in 4.4.11, not served here): its feature
     * installer and its config persistence write the same file at once. CI found this file reduced
     * to its licence header, so the realm checked the admin password without encryption and refused
     * it for good. Written whole through a temporary file and a rename; Karaf's file watcher then
     * updates the realm. Returns whether it had to.
     */
    static boolean repairJaasConfig(Path file) throws IOException {
        List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.ISO_8859_1) : List.of();
        Map<String, String> found = new LinkedHashMap<>();
        for (String line : lines) {
            String t = line.trim();
            int eq = t.indexOf('=');
            if (!t.startsWith("#") && eq > 0) {
                found.put(t.substring(0, eq).trim(), t.substring(eq + 1).trim());
            }
        }
        Map<String, String> missing = new LinkedHashMap<>();
        JAAS.forEach((k, v) -> {
            if (!v.equals(found.get(k))) {
                missing.put(k, v);
            }
        });
        if (missing.isEmpty()) {
            return false;
        }
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String t = line.trim();
            int eq = t.indexOf('=');
            if (!t.startsWith("#") && eq > 0 && missing.containsKey(t.substring(0, eq).trim())) {
                continue; // a wrong value: replaced below
            }
            out.add(line);
        }
        out.add("# put back by Meridian at start (the file was torn or changed; apache/karaf#2805)");
        missing.forEach((k, v) -> out.add(k + " = " + v));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, out, StandardCharsets.ISO_8859_1);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        LOG.warn("{} lacked {} (torn at first start by Karaf 4.4.10, apache/karaf#2805, or edited): put back, the realm"
            + " reloads it", file, missing.keySet());
        return true;
    }

    /**
     * The password as Karaf's basic encryption stores it: {@code {CRYPT}} + hex SHA-256 of its
     * bytes in the default charset (Karaf's {@code BasicEncryption} uses {@code String.getBytes()}:
     * both run in this JVM, so they agree whatever the locale) + {@code {CRYPT}}.
     */
    static String crypt(String password) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(password.getBytes(java.nio.charset.Charset.defaultCharset()));
            return CRYPT + java.util.HexFormat.of().formatHex(digest) + CRYPT;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void restrict(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot restrict permissions of {}", file, e);
        }
    }
}
