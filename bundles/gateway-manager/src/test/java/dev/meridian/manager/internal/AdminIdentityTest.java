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
            "admin = s3cret,_g_:admingroup"), lines);
        assertEquals("s3cret", karafPassword("admin"));
        assertFalse(Files.exists(dataDir.resolve("admin.password")), "a configured password is not stored");
        assertFalse(Files.exists(etc.resolve("users.properties.tmp")));
    }

    @Test
    void should_replace_admin_line_written_without_spaces() throws Exception {
        Files.write(users, List.of("admin=old,_g_:admingroup", "  admin = older,_g_:admingroup", "administrator = a",
            GROUP_LINE), StandardCharsets.UTF_8);
        System.setProperty(PASSWORD, "new");

        AdminIdentity.ensure(dataDir);

        assertEquals(List.of("administrator = a", GROUP_LINE, "admin = new,_g_:admingroup"),
            Files.readAllLines(users, StandardCharsets.UTF_8));
    }

    @Test
    void should_add_admin_and_group_lines_when_users_file_is_missing() throws Exception {
        System.setProperty(PASSWORD, "pw");

        AdminIdentity.ensure(dataDir);

        assertEquals(List.of("admin = pw,_g_:admingroup", GROUP_LINE).stream().sorted().toList(),
            Files.readAllLines(users, StandardCharsets.UTF_8).stream().sorted().toList());
        assertEquals("pw", karafPassword("admin"));
        assertEquals("group,admin,manager,viewer,systembundles,ssh", karafProperties().getProperty("_g_:admingroup"));
    }

    @Test
    void should_not_touch_users_file_when_it_is_already_up_to_date() throws Exception {
        Files.write(users, List.of("# users", GROUP_LINE, "admin = pw,_g_:admingroup"), StandardCharsets.UTF_8);
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
    void should_generate_store_and_reuse_password_when_none_is_configured() throws Exception {
        Files.write(users, List.of("admin = x,_g_:admingroup", GROUP_LINE), StandardCharsets.UTF_8);

        AdminIdentity.ensure(dataDir);

        Path stored = dataDir.resolve("admin.password");
        String generated = Files.readString(stored, StandardCharsets.UTF_8).trim();
        assertTrue(generated.matches("[A-Za-z0-9_-]{24}"), generated);
        assertEquals(generated, karafPassword("admin"));
        if (Files.getFileAttributeView(stored, PosixFileAttributeView.class) != null) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stored)));
        }

        AdminIdentity.ensure(dataDir);

        assertEquals(generated, Files.readString(stored, StandardCharsets.UTF_8).trim());
        assertEquals(generated, karafPassword("admin"));
        assertEquals(1, Files.readAllLines(users).stream().filter(l -> l.startsWith("admin ")).count());
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

        assertEquals("configured", karafPassword("admin"));
        assertEquals(generated, Files.readString(dataDir.resolve("admin.password"), StandardCharsets.UTF_8).trim());
    }

    @Test
    void should_escape_backslash_so_karaf_reads_the_password_back() throws Exception {
        System.setProperty(PASSWORD, "a\\b\\\\c\\u0041");

        AdminIdentity.ensure(dataDir);

        assertEquals("a\\b\\\\c\\u0041", karafPassword("admin"));
    }

    @Test
    void should_store_non_ascii_password_so_karaf_reads_it_back() throws Exception {
        System.setProperty(PASSWORD, "p\u00e4ss\u20ac");

        AdminIdentity.ensure(dataDir);

        assertEquals("p\u00e4ss\u20ac", karafPassword("admin"));
    }

    @Test
    void should_refuse_or_keep_whole_password_when_it_contains_a_comma() throws Exception {
        System.setProperty(PASSWORD, "pass,word");

        try {
            AdminIdentity.ensure(dataDir);
        } catch (IllegalArgumentException | java.io.IOException refused) {
            return;
        }

        assertEquals("pass,word", karafPassword("admin"));
    }

    /** Reads users.properties the way Karaf's PropertiesLoginModule does: ISO-8859-1, password before the first comma. */
    private String karafPassword(String user) throws Exception {
        String value = karafProperties().getProperty(user);
        return value == null ? null : value.split(",")[0];
    }

    private Properties karafProperties() throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(users)) {
            p.load(in);
        }
        return p;
    }
}
