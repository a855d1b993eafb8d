package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ClusterSealTest {

    private final ClusterSeal seal = ClusterSeal.of("s3cret-of-this-cluster");
    private final ClusterSeal other = ClusterSeal.of("another-secret");

    @Test
    void should_open_what_it_sealed_and_refuse_another_secret_another_place_or_a_change() {
        String sealed = seal.seal("revision:7", "{\"apis\":[]}");
        assertTrue(sealed.startsWith("s1."), sealed);
        assertEquals("{\"apis\":[]}", seal.open("revision:7", sealed));
        assertThrows(ClusterSeal.Forged.class, () -> other.open("revision:7", sealed));
        assertThrows(ClusterSeal.Forged.class, () -> seal.open("revision:8", sealed), "moved to another number");
        assertThrows(ClusterSeal.Forged.class, () -> seal.open("revision:7", sealed.replace("[]", "[1]")));
        assertThrows(ClusterSeal.Forged.class, () -> seal.open("revision:7", "{\"apis\":[]}"), "unsealed");
        assertThrows(ClusterSeal.Forged.class, () -> seal.open("revision:7", "s1.!!!."), "garbage");
        assertEquals("", seal.open("x", seal.seal("x", "")));
        assertEquals("ünïcödé ✓", seal.open("x", seal.seal("x", "ünïcödé ✓")));
    }

    @Test
    void should_append_a_tag_to_bytes_leaving_the_front_as_it_was() {
        byte[] value = "HTTP/1.1 200 OK".getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = seal.seal("cache:m\0/k", value);
        assertEquals(value.length + ClusterSeal.TAG_BYTES, sealed.length);
        for (int i = 0; i < value.length; i++) {
            assertEquals(value[i], sealed[i]);
        }
        assertArrayEquals(value, seal.open("cache:m\0/k", sealed));
        assertArrayEquals(sealed, seal.seal("cache:m\0/k", value), "deterministic: a conditional remove finds the stored bytes");
        assertThrows(ClusterSeal.Forged.class, () -> seal.open("cache:m\0/other", sealed));
        assertThrows(ClusterSeal.Forged.class, () -> other.open("cache:m\0/k", sealed));
        sealed[0] ^= 1;
        assertThrows(ClusterSeal.Forged.class, () -> seal.open("cache:m\0/k", sealed));
        assertThrows(ClusterSeal.Forged.class, () -> seal.open("cache:m\0/k", new byte[3]));
    }

    @Test
    void should_be_an_identity_without_a_secret() {
        ClusterSeal none = ClusterSeal.of("  ");
        assertFalse(none.enabled());
        byte[] v = {1, 2, 3};
        assertSame(v, none.seal("c", v));
        assertEquals("p", none.open("c", none.seal("c", "p")));
        assertNull(none.proof("cluster", "n1"));
        assertFalse(none.verifies("cluster", "n1", seal.proof("cluster", "n1")));
    }

    @Test
    void should_prove_a_member_by_its_cluster_and_name() {
        String proof = seal.proof("prod", "n1");
        assertTrue(seal.verifies("prod", "n1", proof));
        assertFalse(seal.verifies("prod", "n2", proof), "another node's proof");
        assertFalse(seal.verifies("staging", "n1", proof));
        assertFalse(other.verifies("prod", "n1", proof));
        assertFalse(seal.verifies("prod", "n1", null));
        assertNotEquals(proof, other.proof("prod", "n1"));
    }
}
