package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.cluster.SharedRecords;
import dev.meridian.manager.AdminException;

/** Two stores over one in-memory book stand for two nodes; the e2e test has the real cluster. */
class TokenStoreTest {

    /** The book as Hazelcast's map behaves for it: atomic putIfAbsent and replace, every write announced. */
    static final class Book implements SharedRecords {
        final Map<String, String> map = new ConcurrentHashMap<>();
        final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();

        @Override
        public Optional<String> putIfAbsent(String key, String json) {
            String there = map.putIfAbsent(key, json);
            if (there == null) {
                listeners.forEach(l -> l.accept(key, json));
            }
            return Optional.ofNullable(there);
        }

        @Override
        public boolean replace(String key, String expected, String json) {
            boolean done = map.replace(key, expected, json);
            if (done) {
                listeners.forEach(l -> l.accept(key, json));
            }
            return done;
        }

        @Override
        public Optional<String> get(String key) {
            return Optional.ofNullable(map.get(key));
        }

        @Override
        public Map<String, String> all() {
            return Map.copyOf(map);
        }

        @Override
        public void forget(String key) {
            map.remove(key);
        }

        @Override
        public AutoCloseable onWrite(BiConsumer<String, String> listener) {
            listeners.add(listener);
            return () -> listeners.remove(listener);
        }
    }

    @TempDir
    Path dir;

    private final Book book = new Book();
    private final List<TokenStore> started = new CopyOnWriteArrayList<>();

    private TokenStore node(String name) throws Exception {
        TokenStore s = new TokenStore(book);
        s.start(dir.resolve(name).resolve("tokens.jsonl"));
        started.add(s);
        return s;
    }

    @AfterEach
    void stop() throws Exception {
        for (TokenStore s : started) {
            s.stop();
        }
    }

    @Test
    void should_verify_a_created_token_on_every_node_and_refuse_its_name_twice() throws Exception {
        TokenStore one = node("one");
        TokenStore two = node("two");
        TokenStore.Issued issued = one.create("ci", "operator", "30d");

        assertEquals(Role.OPERATOR, one.verify(null, issued.secret()).orElseThrow().role());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> two.verify("ci", issued.secret()).isPresent());
        assertTrue(two.verify("other", issued.secret()).isEmpty(), "the name must match when given");
        assertTrue(two.verify(null, issued.secret() + "x").isEmpty());
        assertEquals(409, assertThrows(AdminException.class, () -> two.create("ci", "viewer", null)).status());
        assertEquals(422, assertThrows(AdminException.class, () -> two.create("admin", "viewer", null)).status());
        assertEquals(422, assertThrows(AdminException.class, () -> two.create("x", "root", null)).status());
        assertFalse(Files.readString(dir.resolve("one/tokens.jsonl")).contains(issued.secret()), "only the hash on disk");
    }

    @Test
    void should_revoke_on_every_node_and_keep_it_revoked_when_a_node_that_missed_it_comes_back() throws Exception {
        TokenStore one = node("one");
        TokenStore two = node("two");
        TokenStore.Issued issued = one.create("ci", "viewer", "1h");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> two.verify(null, issued.secret()).isPresent());
        two.stop();
        started.remove(two);

        one.revoke("ci");
        assertTrue(one.verify(null, issued.secret()).isEmpty());
        one.stop();
        started.remove(one);
        book.map.clear(); // a full restart: the cluster forgot everything
        book.listeners.clear();

        TokenStore back = node("two"); // its disk still holds the usable token
        TokenStore oneAgain = node("one");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> back.verify(null, issued.secret()).isEmpty());
        assertTrue(oneAgain.verify(null, issued.secret()).isEmpty());
        assertEquals(List.of(), back.list());
        assertEquals(404, assertThrows(AdminException.class, () -> back.revoke("ci")).status());
        TokenStore.Issued again = back.create("ci", "admin", null);
        Awaitility.await("a revoked name issued again").atMost(Duration.ofSeconds(5))
            .until(() -> oneAgain.verify(null, again.secret()).map(Token::role).orElse(null) == Role.ADMIN);
    }
}
