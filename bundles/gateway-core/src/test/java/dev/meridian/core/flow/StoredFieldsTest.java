package dev.meridian.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class StoredFieldsTest {

    private final List<Map.Entry<String, String>> entry = List.of(Map.entry("Content-Type", "text/plain"),
        Map.entry("Age", "100"), Map.entry("Vary", "Accept"), Map.entry("vary", "Origin"), Map.entry("ETag", "\"1\""));

    private static List<String> lines(Fields f) {
        List<String> out = new ArrayList<>();
        f.forEach((n, v) -> out.add(n + ": " + v));
        return out;
    }

    @Test
    void should_read_the_stored_fields_with_this_hits_age_instead_of_the_stored_one() {
        StoredFields f = new StoredFields(entry, "7");
        assertEquals(List.of("Content-Type: text/plain", "Vary: Accept", "vary: Origin", "ETag: \"1\"", "Age: 7"), lines(f));
        assertEquals("7", f.first("age"));
        assertEquals(List.of("7"), f.all("AGE"));
        assertEquals(List.of("Accept", "Origin"), f.all("VARY"));
        assertEquals("text/plain", f.first("content-type"));
        assertNull(f.first("X-Missing"));
        assertSame(entry, f.unchanged());
    }

    @Test
    void should_copy_on_the_first_change_and_leave_the_entry_alone() {
        StoredFields f = new StoredFields(entry, "7");
        f.set("X-Policy", "on");
        f.remove("Vary");
        assertNull(f.unchanged());
        assertEquals(List.of("Content-Type: text/plain", "ETag: \"1\"", "Age: 7", "X-Policy: on"), lines(f));
        assertEquals(5, entry.size());
        assertEquals("Accept", new StoredFields(entry, null).first("Vary"));
    }

    @Test
    void should_have_no_age_when_none_was_given() {
        StoredFields f = new StoredFields(entry, null);
        assertNull(f.first("Age"));
        assertEquals(List.of(), f.all("Age"));
        assertEquals(4, lines(f).size());
    }
}
