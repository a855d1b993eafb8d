package dev.meridian.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.model.DefinitionException.Kind;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConsumerDefinitionTest {

  private static final String SECRET = "k-0123456789abcdef";
  private static final String HASH = "sha256:" + "ab".repeat(32);

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> paths(DefinitionException e) {
    return e.problems().stream().map(Problem::path).toList();
  }

  @Test
  void should_parse_a_consumer_with_a_secret_a_hash_and_an_expiry() throws DefinitionException {
    ConsumerDefinition c = DefinitionParser.parseConsumer(bytes("""
        id: team-a
        groups: [partners, beta]
        keys:
          - {id: k1, secret: "%s", expiresAt: "2027-01-31T01:00:00+01:00"}
          - {id: k2, hash: "%s"}
        """.formatted(SECRET, HASH.toUpperCase().replace("SHA256", "sha256"))), Format.YAML);

    assertEquals("team-a", c.id());
    assertEquals(Set.of("beta", "partners"), c.groups());
    assertEquals(Optional.of(SECRET), c.keys().get(0).secret());
    assertEquals(Optional.of(Instant.parse("2027-01-31T00:00:00Z")), c.keys().get(0).expiresAt());
    assertEquals(Optional.of(HASH), c.keys().get(1).hash(), "hex is stored in lower case");
    assertFalse(c.isHashed());
  }

  @Test
  void should_store_only_hashes_and_show_neither_hash_nor_secret() throws DefinitionException {
    ConsumerDefinition c = DefinitionParser.parseConsumer(bytes(
        "{\"id\":\"a\",\"keys\":[{\"id\":\"k1\",\"secret\":\"" + SECRET + "\"}]}"), Format.JSON);

    assertThrows(IllegalStateException.class, c::toTree, "a secret is never written");
    ConsumerDefinition hashed = c.withKeys(k -> k.hashed(k.secret().orElseThrow()));

    String stored = new String(Json.write(hashed.toTree()), StandardCharsets.UTF_8);
    assertFalse(stored.contains(SECRET));
    assertTrue(stored.contains(ConsumerKey.hashOf(SECRET)));
    String shown = new String(Json.write(hashed.toShown()), StandardCharsets.UTF_8);
    assertFalse(shown.contains("sha256"), shown);
    assertFalse(c.toString().contains(SECRET), c.toString());
    assertEquals(hashed, DefinitionParser.consumerFromTree(Json.read(Json.write(hashed.toTree()))));
  }

  @Test
  void should_hash_as_sha256_hex() {
    // echo -n 'k-0123456789abcdef' | sha256sum
    assertEquals("sha256:" + sha256Hex(SECRET), ConsumerKey.hashOf(SECRET));
  }

  private static String sha256Hex(String s) {
    try {
      return java.util.HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-256").digest(bytes(s)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void should_report_every_problem_with_its_path() {
    DefinitionException e = assertThrows(DefinitionException.class, () -> DefinitionParser.parseConsumer(bytes("""
        id: Team_A
        groups: [ok, ok, "Bad"]
        colour: red
        keys:
          - {id: k1, secret: short}
          - {id: k1, hash: "sha256:xyz"}
          - {id: k3, secret: "%s", hash: "%s"}
          - {id: k4, secret: "%s", expiresAt: "tomorrow"}
          - {id: k5, secret: "prefix-${secret:x}"}
        """.formatted(SECRET, HASH, SECRET)), Format.YAML));

    assertEquals(Kind.INVALID, e.kind());
    assertEquals(List.of("colour", "id", "groups[1]", "groups[2]", "keys[0].secret", "keys[1].hash", "keys[2]",
        "keys[3].expiresAt", "keys[4].secret").stream().sorted().toList(), paths(e).stream().sorted().toList());
  }

  @Test
  void should_accept_a_whole_secret_reference_of_any_length() throws DefinitionException {
    ConsumerDefinition c = DefinitionParser.parseConsumer(bytes(
        "{\"id\":\"a\",\"keys\":[{\"id\":\"k\",\"secret\":\"${secret:a}\"}]}"), Format.JSON);

    assertEquals(Optional.of("${secret:a}"), c.keys().get(0).secret());
  }

  @Test
  void should_take_consumers_beside_apis_in_one_set() throws DefinitionException {
    DefinitionParser.Definitions d = DefinitionParser.parseDefinitions(bytes("""
        kind: consumer
        id: alice
        keys: [{id: k1, hash: "%s"}]
        ---
        kind: api
        id: orders
        basePath: /orders
        upstream: {url: "http://127.0.0.1:9000"}
        ---
        id: users
        basePath: /users
        upstream: {url: "http://127.0.0.1:9000"}
        """.formatted(HASH)), Format.YAML);

    assertEquals(List.of("orders", "users"), d.apis().stream().map(ApiDefinition::id).toList());
    assertEquals(List.of("alice"), d.consumers().stream().map(ConsumerDefinition::id).toList());
  }

  @Test
  void should_index_problems_by_their_place_in_the_whole_set() {
    DefinitionException e = assertThrows(DefinitionException.class, () -> DefinitionParser.parseDefinitions(bytes("""
        [{"kind":"consumer","id":"a"},
         {"id":"x","basePath":"/x","upstream":{"url":"http://h"}},
         {"kind":"consumer","id":"a"},
         {"id":"x","basePath":"/y","upstream":{"url":"ftp://h"}},
         {"kind":"widget","id":"w","basePath":"/w","upstream":{"url":"http://h"}}]
        """), Format.JSON));

    assertEquals(List.of("[2].id", "[3].upstream.url", "[3].id", "[4].kind"), paths(e));
    assertTrue(e.problems().get(2).message().contains("(also [1])"), e.problems().get(2).message());
  }

  @Test
  void should_keep_apis_parsed_alone_refusing_another_kind() {
    DefinitionException e = assertThrows(DefinitionException.class, () -> DefinitionParser.parseOne(bytes(
        "{\"kind\":\"consumer\",\"id\":\"a\"}"), Format.JSON));

    assertTrue(paths(e).contains("kind"), paths(e).toString());
  }

  @Test
  void should_read_back_what_it_stores() throws DefinitionException {
    ConsumerDefinition c = new ConsumerDefinition("b", Set.of("g"),
        List.of(ConsumerKey.ofHash("k", HASH, Optional.of(Instant.parse("2030-01-01T00:00:00Z")))));

    Map<String, Object> tree = c.toTree();

    assertEquals(c, DefinitionParser.consumerFromTree(tree));
    assertEquals(tree, DefinitionParser.consumerFromTree(tree).toTree());
  }
}
