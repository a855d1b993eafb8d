package dev.meridian.shell;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import dev.meridian.manager.AdminException;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Problem;

/**
 * Reads what {@code gateway:apply} is given: one file (one definition or a set), or a directory
 * whose definition files together form one set. Every problem of every file is reported at
 * once, as an {@link AdminException} with the status the admin API would answer (400 when a
 * file cannot be read or parsed, 422 when a definition is invalid, 404 when nothing is there).
 */
final class DefinitionFiles {

    private DefinitionFiles() {
    }

    /** Whether a directory entry is read by {@code apply <dir>}: {@code *.yaml}, {@code *.yml}, {@code *.json}, not hidden. */
    static boolean isDefinitionFile(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return !lower.startsWith(".")
                && (lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json"));
    }

    /** The definition files directly in {@code dir}, sorted by name. */
    static List<Path> collect(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries
                    .filter(entry -> isDefinitionFile(entry.getFileName().toString()))
                    .filter(Files::isRegularFile)
                    .sorted(Comparator.comparing(entry -> entry.getFileName().toString()))
                    .toList();
        }
    }

    /** The definitions in a file or a directory, as one set. */
    static List<ApiDefinition> read(Path path) throws AdminException {
        if (!Files.exists(path)) {
            throw new AdminException(404, "no such file or directory: " + path);
        }
        return Files.isDirectory(path) ? readDirectory(path) : readFile(path);
    }

    /** Definitions sent as bytes (the shell's standard input: {@code gateway:apply -}), read as YAML (JSON is YAML too). */
    static List<ApiDefinition> read(byte[] body, String name) throws AdminException {
        try {
            return DefinitionParser.parse(body, Format.YAML);
        } catch (DefinitionException e) {
            throw new AdminException(status(e), describe(e) + " " + name, e.problems());
        }
    }

    private static List<ApiDefinition> readFile(Path file) throws AdminException {
        try {
            return parse(file);
        } catch (DefinitionException e) {
            throw new AdminException(status(e), describe(e) + " " + file.getFileName(), e.problems());
        }
    }

    private static List<ApiDefinition> readDirectory(Path dir) throws AdminException {
        List<Path> files;
        try {
            files = collect(dir);
        } catch (IOException e) {
            throw new AdminException(400, "cannot list " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new AdminException(404, "no definition files (*.yaml, *.yml, *.json) in " + dir);
        }
        List<Problem> problems = new ArrayList<>();
        boolean malformed = false;
        List<ApiDefinition> all = new ArrayList<>();
        Map<String, String> ids = new HashMap<>();
        Map<String, String> basePaths = new HashMap<>();
        for (Path file : files) {
            String name = file.getFileName().toString();
            List<ApiDefinition> apis;
            try {
                apis = parse(file);
            } catch (DefinitionException e) {
                malformed |= e.kind() == DefinitionException.Kind.MALFORMED;
                e.problems().forEach(p -> problems.add(new Problem(at(name, p.path()), p.message())));
                continue;
            }
            for (int i = 0; i < apis.size(); i++) {
                ApiDefinition api = apis.get(i);
                String element = apis.size() == 1 ? "" : "[" + i + "].";
                String firstId = ids.putIfAbsent(api.id(), name);
                if (firstId != null) {
                    problems.add(new Problem(at(name, element + "id"),
                            "duplicate id '" + api.id() + "' (also in " + firstId + ")"));
                }
                String firstBasePath = basePaths.putIfAbsent(api.basePath(), name);
                if (firstBasePath != null) {
                    problems.add(new Problem(at(name, element + "basePath"),
                            "duplicate basePath '" + api.basePath() + "' (also in " + firstBasePath + ")"));
                }
                all.add(api);
            }
        }
        if (!problems.isEmpty()) {
            throw new AdminException(malformed ? 400 : 422,
                    (malformed ? "cannot read definitions in " : "invalid definitions in ") + dir, problems);
        }
        return List.copyOf(all);
    }

    private static List<ApiDefinition> parse(Path file) throws DefinitionException {
        byte[] body;
        try {
            body = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DefinitionException(DefinitionException.Kind.MALFORMED, "", "no such file");
        } catch (IOException e) {
            throw new DefinitionException(DefinitionException.Kind.MALFORMED, "", "cannot read: " + e.getMessage());
        }
        // JSON is YAML too, so a file without a known extension is read as YAML.
        Format format = Format.fromFileName(file.getFileName().toString()).orElse(Format.YAML);
        return DefinitionParser.parse(body, format);
    }

    /** A problem's path prefixed with its file: {@code orders.yaml:upstream.url}, or just the file. */
    static String at(String file, String path) {
        return path.isEmpty() ? file : file + ":" + path;
    }

    private static int status(DefinitionException e) {
        return e.kind() == DefinitionException.Kind.MALFORMED ? 400 : 422;
    }

    private static String describe(DefinitionException e) {
        return e.kind() == DefinitionException.Kind.MALFORMED ? "cannot read" : "invalid definition in";
    }
}
