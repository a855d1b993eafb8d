package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeployFileReaderTest {

    @TempDir
    Path dir;
    private final AtomicLong now = new AtomicLong(System.currentTimeMillis() + 10_000);
    private final DeployFileReader reader = new DeployFileReader(100, Duration.ofMillis(500), now::get);

    private Path file(String name, String content) throws Exception {
        Path f = Files.writeString(dir.resolve(name), content);
        Files.setLastModifiedTime(f, FileTime.fromMillis(now.get() - 1_000));
        return f;
    }

    @Test
    void should_read_a_settled_regular_file() throws Exception {
        Path f = file("a.api.yaml", "id: a\n");

        DeployFileReader.Content c = reader.read(f);

        assertArrayEquals("id: a\n".getBytes(StandardCharsets.UTF_8), c.bytes());
        assertFalse(DeployFileReader.changedSince(f, c));
    }

    @Test
    void should_refuse_a_file_over_the_cap_naming_size_and_cap() throws Exception {
        Path f = file("big.api.yaml", "x".repeat(101));

        DeployFileReader.Refused e = assertThrows(DeployFileReader.Refused.class, () -> reader.read(f));

        assertTrue(e.getMessage().contains("101 bytes") && e.getMessage().contains("MERIDIAN_DEPLOY_MAX_BYTES (100)"), e.getMessage());
    }

    @Test
    void should_accept_a_file_at_the_cap() throws Exception {
        assertEquals(100, reader.read(file("max.api.yaml", "x".repeat(100))).bytes().length);
    }

    @Test
    void should_refuse_a_symlink_even_to_a_good_file() throws Exception {
        Path target = file("real.yaml", "id: a\n");
        Path link = Files.createSymbolicLink(dir.resolve("l.api.yaml"), target);

        DeployFileReader.Refused e = assertThrows(DeployFileReader.Refused.class, () -> reader.read(link));

        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }

    @Test
    void should_refuse_a_directory() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d.api.yaml"));

        assertThrows(DeployFileReader.Refused.class, () -> reader.read(d));
    }

    @Test
    void should_wait_for_a_file_written_less_than_the_settle_delay_ago() throws Exception {
        Path f = file("young.api.yaml", "id: a\n");
        Files.setLastModifiedTime(f, FileTime.fromMillis(now.get() - 100));

        assertThrows(DeployFileReader.Unsettled.class, () -> reader.read(f));

        now.addAndGet(500);
        assertEquals(6, reader.read(f).bytes().length);
    }

    @Test
    void should_see_a_file_that_changed_after_it_was_read() throws Exception {
        Path f = file("grows.api.yaml", "id: a\n");
        DeployFileReader.Content c = reader.read(f);

        Files.writeString(f, "id: a\nbasePath: /a\n");

        assertTrue(DeployFileReader.changedSince(f, c));
    }

    @Test
    void should_say_a_missing_file_is_gone() {
        assertThrows(NoSuchFileException.class, () -> reader.read(dir.resolve("none.api.yaml")));
    }
}
