package dev.meridian.policy.jwt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.ParseException;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;

/** The shared key document: what is kept, what is left out, how removed keys age. */
class KeySnapshotTest {

    private static final long HOUR = 3_600_000;

    private static RSAKey rsa(String kid) throws Exception {
        return new RSAKeyGenerator(2048).keyID(kid).generate();
    }

    private static JWKSet set(JWK... keys) {
        return new JWKSet(List.of(keys));
    }

    @Test
    void should_keep_public_signing_keys_only() throws Exception {
        RSAKey k1 = rsa("k1");
        ECKey enc = new ECKeyGenerator(Curve.P_256).keyID("enc").keyUse(KeyUse.ENCRYPTION).generate();
        OctetSequenceKey hmac = new OctetSequenceKeyGenerator(256).keyID("hmac").generate();
        KeySnapshot snapshot = KeySnapshot.fromFetch(set(k1, enc, hmac), 1000, null, HOUR);
        assertTrue(snapshot.knows("k1"));
        assertFalse(snapshot.knows("enc"), "an encryption key never verifies a signature");
        assertFalse(snapshot.knows("hmac"), "a symmetric key from a JWKS is public: never used");
        assertFalse(new String(snapshot.raw()).contains("\"d\""), "the private part of a key the IdP leaked is not kept");
        assertEquals(1, snapshot.publishedCount());
    }

    @Test
    void should_refuse_a_jwks_without_a_usable_key() throws Exception {
        OctetSequenceKey hmac = new OctetSequenceKeyGenerator(256).keyID("hmac").generate();
        assertThrows(ParseException.class, () -> KeySnapshot.fromFetch(set(hmac), 1000, null, HOUR));
        assertThrows(ParseException.class, () -> KeySnapshot.fromFetch(new JWKSet(), 1000, null, HOUR));
    }

    @Test
    void should_read_back_what_it_shares() throws Exception {
        KeySnapshot snapshot = KeySnapshot.fromFetch(set(rsa("k1"), new ECKeyGenerator(Curve.P_256).keyID("e1").generate()), 1234, null, HOUR);
        KeySnapshot decoded = KeySnapshot.decode(snapshot.raw());
        assertEquals(1234, decoded.fetchedAt());
        assertTrue(decoded.knows("k1") && decoded.knows("e1"));
        assertTrue(decoded.sameDocument(snapshot.raw()));
        assertArrayEquals(snapshot.raw(), decoded.raw());
    }

    @Test
    void should_retire_a_removed_key_from_the_first_fetch_that_misses_it_and_drop_it_after_keepRetired() throws Exception {
        RSAKey k1 = rsa("k1");
        RSAKey k2 = rsa("k2");
        KeySnapshot first = KeySnapshot.fromFetch(set(k1), 1000, null, HOUR);
        KeySnapshot second = KeySnapshot.fromFetch(set(k2), 2000, first, HOUR);
        KeySnapshot.Key retired = second.keys("k1").get(0);
        assertTrue(retired.retired());
        assertEquals(2000, retired.removedAt());
        assertEquals(1, second.publishedCount());

        KeySnapshot third = KeySnapshot.fromFetch(set(k2), 2000 + HOUR, second, HOUR);
        assertEquals(2000, third.keys("k1").get(0).removedAt(), "the removal time is the first miss, not the latest");
        KeySnapshot fourth = KeySnapshot.fromFetch(set(k2), 2001 + HOUR, third, HOUR);
        assertFalse(fourth.knows("k1"), "dropped once retired longer than keepRetired");
    }

    @Test
    void should_treat_a_kid_reused_for_a_new_key_as_a_new_key() throws Exception {
        RSAKey before = rsa("same");
        RSAKey after = rsa("same");
        KeySnapshot first = KeySnapshot.fromFetch(set(before), 1000, null, HOUR);
        KeySnapshot second = KeySnapshot.fromFetch(set(after), 2000, first, HOUR);
        List<KeySnapshot.Key> keys = second.keys("same");
        assertEquals(2, keys.size());
        assertEquals(1, keys.stream().filter(KeySnapshot.Key::retired).count());
    }

    @Test
    void should_fit_a_key_only_to_its_own_algorithm() throws Exception {
        RSAKey pinned = new RSAKeyGenerator(2048).keyID("pinned").algorithm(JWSAlgorithm.PS256).generate();
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("ec").generate();
        KeySnapshot snapshot = KeySnapshot.fromFetch(set(pinned, ec), 1000, null, HOUR);
        assertTrue(snapshot.keys("pinned").get(0).fits(JWSAlgorithm.PS256));
        assertFalse(snapshot.keys("pinned").get(0).fits(JWSAlgorithm.RS256), "the key's own alg wins");
        assertTrue(snapshot.keys("ec").get(0).fits(JWSAlgorithm.ES256));
        assertFalse(snapshot.keys("ec").get(0).fits(JWSAlgorithm.RS256));
        assertFalse(snapshot.keys("ec").get(0).fits(JWSAlgorithm.ES384), "a P-256 key verifies ES256 only");
    }
}
