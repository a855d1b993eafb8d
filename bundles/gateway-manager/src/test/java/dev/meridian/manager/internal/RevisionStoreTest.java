package dev.meridian.manager.internal;

import static dev.meridian.manager.internal.TestDefinitions.api;
import static dev.meridian.manager.internal.TestDefinitions.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;

class RevisionStoreTest {

    @TempDir
    Path dir;

    private static RevisionInfo info(long revision, List<String> added, List<String> updated, List<String> removed) {
        return new RevisionInfo(revision, Instant.parse("2030-01-02T03:04:05.678Z").plusSeconds(revision), "admin",
            "api", added, updated, removed);
    }

    @Test
    void should_be_empty_when_directory_is_new() throws Exception {
        RevisionStore store = new RevisionStore(dir.resolve("revisions"));

        assertEquals(0, store.latest());
        assertEquals(List.of(), store.list(10, 0));
        assertEquals(Optional.empty(), store.load(1));
        assertTrue(Files.isDirectory(dir.resolve("revisions")));
    }

    @Test
    void should_find_appended_revisions_when_reopened() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        RevisionInfo r1 = info(1, List.of("a"), List.of(), List.of());
        RevisionInfo r2 = info(2, List.of("b"), List.of("a"), List.of());
        RevisionInfo r3 = info(3, List.of(), List.of(), List.of("a"));
        store.append(r1, List.of(api("a", "/a")));
        store.append(r2, List.of(api("a", "/a", "methods: [GET]\n"), api("b", "/b")));
        store.append(r3, List.of(api("b", "/b")));

        RevisionStore reopened = new RevisionStore(dir);

