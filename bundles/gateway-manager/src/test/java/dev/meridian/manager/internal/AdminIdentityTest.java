package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminIdentityTest {

    private static final String KARAF_ETC = "karaf.etc";
    private static final String PASSWORD = "meridian.admin.password";
    private static final String GROUP_LINE = "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh";

    @TempDir
    Path tmp;

    private Path etc;
    private Path users;
    private Path dataDir;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(System.getenv("MERIDIAN_ADMIN_PASSWORD") == null, "MERIDIAN_ADMIN_PASSWORD is set in the environment");
        etc = Files.createDirectory(tmp.resolve("etc"));
        users = etc.resolve("users.properties");
        dataDir = tmp.resolve("data").resolve("meridian");
        System.setProperty(KARAF_ETC, etc.toString());
    }

    @AfterEach
    void clearProperties() {
        System.clearProperty(KARAF_ETC);
        System.clearProperty(PASSWORD);
    }

    @Test
    void should_rewrite_the_one_admin_line_with_configured_password_and_keep_the_rest() throws Exception {
        Files.write(users, List.of(
            "# Karaf users",
            "# admin = commented,_g_:admingroup",
            "admin = x,_g_:admingroup",
            "",
            "karaf = karaf,_g_:admingroup",
            GROUP_LINE), StandardCharsets.UTF_8);
        System.setProperty(PASSWORD, "s3cret");

        AdminIdentity.ensure(dataDir);

        List<String> lines = Files.readAllLines(users, StandardCharsets.UTF_8);
        assertEquals(List.of(
            "# Karaf users",
            "# admin = commented,_g_:admingroup",
            "",
            "karaf = karaf,_g_:admingroup",
            GROUP_LINE,
            "admin = " + AdminIdentity.crypt("s3cret") + ",_g_:admingroup"), lines);
        assertEquals(AdminIdentity.crypt("s3cret"), karafPassword("admin"));
        assertFalse(Files.exists(dataDir.resolve("admin.password.sha256")), "a configured password is not stored");
        assertFalse(Files.exists(etc.resolve("users.properties.tmp")));
    }

    @Test
    void should_replace_admin_line_written_without_spaces() throws Exception {
        Files.write(users, List.of("admin=old,_g_:admingroup", "  admin = older,_g_:admingroup", "administrator = a",
            GROUP_LINE), StandardCharsets.UTF_8);
        System.setProperty(PASSWORD, "new");

        AdminIdentity.ensure(dataDir);

        assertEquals(List.of("administrator = a", GROUP_LINE, "admin = " + AdminIdentity.crypt("new") + ",_g_:admingroup"),
            Files.readAllLines(users, StandardCharsets.UTF_8));
    }

    @Test
    void should_add_admin_and_group_lines_when_users_file_is_missing() throws Exception {
        System.setProperty(PASSWORD, "pw");

        AdminIdentity.ensure(dataDir);

        assertEquals(List.of("admin = " + AdminIdentity.crypt("pw") + ",_g_:admingroup", GROUP_LINE).stream().sorted().toList(),
            Files.readAllLines(users, StandardCharsets.UTF_8).stream().sorted().toList());
        assertEquals(AdminIdentity.crypt("pw"), karafPassword("admin"));
        assertEquals("group,admin,manager,viewer,systembundles,ssh", karafProperties().getProperty("_g_:admingroup"));
    }

    @Test
    void should_not_touch_users_file_when_it_is_already_up_to_date() throws Exception {
        Files.write(users, List.of("# users", GROUP_LINE, "admin = " + AdminIdentity.crypt("pw") + ",_g_:admingroup"), StandardCharsets.UTF_8);
        Files.setLastModifiedTime(users, FileTime.fromMillis(0));
        System.setProperty(PASSWORD, "pw");

        AdminIdentity.ensure(dataDir);

        assertEquals(0, Files.getLastModifiedTime(users).toMillis());
    }

    @Test
    void should_not_touch_users_file_on_second_start_when_first_start_created_it() throws Exception {
        System.setProperty(PASSWORD, "pw");
        AdminIdentity.ensure(dataDir);
        Files.setLastModifiedTime(users, FileTime.fromMillis(0));

        AdminIdentity.ensure(dataDir);

        assertEquals(0, Files.getLastModifiedTime(users).toMillis());
    }

    @Test
    void should_print_the_generated_password_once_and_store_only_its_hash() throws Exception {
        Files.write(users, List.of("admin = x,_g_:admingroup", GROUP_LINE), StandardCharsets.UTF_8);

        String printed = printedBy(() -> AdminIdentity.ensure(dataDir));

        assertTrue(printed.startsWith(AdminIdentity.PRINTED), printed);
        String generated = printed.substring(AdminIdentity.PRINTED.length()).trim();
        assertTrue(generated.matches("[A-Za-z0-9_-]{24}"), generated);
        Path stored = dataDir.resolve("admin.password.sha256");
        assertEquals(AdminIdentity.crypt(generated), Files.readString(stored, StandardCharsets.UTF_8).trim());
        assertTrue(karafPassword("admin").matches("\\{CRYPT\\}[0-9a-f]{64}\\{CRYPT\\}"), karafPassword("admin"));
        assertEquals(AdminIdentity.crypt(generated), karafPassword("admin"));
        assertFalse(Files.readString(users, StandardCharsets.ISO_8859_1).contains(generated));
        if (Files.getFileAttributeView(stored, PosixFileAttributeView.class) != null) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stored)));
        }

        assertEquals("", printedBy(() -> AdminIdentity.ensure(dataDir)), "printed once");

        assertEquals(AdminIdentity.crypt(generated), karafPassword("admin"));
        assertEquals(1, Files.readAllLines(users).stream().filter(l -> l.startsWith("admin ")).count());
    }

    @Test
    void should_replace_a_stored_plain_password_by_its_hash() throws Exception {
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("admin.password"), "older-release\n", StandardCharsets.UTF_8);

        assertEquals("", printedBy(() -> AdminIdentity.ensure(dataDir)), "not generated: not printed");

        assertFalse(Files.exists(dataDir.resolve("admin.password")));
        assertEquals(AdminIdentity.crypt("older-release"), karafPassword("admin"));
    }

    private interface Action {
        void run() throws Exception;
    }

    private static String printedBy(Action action) throws Exception {
        java.io.PrintStream previous = System.out;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setOut(previous);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void should_generate_a_different_password_for_another_data_dir() throws Exception {
        AdminIdentity.ensure(dataDir);
        String first = karafPassword("admin");

        AdminIdentity.ensure(tmp.resolve("other"));

        assertNotEquals(first, karafPassword("admin"));
    }

    @Test
    void should_prefer_configured_password_over_stored_one() throws Exception {
        AdminIdentity.ensure(dataDir);
        String generated = karafPassword("admin");
        System.setProperty(PASSWORD, "configured");

        AdminIdentity.ensure(dataDir);

        assertEquals(AdminIdentity.crypt("configured"), karafPassword("admin"));
        assertEquals(generated, Files.readString(dataDir.resolve("admin.password.sha256"), StandardCharsets.UTF_8).trim());
    }

    @Test
    void should_store_the_hash_of_a_password_with_backslashes() throws Exception {
        System.setProperty(PASSWORD, "a\\b\\\\c\\u0041");

        AdminIdentity.ensure(dataDir);

        assertEquals(AdminIdentity.crypt("a\\b\\\\c\\u0041"), karafPassword("admin"));
    }

    @Test
    void should_store_the_hash_of_a_non_ascii_password_in_the_jvm_charset_as_karaf_computes_it() throws Exception {
        System.setProperty(PASSWORD, "p\u00e4ss\u20ac");

        AdminIdentity.ensure(dataDir);

        String expected = "{CRYPT}" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
            .digest("p\u00e4ss\u20ac".getBytes())) + "{CRYPT}"; // String.getBytes(): Karaf's BasicEncryption
        assertEquals(expected, karafPassword("admin"));
    }

    @Test
    void should_keep_a_password_with_a_comma_whole_as_only_its_hash_is_stored() throws Exception {
        System.setProperty(PASSWORD, "pass,word");

        AdminIdentity.ensure(dataDir);

        assertEquals(AdminIdentity.crypt("pass,word"), karafPassword("admin"));
    }

    /** Reads users.properties the way Karaf's PropertiesLoginModule does: ISO-8859-1, password before the first comma. */
    private String karafPassword(String user) throws Exception {
        String value = karafProperties().getProperty(user);
        return value == null ? null : value.split(",")[0];
    }

    private Properties karafProperties() throws Exception {
        return load(users);
    }

    private static Properties load(Path file) throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        return p;
    }

    /** CI found etc/org.apache.karaf.jaas.cfg torn to its licence header at a node's first start (apache/karaf#2805). */
    @Test
    void should_put_back_the_jaas_settings_a_torn_or_changed_file_lacks_and_leave_a_whole_one_alone() throws Exception {
        Path cfg = etc.resolve("org.apache.karaf.jaas.cfg");
        Files.writeString(cfg, "####\n#    Licensed to the Apache Software Foundation (ASF)\n####\n", StandardCharsets.ISO_8859_1);
        assertTrue(AdminIdentity.repairJaasConfig(cfg));
        Properties torn = load(cfg);
        AdminIdentity.JAAS.forEach((k, v) -> assertEquals(v, torn.getProperty(k), k));
        assertTrue(Files.readString(cfg).startsWith("####"), "the comments kept");

        assertFalse(AdminIdentity.repairJaasConfig(cfg), "a whole file is not written again");

        Files.writeString(cfg, Files.readString(cfg).replace("encryption.enabled = true", "encryption.enabled = false"));
        assertTrue(AdminIdentity.repairJaasConfig(cfg));
        assertEquals("true", load(cfg).getProperty("encryption.enabled"));
        assertEquals(1, Files.readAllLines(cfg).stream().filter(l -> l.startsWith("encryption.enabled")).count(), "replaced, not repeated");
    }
}
