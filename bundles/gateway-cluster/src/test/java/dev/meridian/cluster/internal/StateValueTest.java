package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The stored form of a shared-state value: one rule a test. */
class StateValueTest {

    @Test
    void should_read_back_bytes_and_counters_as_written() {
        byte[] payload = "{\"keys\":[]}".getBytes(StandardCharsets.UTF_8);
        StateValue bytes = StateValue.decode(StateValue.bytes(payload, 1234).encode());
        assertArrayEquals(payload, bytes.payload());
        assertEquals(1234, bytes.expiresAt());
        assertFalse(bytes.isCounter());

        StateValue counter = StateValue.decode(StateValue.counter(-42, 0).encode());
        assertTrue(counter.isCounter());
        assertEquals(-42, counter.count());
        assertEquals(8, counter.payload().length, "a counter reads as 8 bytes");

        assertArrayEquals(new byte[0], StateValue.decode(StateValue.bytes(new byte[0], 0).encode()).payload());
    }

    @Test
    void should_refuse_what_is_not_a_value_of_this_format() {
        assertThrows(IllegalArgumentException.class, () -> StateValue.decode(new byte[3]));
        byte[] other = StateValue.bytes(new byte[] {1}, 0).encode();
        other[0] = 2;
        assertThrows(IllegalArgumentException.class, () -> StateValue.decode(other), "another format");
        byte[] kind = StateValue.bytes(new byte[] {1}, 0).encode();
        kind[1] = 9;
        assertThrows(IllegalArgumentException.class, () -> StateValue.decode(kind), "an unknown kind");
        byte[] shortCounter = StateValue.counter(1, 0).encode();
        assertThrows(IllegalArgumentException.class,
            () -> StateValue.decode(java.util.Arrays.copyOf(shortCounter, shortCounter.length - 1)), "a counter of 7 bytes");
    }

    @Test
    void should_expire_from_its_expiry_on_and_never_without_one() {
        StateValue value = StateValue.bytes(new byte[0], 1_000);
        assertFalse(value.expired(999));
        assertTrue(value.expired(1_000), "absent from the expiry itself");
        assertFalse(StateValue.bytes(new byte[0], 0).expired(Long.MAX_VALUE), "0: never");
        assertEquals(0, StateValue.expiry(5_000, 0));
        assertEquals(5_250, StateValue.expiry(5_000, 250));
    }

    @Test
    void should_let_hazelcast_keep_an_entry_a_second_past_its_expiry() {
        assertEquals(0, StateValue.hazelcastTtlMillis(0, 5_000), "forever stays forever");
        assertEquals(1_250, StateValue.hazelcastTtlMillis(5_250, 5_000));
        assertEquals(1_001, StateValue.hazelcastTtlMillis(4_000, 5_000), "already past: at least a millisecond");
    }
}
