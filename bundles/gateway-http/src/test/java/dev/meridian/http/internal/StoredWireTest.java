package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.eclipse.jetty.http.HttpField;
import org.junit.jupiter.api.Test;

class StoredWireTest {

    @Test
    void should_prepare_an_entry_once_and_keep_names_and_values_byte_for_byte() {
        StoredWire wire = new StoredWire();
        List<Map.Entry<String, String>> entry = List.of(Map.entry("content-TYPE", "Text/Plain"),
            Map.entry("Date", "Wed, 02 Dec 2026 07:00:00 GMT"), Map.entry("Server", "origin"), Map.entry("Age", "5"),
            Map.entry("Meridian-Cache-Control", "max-age=60"), Map.entry("X-Custom", "MaX-aGe=3600"),
            Map.entry("Set-Cookie", "a=1"), Map.entry("Set-Cookie", "b=2"));
        StoredWire.Prepared p = wire.of(entry);
        assertSame(p, wire.of(entry));
        assertEquals("Wed, 02 Dec 2026 07:00:00 GMT", p.date().getValue());
        assertEquals(List.of("content-TYPE: Text/Plain", "X-Custom: MaX-aGe=3600", "Set-Cookie: a=1", "Set-Cookie: b=2"),
            Arrays.stream(p.fields()).map(f -> f.getName() + ": " + f.getValue()).toList());
    }

    @Test
    void should_prepare_again_for_an_equal_but_other_entry() {
        StoredWire wire = new StoredWire();
        List<Map.Entry<String, String>> a = new ArrayList<>(List.of(Map.entry("X-A", "1")));
        List<Map.Entry<String, String>> b = new ArrayList<>(List.of(Map.entry("X-A", "1")));
        StoredWire.Prepared pa = wire.of(a);
        StoredWire.Prepared pb = wire.of(b);
        assertNotSame(pa, pb);
        assertSame(b, pb.key());
        HttpField f = pb.fields()[0];
        assertEquals("X-A", f.getName());
    }
}
