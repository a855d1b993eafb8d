package dev.meridian.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.manager.AdminException;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.Problem;

class DefinitionFilesTest {

    @TempDir
    Path dir;

    @Test
    void should_collect_definition_files_sorted_by_name_when_directory_holds_other_entries() throws IOException {
        for (String name : List.of("b.json", "notes.txt", "a.api.yaml", ".hidden.yaml", "c.yml", "d.api.json", "README.md")) {
            Files.writeString(dir.resolve(name), "{}");
        }
        Files.createDirectory(dir.resolve("nested.yaml"));

        List<String> names = DefinitionFiles.collect(dir).stream().map(p -> p.getFileName().toString()).toList();

        assertEquals(List.of("a.api.yaml", "b.json", "c.yml", "d.api.json"), names);
    }

    @Test
    void should_read_every_file_of_a_directory_as_one_set() throws Exception {
        Files.writeString(dir.resolve("orders.api.yaml"), api("orders", "/orders"));
        Files.writeString(dir.resolve("users.api.json"), """
                {"id": "users", "basePath": "/users", "upstream": {"url": "http://127.0.0.1:9001"}}
                """);
        Files.writeString(dir.resolve("more.yaml"), api("billing", "/billing") + "---\n" + api("stock", "/stock"));

        List<ApiDefinition> apis = DefinitionFiles.read(dir);

        assertEquals(List.of("billing", "stock", "orders", "users"), apis.stream().map(ApiDefinition::id).toList());
    }

    @Test
    void should_read_a_set_from_one_file() throws Exception {
        Path file = dir.resolve("all.yaml");
        Files.writeString(file, api("orders", "/orders") + "---\n" + api("users", "/users"));

        assertEquals(2, DefinitionFiles.read(file).size());
    }

    @Test
    void should_report_every_problem_with_its_file_when_directory_is_invalid() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), api("orders", "/orders"));
        Files.writeString(dir.resolve("b.yaml"), api("orders", "/orders2"));
        Files.writeString(dir.resolve("c.yaml"), "id: Bad_Id\nbasePath: /c\nupstream: { url: http://127.0.0.1:9000 }\n");

        AdminException e = assertThrows(AdminException.class, () -> DefinitionFiles.read(dir));

        assertEquals(422, e.status());
        assertEquals(List.of("b.yaml:id", "c.yaml:id"), e.details().stream().map(Problem::path).toList());
        assertEquals("duplicate id 'orders' (also in a.yaml)", e.details().get(0).message());
    }

    @Test
    void should_answer_400_when_a_file_is_not_parseable() throws IOException {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{\"id\": ");

        AdminException e = assertThrows(AdminException.class, () -> DefinitionFiles.read(file));

        assertEquals(400, e.status());
    }

    @Test
    void should_answer_404_when_nothing_is_there() throws IOException {
        Files.writeString(dir.resolve("notes.txt"), "not a definition");

        assertEquals(404, assertThrows(AdminException.class, () -> DefinitionFiles.read(dir.resolve("missing.yaml"))).status());
        assertEquals(404, assertThrows(AdminException.class, () -> DefinitionFiles.read(dir)).status());
    }

    @Test
    void should_prefix_problem_paths_with_the_file_name() {
        assertEquals("a.yaml:upstream.url", DefinitionFiles.at("a.yaml", "upstream.url"));
        assertEquals("a.yaml", DefinitionFiles.at("a.yaml", ""));
    }

    private static String api(String id, String basePath) {
        return "id: " + id + "\nbasePath: " + basePath + "\nupstream:\n  url: http://127.0.0.1:9000\n";
    }
}
