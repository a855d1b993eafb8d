package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class ErrorBodiesTest {

    @Test
    void should_wrap_message_in_error_object() {
        assertEquals("{\"error\":\"upstream timed out\"}", ErrorBodies.json("upstream timed out"));
        assertEquals("{\"error\":\"\"}", ErrorBodies.json(""));
    }

    @Test
    void should_escape_quotes_and_backslashes() {
        assertEquals("{\"error\":\"say \\\"hi\\\" to C:\\\\dir\"}", ErrorBodies.json("say \"hi\" to C:\\dir"));
    }

    @Test
    void should_escape_control_characters() {
        assertEquals("{\"error\":\"a\\nb\\rc\\td\"}", ErrorBodies.json("a\nb\rc\td"));
        assertEquals("{\"error\":\"\\u0000\\u0001\\u0008\\u001f\"}", ErrorBodies.json("\u0000\u0001\b\u001f"));
    }

    @Test
    void should_keep_non_ascii_and_printable_characters() {
        assertEquals("{\"error\":\"caf\u00e9 / \u20ac <x> '\u007f'\"}", ErrorBodies.json("caf\u00e9 / \u20ac <x> '\u007f'"));
    }

    @Test
    void should_produce_json_that_reads_back_to_the_message() throws Exception {
        StringBuilder every = new StringBuilder();
        for (char c = 0; c < 0x100; c++) {
            every.append(c);
        }
        every.append("\u2028\u2029\uD83D\uDE00");
        String message = every.toString();

        String json = ErrorBodies.json(message);

        assertEquals(message, new ObjectMapper().readTree(json).get("error").asText());
    }
}
