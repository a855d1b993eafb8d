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
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Settings;

/**
 * The one identity of CONTRACT §2: user {@code admin}, password from
 * {@code MERIDIAN_ADMIN_PASSWORD}, else generated at first start, stored under the data dir
 * and printed once. Written into Karaf's {@code etc/users.properties} so the admin API, the web
 * console and ssh all accept it.
 */
final class AdminIdentity {

    private static final Logger LOG = LoggerFactory.getLogger(AdminIdentity.class);
    static final String GROUP_LINE = "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh";

    private AdminIdentity() {
    }

    static void ensure(Path dataDir) throws IOException {
        String password = Settings.string("MERIDIAN_ADMIN_PASSWORD", null);
        if (password == null) {
            Path stored = dataDir.resolve("admin.password");
            if (Files.exists(stored)) {
                password = Files.readString(stored, StandardCharsets.UTF_8).trim();
            } else {
                byte[] random = new byte[18];
                new SecureRandom().nextBytes(random);
                password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                Files.createDirectories(dataDir);
                Files.writeString(stored, password + "\n", StandardCharsets.UTF_8);
                restrict(stored);
                LOG.warn("Generated the admin password (printed once, stored in {}): {}", stored, password);
                System.out.println("Meridian admin password (generated, printed once): " + password);
            }
        }
        if (password.indexOf(',') >= 0) {
            throw new IllegalArgumentException("MERIDIAN_ADMIN_PASSWORD must not contain a comma (Karaf's user store splits on it)");
        }
        Path users = Paths.get(System.getProperty("karaf.etc", "etc"), "users.properties");
        // Karaf reads users.properties as ISO-8859-1 (java.util.Properties rules)
        List<String> lines = Files.exists(users) ? Files.readAllLines(users, StandardCharsets.ISO_8859_1) : List.of();
        String adminLine = "admin = " + escape(password) + ",_g_:admingroup";
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

    private static String escape(String password) {
        StringBuilder sb = new StringBuilder();
        for (char c : password.toCharArray()) {
            if (c == '\\') {
                sb.append("\\\\");
            } else if (c < 0x20 || c > 0x7e) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static void restrict(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot restrict permissions of {}", file, e);
        }
    }
}
