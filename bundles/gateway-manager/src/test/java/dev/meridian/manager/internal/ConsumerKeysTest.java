package dev.meridian.manager.internal;

import static dev.meridian.manager.internal.TestDefinitions.api;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.core.GatewayState;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.ConsumerKey;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Problem;

/** Consumers on their way into a revision: keys hashed at apply, never stored in plain, each key one consumer's. */
class ConsumerKeysTest {

    private static final String PLAIN = "plain-key-0123456789";
    private static final String FILED = "filed-key-9876543210";

    @TempDir
    Path secrets;

    private static ConsumerDefinition parse(String yaml) throws Exception {
        return DefinitionParser.parseConsumer(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
    }

    private ConsumerKeys keys() {
        return new ConsumerKeys(Optional.of(secrets), 64 * 1024);
    }

    @Test
    void should_hash_a_plain_secret_and_a_secret_file() throws Exception {
        Files.writeString(secrets.resolve("alice-key"), FILED + "\n");
        ConsumerDefinition alice = parse("""
            id: alice
            keys:
              - {id: k1, secret: "%s"}
              - {id: k2, secret: "${secret:alice-key}", expiresAt: "2030-01-01T00:00:00Z"}
              - {id: k3, hash: "%s"}
            """.formatted(PLAIN, ConsumerKey.hashOf("third-key-000000000")));

        ConsumerDefinition hashed = keys().hashed(List.of(alice), List.of("")).get(0);

        assertTrue(hashed.isHashed());
        assertEquals(Optional.of(ConsumerKey.hashOf(PLAIN)), hashed.keys().get(0).hash());
        assertEquals(Optional.of(ConsumerKey.hashOf(FILED)), hashed.keys().get(1).hash(), "the trailing newline is not part of the key");
        assertEquals(Optional.of(Instant.parse("2030-01-01T00:00:00Z")), hashed.keys().get(1).expiresAt());
        assertEquals(Optional.of(ConsumerKey.hashOf("third-key-000000000")), hashed.keys().get(2).hash());
    }

    @Test
    void should_refuse_a_missing_secret_file_naming_the_key_and_the_secret() throws Exception {
        ConsumerDefinition alice = parse("id: alice\nkeys: [{id: k1, secret: \"${secret:nope}\"}]\n");

        AdminException e = assertThrows(AdminException.class,
            () -> keys().hashed(List.of(alice), List.of("consumer:alice")));

        assertEquals(422, e.status());
        assertEquals("consumer:alice.keys[0].secret", e.details().get(0).path());
        assertTrue(e.details().get(0).message().contains("secret 'nope' not found"), e.details().get(0).message());
    }

    @Test
    void should_refuse_without_a_secrets_dir() throws Exception {
        ConsumerDefinition alice = parse("id: alice\nkeys: [{id: k1, secret: \"${secret:x}\"}]\n");

        AdminException e = assertThrows(AdminException.class,
            () -> new ConsumerKeys(Optional.empty(), 1024).hashed(List.of(alice), List.of("")));

        assertTrue(e.details().get(0).message().contains("MERIDIAN_SECRETS_DIR is not set"));
    }

    @Test
    void should_refuse_one_key_given_to_two_consumers() throws Exception {
        ConsumerKeys k = keys();
        ConsumerDefinition alice = k.hashed(List.of(parse("id: alice\nkeys: [{id: k1, secret: \"" + PLAIN + "\"}]\n")),
            List.of("")).get(0);
        ConsumerDefinition bob = k.hashed(List.of(parse("id: bob\nkeys: [{id: main, secret: \"" + PLAIN + "\"}]\n")),
            List.of("")).get(0);

        AdminException e = assertThrows(AdminException.class,
            () -> ConsumerKeys.checkUnique(Map.of("alice", alice, "bob", bob)));

        assertEquals(422, e.status());
        List<String> paths = e.details().stream().map(Problem::path).toList();
        assertTrue(paths.equals(List.of("consumer:bob.keys[0]")) || paths.equals(List.of("consumer:alice.keys[0]")), paths.toString());
        ConsumerKeys.checkUnique(Map.of("alice", alice)); // alone it is fine
    }

    @Test
    void should_list_consumers_in_a_change_as_consumer_ids_after_the_apis() throws Exception {
        ConsumerDefinition alice = new ConsumerDefinition("alice", Set.of(), List.of());
        ConsumerDefinition bob = new ConsumerDefinition("bob", Set.of(), List.of());
        GatewayState base = new GatewayState(4, Map.of("a", api("a", "/a")), Map.of("alice", alice, "bob", bob));
        GatewayState next = new GatewayState(4, Map.of("a", api("a", "/a"), "b", api("b", "/b")),
            Map.of("alice", new ConsumerDefinition("alice", Set.of("partners"), List.of()),
                "carol", new ConsumerDefinition("carol", Set.of(), List.of())));

        Change c = StateDiff.between(base, next, 5, true);

        assertEquals(List.of("b", "consumer:carol"), c.added());
        assertEquals(List.of("consumer:alice"), c.updated());
        assertEquals(List.of("consumer:bob"), c.removed());
        assertFalse(StateDiff.between(base, base, 5, true).changed(), "the same consumers: no revision");
    }

    @Test
    void should_store_consumers_with_hashes_only_and_read_them_back() throws Exception {
        ConsumerDefinition alice = keys().hashed(List.of(parse(
            "id: alice\ngroups: [partners]\nkeys: [{id: k1, secret: \"" + PLAIN + "\"}]\n")), List.of("")).get(0);
        RevisionInfo info = new RevisionInfo(3, Instant.parse("2026-12-03T05:00:00Z"), "admin", "admin-api",
            List.of("consumer:alice"), List.of(), List.of());

        String payload = RevisionStore.payload(info, List.of(api("a", "/a")), List.of(alice));
        GatewayAdmin.Revision read = RevisionStore.parse(payload);

        assertFalse(payload.contains(PLAIN), payload);
        assertTrue(payload.contains(ConsumerKey.hashOf(PLAIN)));
        assertEquals(List.of(alice), read.consumers());
        assertEquals(RevisionStore.payload(info, List.of(api("a", "/a"))),
            RevisionStore.payload(info, List.of(api("a", "/a")), List.of()), "no consumers: the payload of before");
        assertFalse(RevisionStore.payload(info, List.of(), List.of()).contains("consumers"));
    }
}