        assertEquals(3, reopened.latest());
        assertEquals(List.of(r3, r2, r1), reopened.list(10, 0));
    }

    @Test
    void should_list_newest_first_within_limit_and_before() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        for (long r = 1; r <= 5; r++) {
            store.append(info(r, List.of(), List.of(), List.of()), List.of());
        }

        assertEquals(List.of(5L, 4L), revisions(store.list(2, 0)));
        assertEquals(List.of(3L, 2L, 1L), revisions(store.list(10, 4)));
        assertEquals(List.of(3L), revisions(store.list(1, 4)));
        assertEquals(List.of(), revisions(store.list(10, 1)));
        assertEquals(List.of(5L, 4L, 3L, 2L, 1L), revisions(store.list(10, 99)));
        assertEquals(List.of(), revisions(store.list(0, 0)));
    }

    @Test
    void should_load_the_same_definitions_when_reopened() throws Exception {
        ApiDefinition orders = yaml(TestDefinitions.ORDERS_YAML);
        ApiDefinition root = api("root", "/");
        RevisionInfo r7 = info(7, List.of("orders", "root"), List.of(), List.of());
        new RevisionStore(dir).append(r7, List.of(orders, root));

        GatewayAdmin.Revision loaded = new RevisionStore(dir).load(7).orElseThrow();

        assertEquals(r7, loaded.info());
        assertEquals(List.of(orders.toTree(), root.toTree()), loaded.apis().stream().map(ApiDefinition::toTree).toList());
        assertEquals(List.of(orders, root), loaded.apis());
    }

    @Test
    void should_return_empty_when_revision_is_unknown() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        store.append(info(1, List.of(), List.of(), List.of()), List.of());

        assertEquals(Optional.empty(), store.load(2));
        assertEquals(Optional.empty(), store.load(0));
    }

    @Test
    void should_ignore_corrupt_revision_files_and_keep_the_others() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        store.append(info(1, List.of("a"), List.of(), List.of()), List.of(api("a", "/a")));
        store.append(info(2, List.of("b"), List.of(), List.of()), List.of(api("a", "/a"), api("b", "/b")));
        write("rev-000000000003.json", "{\"revision\": 3, \"time\": ");
        write("rev-000000000004.json", "");
        write("rev-000000000005.json", "[1, 2]");
        write("rev-000000000006.json", "{\"revision\": 6, \"time\": \"yesterday\", \"summary\": {}}");
        write("rev-000000000007.json", "{\"revision\": 7}");
        Files.createDirectory(dir.resolve("rev-000000000008.json"));
        Files.write(dir.resolve("rev-000000000009.json"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});

        RevisionStore reopened = new RevisionStore(dir);

        assertEquals(2, reopened.latest());
        assertEquals(List.of(2L, 1L), revisions(reopened.list(10, 0)));
        assertEquals(List.of(api("a", "/a"), api("b", "/b")), reopened.load(2).orElseThrow().apis());
    }

    @Test
    void should_ignore_temporary_file_left_by_an_interrupted_write() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        store.append(info(1, List.of(), List.of(), List.of()), List.of());
        Files.copy(dir.resolve("rev-000000000001.json"), dir.resolve("rev-000000000002.json.tmp"));

        RevisionStore reopened = new RevisionStore(dir);

        assertEquals(1, reopened.latest());
        reopened.append(info(2, List.of(), List.of(), List.of()), List.of(api("x", "/x")));
        assertEquals(List.of(api("x", "/x")), new RevisionStore(dir).load(2).orElseThrow().apis());
        assertEquals(List.of("rev-000000000001.json", "rev-000000000002.json"), files());
    }

    @Test
    void should_leave_only_revision_files_after_appends() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        store.append(info(1, List.of(), List.of(), List.of()), List.of(api("a", "/a")));
        store.append(info(12, List.of(), List.of(), List.of()), List.of(api("a", "/a")));

        assertEquals(List.of("rev-000000000001.json", "rev-000000000012.json"), files());
    }

    @Test
    void should_fail_loading_when_indexed_file_was_damaged_afterwards() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        store.append(info(1, List.of(), List.of(), List.of()), List.of(api("a", "/a")));
        write("rev-000000000001.json", "{broken");

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.load(1));

        assertTrue(e.getMessage().contains("revision 1"), e.getMessage());
    }

    @Test
    void should_write_revision_as_json_with_summary() throws Exception {
        new RevisionStore(dir).append(info(1, List.of("a"), List.of(), List.of()), List.of(api("a", "/a")));

        Map<?, ?> tree = (Map<?, ?>) dev.meridian.model.Json.read(Files.readAllBytes(dir.resolve("rev-000000000001.json")));

        assertEquals(1L, tree.get("revision"));
        assertEquals("admin", tree.get("user"));
        assertEquals(Map.of("added", List.of("a"), "updated", List.of(), "removed", List.of()), tree.get("summary"));
        assertEquals(List.of(api("a", "/a").toTree()), tree.get("apis"));
    }

    private void write(String name, String content) throws Exception {
        Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private List<String> files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<Long> revisions(List<RevisionInfo> infos) {
        return infos.stream().map(RevisionInfo::revision).toList();
    }

    private static List<Path> files(Path dir) throws Exception {
        try (Stream<Path> list = Files.list(dir)) {
            return list.sorted().toList();
        }
    }

    @Test
    void should_rename_a_staged_revision_when_the_same_payload_is_appended() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        RevisionInfo r1 = info(1, List.of("a"), List.of(), List.of());
        String payload = RevisionStore.payload(r1, List.of(api("a", "/a")));

        store.stage(1, payload);
        assertEquals(List.of(dir.resolve("rev-000000000001.json.staged")), files(dir));
        assertEquals(0, store.latest());
        store.appendPayload(r1, payload);

        assertEquals(List.of(dir.resolve("rev-000000000001.json")), files(dir));
        assertEquals(payload, Files.readString(dir.resolve("rev-000000000001.json")));
        assertEquals(1, store.latest());
    }

    @Test
    void should_drop_a_staged_revision_whose_number_another_payload_took() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        RevisionInfo mine = info(1, List.of("a"), List.of(), List.of());
        RevisionInfo theirs = info(1, List.of("b"), List.of(), List.of());
        store.stage(1, RevisionStore.payload(mine, List.of(api("a", "/a"))));

        String other = RevisionStore.payload(theirs, List.of(api("b", "/b")));
        store.appendPayload(theirs, other);

        assertEquals(List.of(dir.resolve("rev-000000000001.json")), files(dir));
        assertEquals(other, Files.readString(dir.resolve("rev-000000000001.json")));
    }

    @Test
    void should_replace_the_previous_staged_file_when_staging_again() throws Exception {
        RevisionStore store = new RevisionStore(dir);
        store.stage(1, RevisionStore.payload(info(1, List.of("a"), List.of(), List.of()), List.of(api("a", "/a"))));

        store.stage(2, RevisionStore.payload(info(2, List.of("a"), List.of(), List.of()), List.of(api("a", "/a"))));

        assertEquals(List.of(dir.resolve("rev-000000000002.json.staged")), files(dir));
    }

    @Test
    void should_delete_staged_leftovers_when_opened() throws Exception {
        new RevisionStore(dir).stage(1, RevisionStore.payload(info(1, List.of("a"), List.of(), List.of()), List.of(api("a", "/a"))));

        RevisionStore reopened = new RevisionStore(dir);

        assertEquals(List.of(), files(dir));
        assertEquals(0, reopened.latest());
    }
}
