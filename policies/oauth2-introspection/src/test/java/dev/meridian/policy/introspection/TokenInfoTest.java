package dev.meridian.policy.introspection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

class TokenInfoTest {

    @Test
    void should_read_back_what_it_encodes() {
        TokenInfo info = new TokenInfo(true, "alice", "app-1", "al", "a b", 1_800_000_100L, 1_800_000_000L, 1_799_999_999_000L);

        assertEquals(Optional.of(info), TokenInfo.decode(info.encode()));
    }

    @Test
    void should_cut_long_claims_to_4096_characters() {
        TokenInfo info = new TokenInfo(true, "x".repeat(10_000), "", "", "", 0, 0, 0);

        assertEquals(TokenInfo.MAX_CLAIM, TokenInfo.decode(info.encode()).orElseThrow().sub().length());
    }

    @Test
    void should_ignore_what_it_did_not_write() {
        byte[] good = new TokenInfo(true, "alice", "", "", "", 0, 0, 0).encode();
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        byte[] cut = Arrays.copyOf(good, good.length - 1);
        byte[] otherVersion = good.clone();
        otherVersion[0] = 2;

        assertEquals(Optional.empty(), TokenInfo.decode(new byte[0]));
        assertEquals(Optional.empty(), TokenInfo.decode("n1".getBytes()));
        assertEquals(Optional.empty(), TokenInfo.decode(trailing));
        assertEquals(Optional.empty(), TokenInfo.decode(cut));
        assertEquals(Optional.empty(), TokenInfo.decode(otherVersion));
    }

    @Test
    void should_grant_only_scopes_it_lists_exactly() {
        TokenInfo info = new TokenInfo(true, "", "", "", "orders:read  orders:write", 0, 0, 0);

        assertTrue(info.hasScopes(Set.of()));
        assertTrue(info.hasScopes(Set.of("orders:read", "orders:write")));
        assertFalse(info.hasScopes(Set.of("orders")));
        assertFalse(info.hasScopes(Set.of("ORDERS:READ")));
    }

    @Test
    void should_expire_at_exp_and_never_without_it() {
        TokenInfo withExp = new TokenInfo(true, "", "", "", "", 100, 0, 0);
        TokenInfo without = new TokenInfo(true, "", "", "", "", 0, 0, 0);

        assertFalse(withExp.expired(99_999));
        assertTrue(withExp.expired(100_000));
        assertFalse(without.expired(Long.MAX_VALUE));
    }
}
