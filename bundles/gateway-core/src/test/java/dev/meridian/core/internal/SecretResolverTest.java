package dev.meridian.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.policy.api.PolicyConfigException;

class SecretResolverTest {

    @TempDir
    Path root;
    private Path dir;
    private SecretResolver resolver;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createDirectory(root.resolve("secrets"));
        resolver = new SecretResolver(Optional.of(dir), 64);
    }

    private void secret(String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content);
    }

    private Map<String, Object> resolved(Map<String, Object> config) throws PolicyConfigException {
        return resolver.resolve(config).config();
    }

    private PolicyConfigException.Problem refused(Map<String, Object> config) {
        PolicyConfigException e = assertThrows(PolicyConfigException.class, () -> resolver.resolve(config));
        assertEquals(1, e.problems().size(), e.problems().toString());
        return e.problems().get(0);
    }

    @Test
    void should_return_the_same_config_when_nothing_refers_to_a_secret() throws Exception {
        Map<String, Object> config = Map.of("request", Map.of("set", Map.of("X-Env", "prod $HOME ${other}")));

        SecretResolver.Resolved r = resolver.resolve(config);

        assertSame(config, r.config());
        assertTrue(r.values().isEmpty());
    }

    @Test
    void should_replace_a_whole_value_and_strip_one_trailing_newline() throws Exception {
        secret("tok", "s3cr3t\n\n");

        assertEquals(Map.of("key", "s3cr3t\n"), resolved(Map.of("key", "${secret:tok}")));
    }

    @Test
    void should_strip_a_trailing_crlf() throws Exception {
        secret("tok", "abc\r\n");

        assertEquals(Map.of("key", "abc"), resolved(Map.of("key", "${secret:tok}")));
    }

    @Test
    void should_replace_references_embedded_in_longer_strings_at_any_depth() throws Exception {
        secret("upstream-token", "abc");
        secret("other.v2_x", "xyz");

        Map<String, Object> out = resolved(Map.of("request", Map.of(
            "set", Map.of("Authorization", "Bearer ${secret:upstream-token}"),
            "list", List.of("a", "${secret:other.v2_x}-${secret:upstream-token}!"))));

        assertEquals(Map.of("request", Map.of(
            "set", Map.of("Authorization", "Bearer abc"),
            "list", List.of("a", "xyz-abc!"))), out);
    }

    @Test
    void should_leave_keys_numbers_and_booleans_alone() throws Exception {
        secret("tok", "v");

        assertEquals(Map.of("${secret:tok}", 5L, "b", true, "c", "v"),
            resolved(Map.of("${secret:tok}", 5L, "b", true, "c", "${secret:tok}")));
    }

    @Test
    void should_read_an_escaped_reference_as_literal_text() throws Exception {
        secret("tok", "v");

        assertEquals(Map.of("k", "${secret:tok} is v, $$ stays"),
            resolved(Map.of("k", "$${secret:tok} is ${secret:tok}, $$ stays")));
    }

    @Test
    void should_list_the_values_used_so_messages_can_be_redacted() throws Exception {
        secret("tok", "hunter2");

        SecretResolver.Resolved r = resolver.resolve(Map.of("k", "x${secret:tok}"));

        assertEquals(Map.of("tok", "hunter2"), r.values());
        assertEquals("invalid value 'x${secret:tok}'", r.redact("invalid value 'xhunter2'"));
    }

    @Test
    void should_refuse_a_missing_secret_naming_path_and_name_only() throws Exception {
        PolicyConfigException.Problem p = refused(Map.of("request", Map.of("set", Map.of("X-Token", "${secret:nope}"))));

        assertEquals("request.set.X-Token", p.path());
        assertTrue(p.message().contains("'nope'") && p.message().contains("not found"), p.message());
    }

    @Test
    void should_report_every_unresolvable_reference() {
        PolicyConfigException e = assertThrows(PolicyConfigException.class,
            () -> resolver.resolve(Map.of("a", "${secret:x}", "b", List.of("${secret:y}"))));

        assertEquals(List.of("a", "b[0]"), e.problems().stream().map(PolicyConfigException.Problem::path).sorted().toList());
    }

    @Test
    void should_refuse_names_with_separators_dots_only_or_too_long() {
        for (String name : List.of("../etc", "a/b", "a\\b", ".", "..", "", "sp ace", "x".repeat(129))) {
            PolicyConfigException.Problem p = refused(Map.of("k", "${secret:" + name + "}"));
            assertTrue(p.message().contains("a secret name is"), name + ": " + p.message());
        }
    }

    @Test
    void should_refuse_an_unterminated_reference() {
        assertTrue(refused(Map.of("k", "Bearer ${secret:tok")).message().contains("unterminated"));
    }

    @Test
    void should_refuse_a_symlink_to_a_file_outside_the_directory() throws Exception {
        Path outside = Files.writeString(root.resolve("outside"), "not-for-you");
        Files.createSymbolicLink(dir.resolve("link"), outside);

        PolicyConfigException.Problem p = refused(Map.of("k", "${secret:link}"));

        assertTrue(p.message().contains("outside"), p.message());
        assertFalse(p.message().contains("not-for-you"));
    }

    @Test
    void should_follow_a_symlink_that_stays_inside_the_directory() throws Exception {
        secret("real", "v1");
        Files.createSymbolicLink(dir.resolve("alias"), dir.resolve("real"));

        assertEquals(Map.of("k", "v1"), resolved(Map.of("k", "${secret:alias}")));
    }

    @Test
    void should_refuse_a_directory() throws Exception {
        Files.createDirectory(dir.resolve("sub"));

        assertTrue(refused(Map.of("k", "${secret:sub}")).message().contains("not a regular file"));
    }

    @Test
    void should_refuse_a_file_over_the_size_cap_and_accept_one_at_it() throws Exception {
        secret("big", "x".repeat(65));
        secret("max", "y".repeat(64));

        assertTrue(refused(Map.of("k", "${secret:big}")).message().contains("larger than 64 bytes"));
        assertEquals(Map.of("k", "y".repeat(64)), resolved(Map.of("k", "${secret:max}")));
    }

    @Test
    void should_refuse_content_that_is_not_utf8() throws Exception {
        Files.write(dir.resolve("bin"), new byte[] {(byte) 0xff, (byte) 0xfe, 'a'});

        assertTrue(refused(Map.of("k", "${secret:bin}")).message().contains("UTF-8"));
    }

    @Test
    void should_read_utf8() throws Exception {
        Files.write(dir.resolve("u"), "pässwörd".getBytes(StandardCharsets.UTF_8));

        assertEquals(Map.of("k", "pässwörd"), resolved(Map.of("k", "${secret:u}")));
    }

    @Test
    void should_refuse_every_reference_when_no_directory_is_set() throws Exception {
        PolicyConfigException e = assertThrows(PolicyConfigException.class,
            () -> SecretResolver.NONE.resolve(Map.of("k", "${secret:tok}")));

        assertTrue(e.problems().get(0).message().contains("MERIDIAN_SECRETS_DIR is not set"));
        assertEquals(Map.of("k", "${secret:tok}"), SecretResolver.NONE.resolve(Map.of("k", "$${secret:tok}")).config());
    }

    @Test
    void should_read_a_changed_file_on_the_next_call() throws Exception {
        secret("tok", "one");
        assertEquals(Map.of("k", "one"), resolved(Map.of("k", "${secret:tok}")));

        secret("tok", "two");

        assertEquals(Map.of("k", "two"), resolved(Map.of("k", "${secret:tok}")));
    }
}
