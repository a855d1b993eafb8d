package dev.meridian.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WebConsoleTabTest {

    @Test
    void should_link_to_the_console_on_the_same_port() throws Exception {
        FakeHttp r = FakeHttp.get(new WebConsoleTab(), "/system/console/meridian");
        assertEquals(200, r.status);
        assertEquals("text/html; charset=utf-8", r.headers.get("Content-Type"));
        assertTrue(r.text().contains("<a href=\"/console/\""), r.text());
    }
}
