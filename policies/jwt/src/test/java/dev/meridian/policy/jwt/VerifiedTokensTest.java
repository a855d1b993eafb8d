package dev.meridian.policy.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;

/** Accepted tokens by their text: hashed on a tail, compared whole, held only under their key snapshot. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VerifiedTokensTest {

    private static final String SIGNATURE = "k3Jd0q-Zb8vLwQ2xY7pTn4sRmC1aE9fH6uJ5iO0gVtWzXyBcDeFgHiJkLmNoPqRs";

    @Test
    void should_find_a_token_sent_again_as_a_new_string_and_tell_apart_tokens_sharing_their_tail() throws Exception {
        KeySnapshot keys = KeySnapshot.fromFetch(new JWKSet(List.of(new RSAKeyGenerator(2048).keyID("k1").generate())), 1000, null, 3_600_000);
        VerifiedTokens tokens = new VerifiedTokens();
        String alice = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9." + SIGNATURE;
        String carol = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9." + SIGNATURE; // as long, the same last characters
        tokens.remember(alice, new VerifiedTokens.Verified(keys, "alice", 0, Long.MAX_VALUE));

        assertEquals(new VerifiedTokens.Token(alice).hashCode(), new VerifiedTokens.Token(carol).hashCode(),
            "a key's hash is taken from its length and tail only");
        assertEquals("alice", tokens.find(new String(alice.toCharArray()), keys, 10).consumer(), "equal text, another string");
        assertNull(tokens.find(carol, keys, 10), "same tail, another token: not accepted");
        assertNull(tokens.find(alice.substring(0, alice.length() - 1) + "t", keys, 10), "its signature's last character changed");
        assertNotEquals(new VerifiedTokens.Token(alice), new VerifiedTokens.Token(carol));

        KeySnapshot refetched = KeySnapshot.fromFetch(new JWKSet(List.of(new RSAKeyGenerator(2048).keyID("k2").generate())), 2000, null, 3_600_000);
        assertNull(tokens.find(alice, refetched, 10), "held only under the snapshot it was verified with");
        tokens.remember(carol, new VerifiedTokens.Verified(keys, "carol", 0, Long.MAX_VALUE));
        assertSame(keys, tokens.find(carol, keys, 10).keys());
        assertEquals("alice", tokens.find(alice, keys, 10).consumer(), "both held though their keys share a bucket");
    }
}
