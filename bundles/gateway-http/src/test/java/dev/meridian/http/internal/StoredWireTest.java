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

    @Test
    void should_leave_out_the_fields_the_gateway_stamps_on_every_answer() {
        List<Map.Entry<String, String>> entry = List.of(Map.entry("x-cache", "HIT from cdn"),
            Map.entry("X-Request-Id", "upstream-1"), Map.entry("x-meridian-revision", "99"), Map.entry("X-Cache-Key", "k"),
            Map.entry("Content-Length", "2"));
        StoredWire.Prepared p = StoredWire.prepare(entry);
        assertEquals(List.of("X-Cache-Key: k", "Content-Length: 2"),
            Arrays.stream(p.fields()).map(f -> f.getName() + ": " + f.getValue()).toList(),
            "the hit appends the gateway's own; a field of another name that starts alike stays");
        assertEquals(2, p.fields()[1].getLongValue());
        assertEquals(null, p.date(), "no stored Date: the hit adds the server's");
    }
}
