package dev.meridian.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** The shipped files themselves: typed, free of inline script and style, importable without a bundler. */
class ConsoleResourcesTest {

    private static final Path ROOT = Path.of("src/main/resources/console");
    /** Static imports and re-exports at the start of a statement (not "from" inside a string). */
    private static final Pattern IMPORT = Pattern.compile("(?m)^\\s*(?:import|export)\\b[^;'\"`]*?\\bfrom\\s*['\"]([^'\"]+)['\"]|^\\s*import\\s*['\"]([^'\"]+)['\"]");

    private static Map<String, byte[]> shipped() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(ROOT)) {
            walk.filter(Files::isRegularFile).forEach(p -> {
                try {
                    files.put(ROOT.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return files;
    }

    @Test
    void should_give_every_shipped_file_a_real_media_type() throws Exception {
        ConsoleFiles files = ConsoleFiles.of(shipped());
        assertTrue(files.get(ConsoleFiles.INDEX).isPresent());
        shipped().keySet().forEach(p -> assertNotEquals("application/octet-stream", ConsoleFiles.contentType(p), p));
    }

    @Test
    void should_have_no_inline_script_or_style_in_any_page() throws Exception {
        for (Map.Entry<String, byte[]> e : shipped().entrySet()) {
            if (!e.getKey().endsWith(".html")) {
                continue;
            }
            String html = new String(e.getValue(), StandardCharsets.UTF_8);
            Matcher scripts = Pattern.compile("<script([^>]*)>([\\s\\S]*?)</script>", Pattern.CASE_INSENSITIVE).matcher(html);
            while (scripts.find()) {
                assertTrue(scripts.group(1).contains("src="), e.getKey() + ": inline script");
                assertEquals("", scripts.group(2).trim(), e.getKey() + ": inline script body");
            }
            assertFalse(Pattern.compile("<style", Pattern.CASE_INSENSITIVE).matcher(html).find(), e.getKey() + ": <style>");
            assertFalse(Pattern.compile("\\sstyle\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), e.getKey() + ": style=");
            assertFalse(Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), e.getKey() + ": on*= handler");
            assertFalse(html.contains("javascript:"), e.getKey());
        }
    }

    @Test
    void should_import_only_relative_modules_so_no_bundler_is_needed() throws Exception {
        for (Map.Entry<String, byte[]> e : shipped().entrySet()) {
            if (!e.getKey().endsWith(".js")) {
                continue;
            }
            Matcher m = IMPORT.matcher(new String(e.getValue(), StandardCharsets.UTF_8));
            while (m.find()) {
                String spec = m.group(1) != null ? m.group(1) : m.group(2);
                assertTrue(spec.startsWith("./") || spec.startsWith("../"), e.getKey() + " imports '" + spec + "'");
                Path target = ROOT.resolve(e.getKey()).getParent().resolve(spec).normalize();
                assertTrue(Files.isRegularFile(target), e.getKey() + " imports missing " + spec);
            }
        }
    }

    @Test
    void should_use_no_inline_event_handlers_or_eval_in_the_app() throws Exception {
        for (Map.Entry<String, byte[]> e : shipped().entrySet()) {
            if (!e.getKey().startsWith("js/")) {
                continue;
            }
            String js = new String(e.getValue(), StandardCharsets.UTF_8);
            assertFalse(js.contains("eval("), e.getKey());
            assertFalse(js.contains("new Function"), e.getKey());
            assertFalse(js.contains("innerHTML"), e.getKey());
            assertFalse(js.contains("localStorage"), e.getKey() + ": credentials live in sessionStorage only");
            assertFalse(js.contains("document.cookie"), e.getKey());
        }
    }
}
