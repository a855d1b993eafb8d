package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small tmpfs disks for tests of full disks (as root: {@code mount -t tmpfs}), filled to the last
 * page and freed again. Where mounting is refused, the directory is still created (a plain one)
 * and {@link #mount} says why, for an assumption.
 */
final class Tmpfs {

    private Tmpfs() {
    }

    /** Mounts a tmpfs of {@code size} (as {@code mount} reads it: {@code 512k}, {@code 32m}) on {@code dir}; null, or why not. */
    static String mount(Path dir, String size) {
        try {
            run("umount", "-l", dir.toString()); // a mount left by a killed run
            Files.createDirectories(dir);
            String result = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
            return result == null ? null : "mount -t tmpfs on " + dir + " failed: " + result;
        } catch (IOException | InterruptedException e) {
            return "mount -t tmpfs failed: " + e;
        }
    }

    /** Unmounts {@code dir}, lazily: a node stopped after this may still hold a file there. */
    static void unmount(Path dir) {
        try {
            run("umount", "-l", dir.toString());
        } catch (IOException | InterruptedException e) {
            System.out.println("umount " + dir + " failed: " + e);
        }
    }

    /** Writes zeros into {@code dir}/filler until the file system refuses: full to the last page. */
    static Path fill(Path dir) throws IOException {
        Path filler = dir.resolve("filler");
        byte[] page = new byte[4096];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(page);
            }
        } catch (IOException full) {
            assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
        }
        return filler;
    }

    /** Runs a command; null when it exited 0, else its output. */
    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return p.waitFor() == 0 ? null : "exit " + p.exitValue() + ": " + out;
    }
}
