package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.HazelcastSerializationException;

/**
 * A member configured as Meridian configures one ({@link HazelcastMembership#config}) refuses
 * to deserialize a class that is not Meridian's, whoever stored it, and still reads Meridian's
 * own messages (the cache's, the queries' task) and the JDK values they carry.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeserializationFilterTest {

    private static HazelcastInstance member;

    @BeforeAll
    static void start() {
        ClusterSettings s = new ClusterSettings("filter-test-" + UUID.randomUUID(), "f1", "default", "127.0.0.1", 5851,
            List.of("127.0.0.1:5851"), "embedded", Duration.ofMinutes(10));
        member = Hazelcast.newHazelcastInstance(HazelcastMembership.config(s, ClusterSeal.of("x")));
    }

    @AfterAll
    static void stop() {
        if (member != null) {
            member.shutdown();
        }
    }

    @Test
    void should_refuse_a_foreign_serializable_class_and_read_meridians_own() {
        IMap<String, Object> m = member.getMap("filter-test");
        m.put("gadget", new org.example.rogue.Gadget("touch /tmp/pwned")); // serialized on the way in
        HazelcastSerializationException refused = assertThrows(HazelcastSerializationException.class, () -> m.get("gadget"));
        assertTrue(String.valueOf(refused.getMessage()).contains("org.example.rogue.Gadget")
            || String.valueOf(refused.getCause()).contains("org.example.rogue.Gadget"), String.valueOf(refused));

        HashMap<Integer, long[]> hashes = new HashMap<>(Map.of(3, new long[] {1, 2}));
        m.put("meridian", new HazelcastCacheStore.UrlBump(hashes, new java.util.HashSet<>(List.of(3)), 5, 6));
        assertEquals(HazelcastCacheStore.UrlBump.class, m.get("meridian").getClass());
        m.put("query", QueryTask.sealed(ClusterSeal.of("x"), "metrics.series", "id", 5, new byte[] {1, 2}));
        QueryTask query = (QueryTask) m.get("query");
        assertEquals("metrics.series", query.topic);
        assertEquals(2 + ClusterSeal.TAG_BYTES, query.sealedQuestion.length);
        m.put("jdk", new HashMap<>(Map.of("k", List.of(1L, "v"))));
        assertEquals(Map.of("k", List.of(1L, "v")), m.get("jdk"));
    }
}
