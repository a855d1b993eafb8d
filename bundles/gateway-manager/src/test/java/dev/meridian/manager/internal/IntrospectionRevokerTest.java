package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.meridian.core.SharedStates;
import dev.meridian.manager.AdminException;
import dev.meridian.policy.api.SharedState;

class IntrospectionRevokerTest {

    /** One space in memory with the SharedState contract's compare-and-set and put-if-absent (no TTLs: the list has none). */
    static final class Space implements SharedState {
        final Map<String, byte[]> values = new ConcurrentHashMap<>();

        @Override
        public String name() {
            return IntrospectionRevoker.SPACE;
        }

        @Override
        public Optional<byte[]> peek(String key) {
            return Optional.ofNullable(values.get(key)).map(byte[]::clone);
        }

        @Override
        public CompletionStage<Optional<byte[]>> get(String key) {
            return CompletableFuture.supplyAsync(() -> peek(key));
        }

        @Override
        public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
            return CompletableFuture.runAsync(() -> values.put(key, value.clone()));
        }

        @Override
        public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl) {
            return CompletableFuture.supplyAsync(() -> values.putIfAbsent(key, value.clone()) == null);
        }

        @Override
        public CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl) {
            return CompletableFuture.supplyAsync(() -> {
                boolean[] done = {false};
                values.computeIfPresent(key, (k, old) -> {
                    done[0] = Arrays.equals(old, expected);
                    return done[0] ? value.clone() : old;
                });
                return done[0];
            });
        }

        @Override
        public CompletionStage<Boolean> remove(String key) {
            return CompletableFuture.supplyAsync(() -> values.remove(key) != null);
        }

        @Override
        public CompletionStage<Long> addAndGet(String key, long delta, Duration ttl) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("not a counter space"));
        }

        String text(String key) {
            return new String(values.get(key), StandardCharsets.UTF_8);
        }
    }

    private final Space space = new Space();
    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private final IntrospectionRevoker revoker = new IntrospectionRevoker(now::get);

    {
        SharedStates states = name -> {
            assertEquals(IntrospectionRevoker.SPACE, name);
            return space;
        };
        revoker.bind(states);
    }

    @Test
    void should_write_a_token_as_its_digest_and_bump_the_version() throws Exception {
        IntrospectionRevoker.Answer a = revoker.revoke(IntrospectionRevoker.request(Map.of("token", "secret-token")));

        String digest = IntrospectionRevoker.sha256("secret-token");
        assertEquals("meridian-revocations 1 1\ntoken 1800000000000 " + digest + "\n", space.text("list"));
        assertEquals("1", space.text("version"));
        assertEquals(200, a.status());
        assertEquals(digest, a.tree().get("sha256"));
        assertFalse(a.summary().contains("secret-token"));
        assertFalse(a.tree().toString().contains("secret-token"));
    }

    @Test
    void should_append_subjects_and_clients_url_encoded() throws Exception {
        revoker.revoke(IntrospectionRevoker.request(Map.of("subject", "al ice")));
        now.addAndGet(1);
        revoker.revoke(IntrospectionRevoker.request(Map.of("client", "batch/1")));

        assertEquals("meridian-revocations 1 2\nsub 1800000000000 al+ice\nclient 1800000000001 batch%2F1\n", space.text("list"));
        assertEquals("2", space.text("version"));
    }

    @Test
    void should_replace_a_repeated_revocation_and_prune_those_older_than_a_day() throws Exception {
        revoker.revoke(IntrospectionRevoker.request(Map.of("subject", "alice")));
        revoker.revoke(IntrospectionRevoker.request(Map.of("subject", "bob")));
        now.addAndGet(Duration.ofHours(1).toMillis());
        revoker.revoke(IntrospectionRevoker.request(Map.of("subject", "alice")));
        assertEquals("meridian-revocations 1 3\nsub 1800000000000 bob\nsub 1800003600000 alice\n", space.text("list"));

        now.addAndGet(Duration.ofHours(23).toMillis());
        revoker.revoke(IntrospectionRevoker.request(Map.of("client", "c")));

        assertEquals("meridian-revocations 1 4\nsub 1800003600000 alice\nclient 1800086400000 c\n", space.text("list"));
    }

    @Test
    void should_keep_every_revocation_of_concurrent_writers() throws Exception {
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String subject = "user-" + i;
            writers.add(CompletableFuture.runAsync(() -> {
                try {
                    revoker.revoke(IntrospectionRevoker.request(Map.of("subject", subject)));
                } catch (AdminException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get();

        String list = space.text("list");
        for (int i = 0; i < 8; i++) {
            assertTrue(list.contains(" user-" + i + "\n"), list);
        }
        assertTrue(list.startsWith("meridian-revocations 1 8\n"), list);
    }

    @Test
    void should_refuse_anything_but_one_named_string() {
        for (Object body : List.of(Map.of(), Map.of("token", "a", "subject", "b"), Map.of("sub", "x"), Map.of("token", 5),
            Map.of("subject", " "), Map.of("client", "a\nb"), List.of("token"))) {
            AdminException e = assertThrows(AdminException.class, () -> IntrospectionRevoker.request(body), body::toString);
            assertEquals(422, e.status());
        }
    }

    @Test
    void should_answer_503_without_the_cluster_state() {
        IntrospectionRevoker alone = new IntrospectionRevoker(now::get);

        AdminException e = assertThrows(AdminException.class, () -> alone.revoke(IntrospectionRevoker.request(Map.of("client", "c"))));
        assertEquals(503, e.status());
    }
}
