package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import org.junit.jupiter.api.Test;

class TokenTest {

    private final SecureRandom random = new SecureRandom();

    @Test
    void should_make_secrets_of_256_random_bits_behind_a_recognisable_prefix() {
        String a = Token.newSecret(random);
        String b = Token.newSecret(random);
        assertTrue(a.matches("mrd_[A-Za-z0-9_-]{43}"), a);
        assertEquals(32, Base64.getUrlDecoder().decode(a.substring(4)).length);
        assertNotEquals(a, b);
    }

    @Test
    void should_store_the_sha256_and_match_only_the_secret() {
        String secret = Token.newSecret(random);
        Token t = new Token("ci", Role.OPERATOR, Token.hashOf(secret), Instant.now(), null, null);
        assertTrue(t.hash().matches("[0-9a-f]{64}"));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Token.hashOf(""), "SHA-256 of nothing");
        assertTrue(t.matches(secret));
        assertFalse(t.matches(secret + "x"));
        assertFalse(t.toJson().contains(secret), "the record never holds the secret");
        assertFalse(t.listing().toString().contains(t.hash()), "the listing never shows the hash");
    }

    @Test
    void should_round_trip_through_json() {
        Instant now = Instant.parse("2026-12-02T10:00:00Z");
        Token t = new Token("ci", Role.VIEWER, Token.hashOf("mrd_x"), now, now.plusSeconds(60), now.plusSeconds(5));
        assertEquals(t, Token.fromJson(t.toJson()));
        assertThrows(IllegalArgumentException.class, () -> Token.fromJson("{\"name\":\"x\"}"));
    }

    @Test
    void should_be_usable_until_it_expires_or_is_revoked() {
        Instant now = Instant.now();
        Token t = new Token("ci", Role.VIEWER, Token.hashOf("mrd_x"), now, now.plusSeconds(60), null);
        assertTrue(t.usable(now));
        assertFalse(t.usable(now.plusSeconds(60)));
        assertFalse(t.revokedAt(now).usable(now));
    }

    @Test
    void should_let_a_revocation_or_a_newer_issue_supersede_a_record() {
        Instant now = Instant.now();
        Token t = new Token("ci", Role.VIEWER, "h", now, null, null);
        assertTrue(t.revokedAt(now).supersedes(t));
        assertFalse(t.supersedes(t.revokedAt(now)), "a node that missed the revocation cannot bring the token back");
        assertFalse(t.supersedes(t));
        Token again = new Token("ci", Role.ADMIN, "h2", now.plusMillis(1), null, null);
        assertTrue(again.supersedes(t.revokedAt(now)));
    }

    @Test
    void should_parse_ttls_with_days_default_and_maximum() {
        assertEquals(Duration.ofDays(30), Token.ttl("30d"));
        assertEquals(Duration.ofHours(12), Token.ttl("12h"));
        assertEquals(Token.DEFAULT_TTL, Token.ttl(null));
        assertEquals(Duration.ofDays(366), Token.ttl("366d"));
        assertThrows(IllegalArgumentException.class, () -> Token.ttl("367d"));
        assertThrows(IllegalArgumentException.class, () -> Token.ttl("0s"));
        assertThrows(IllegalArgumentException.class, () -> Token.ttl("forever"));
    }
}
