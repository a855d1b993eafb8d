package dev.meridian.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** {@code VENDORED.md} is the truth about {@code console/vendor/}: every file listed, every hash right. */
class VendoredFilesTest {

    private static final Path VENDOR = Path.of("src/main/resources/console/vendor");
    private static final Pattern ROW = Pattern.compile(
        "^\\| `([^`]+)` \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\| (https://registry\\.npmjs\\.org/\\S+\\.tgz) `package/([^`]+)` \\| `([0-9a-f]{64})` \\|$");

    @Test
    void should_list_every_vendored_file_with_its_sha256() throws Exception {
        Map<String, String> listed = listed();
        assertFalse(listed.isEmpty(), "no rows read from VENDORED.md");
        TreeSet<String> present = new TreeSet<>();
        try (Stream<Path> files = Files.walk(VENDOR)) {
            files.filter(Files::isRegularFile).forEach(p -> present.add(VENDOR.relativize(p).toString().replace('\\', '/')));
        }
        assertEquals(new TreeSet<>(listed.keySet()), present, "files in vendor/ and rows of VENDORED.md differ");
        for (Map.Entry<String, String> e : listed.entrySet()) {
            assertEquals(e.getValue(), sha256(VENDOR.resolve(e.getKey())), e.getKey() + " changed since it was vendored");
        }
    }

    @Test
    void should_keep_each_package_licence_beside_its_files() throws Exception {
        for (String pkg : new String[] {"htm-3.1.1", "uplot-1.6.32", "diff-9.0.0", "preact-10.5.13"}) {
            assertTrue(Files.isRegularFile(VENDOR.resolve(pkg).resolve("LICENSE")), pkg);
        }
        assertTrue(Files.readString(VENDOR.resolve("uplot-1.6.32/dist/uPlot.esm.js")).startsWith("/**\n* Copyright (c) 2025, Leon Sorokin"));
    }

    private static Map<String, String> listed() throws IOException {
        Map<String, String> rows = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("VENDORED.md"))) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                String file = m.group(1);
                String pkgDir = m.group(2).trim() + "-" + m.group(3).trim();
                assertEquals(pkgDir + "/" + m.group(6), file, "a file's place must name its package, version and tarball path");
                assertTrue(m.group(5).endsWith("/" + m.group(2).trim() + "-" + m.group(3).trim() + ".tgz"), line);
                rows.put(file, m.group(7));
            }
        }
        return rows;
    }

    private static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
