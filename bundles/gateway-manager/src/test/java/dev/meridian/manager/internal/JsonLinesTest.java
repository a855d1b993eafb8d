package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesTest {

    @TempDir
    Path dir;

    @Test
    void should_read_back_appended_lines_and_skip_a_line_cut_short() throws Exception {
        Path file = dir.resolve("book.jsonl");
        JsonLines lines = new JsonLines(file);
        assertEquals(List.of(), lines.read());
        lines.append(List.of("{\"a\":1}", "{\"b\":2}"));
        lines.close();
        Files.writeString(file, "{\"c\":", StandardCharsets.UTF_8, StandardOpenOption.APPEND); // a crash mid-write

        JsonLines reopened = new JsonLines(file);
        assertEquals(List.of("{\"a\":1}", "{\"b\":2}"), reopened.read());
        assertEquals(2, reopened.lines());
    }

    @Test
    void should_replace_the_whole_file_when_rewritten_and_append_after_it() throws Exception {
        Path file = dir.resolve("book.jsonl");
        JsonLines lines = new JsonLines(file);
        lines.read();
        lines.append(List.of("1", "2", "3"));
        lines.rewrite(List.of("3"));
        lines.append(List.of("4"));
        assertEquals(2, lines.lines());
        lines.close();
        assertEquals(List.of("3", "4"), new JsonLines(file).read());
        assertEquals(false, Files.exists(dir.resolve("book.jsonl.tmp")));
    }

    @Test
    void should_refuse_a_record_of_more_than_one_line() throws Exception {
        JsonLines lines = new JsonLines(dir.resolve("book.jsonl"));
        assertThrows(IllegalArgumentException.class, () -> lines.append(List.of("{\n}")));
    }
}
