package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.tls.CertifiedKey;
import dev.meridian.tls.OpenSsl;

class CertificateSetTest {

    @TempDir
    Path dir;

    @Test
    void should_keep_the_previous_pair_while_a_replacement_is_half_written() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test", "a.test");
        ssl.selfSigned("b", "rsa:2048", "b.test", "b.test");
        TlsDirectory tls = new TlsDirectory(dir);
        CertificateSet first = CertificateSet.EMPTY.next(tls.scan()).set();
        assertEquals(List.of("a", "b"), List.copyOf(first.pairs().keySet()));
        CertifiedKey oldA = first.pairs().get("a");

        // a new certificate for a, its key not written yet: the old key does not match it
        ssl.selfSigned("new", "rsa:2048", "a2.test", "a2.test");
        Files.copy(dir.resolve("new.crt"), dir.resolve("a.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(dir.resolve("new.crt"));
        CertificateSet.Next mismatched = first.next(tls.scan());
        assertSame(oldA, mismatched.set().pairs().get("a"));
        assertEquals(List.of(), mismatched.changes(), "a refusal is no change");
        assertTrue(mismatched.refusals().stream().anyMatch(e -> e.startsWith("refused a (the key does not match")), mismatched.refusals()::toString);
        assertTrue(mismatched.refusals().stream().anyMatch(e -> e.startsWith("refused new (new.crt is missing")), mismatched.refusals()::toString);

        // the key half written
        String key = Files.readString(dir.resolve("new.key"));
        Files.writeString(dir.resolve("a.key"), key.substring(0, key.length() / 2));
        assertSame(oldA, first.next(tls.scan()).set().pairs().get("a"));

        // both files complete: replaced
        Files.move(dir.resolve("new.key"), dir.resolve("a.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CertificateSet.Next replaced = first.next(tls.scan());
        assertEquals(List.of("a2.test"), replaced.set().pairs().get("a").names());
        assertTrue(replaced.changed(first));
        assertEquals(List.of("replaced a [a2.test]"), replaced.changes());
        assertEquals(List.of(), replaced.refusals());
    }

    @Test
    void should_add_and_remove_pairs_but_never_empty_the_set() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("b", "rsa:2048", "b.test", "b.test");
        TlsDirectory tls = new TlsDirectory(dir);
        CertificateSet one = CertificateSet.EMPTY.next(tls.scan()).set();
        assertEquals("b", one.defaultName());
        ssl.selfSigned("default", "rsa:2048", "d.test", "d.test");
        CertificateSet two = one.next(tls.scan()).set();
        assertEquals("default", two.defaultName(), "default.crt wins over name order");
        Files.delete(dir.resolve("b.crt"));
        Files.delete(dir.resolve("b.key"));
        CertificateSet.Next removed = two.next(tls.scan());
        assertEquals(List.of("default"), List.copyOf(removed.set().pairs().keySet()));
        assertEquals(List.of("removed b"), removed.changes());
        Files.delete(dir.resolve("default.crt"));
        Files.delete(dir.resolve("default.key"));
        CertificateSet.Next none = removed.set().next(tls.scan());
        assertSame(removed.set(), none.set());
        assertEquals(List.of("no loadable pair left; keeping the last ones"), none.refusals());
        assertFalse(none.changed(removed.set()));
    }

    @Test
    void should_notice_a_change_by_the_fingerprint_and_nothing_else() throws Exception {
        OpenSsl ssl = new OpenSsl(dir);
        ssl.selfSigned("a", "rsa:2048", "a.test");
        TlsDirectory tls = new TlsDirectory(dir);
        String before = tls.fingerprint();
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        assertEquals(before, tls.fingerprint());
        Files.writeString(dir.resolve("a.key"), Files.readString(dir.resolve("a.key")) + "\n");
        assertFalse(before.equals(tls.fingerprint()));
        assertEquals(Map.of(), new TlsDirectory(dir.resolve("missing")).scan());
    }
}
