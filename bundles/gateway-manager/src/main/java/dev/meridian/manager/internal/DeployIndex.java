package dev.meridian.manager.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.model.DefinitionException;
import dev.meridian.model.Json;

/**
 * What the deploy folder last applied from each file, under the node's data dir
 * ({@code deploy-index.json}): the API ids it defined (so deleting the file deletes them, after a
 * restart too) and the SHA-256 of the content applied (so a file is applied again only when its
 * content changed: at start, FileInstall reports every file, and an unchanged one must not undo a
 * newer change made through the API). Read and written by the deploy thread only.
 */
final class DeployIndex {

    private static final Logger LOG = LoggerFactory.getLogger(DeployIndex.class);

    /** @param sha256 hex digest of the content applied; empty for an entry written before digests were kept */
    record Entry(List<String> ids, String sha256) {
    }

    private final Path file;

    DeployIndex(Path file) {
        this.file = file;
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Every entry by file name; an unreadable index is logged and read as empty. */
    Map<String, Entry> read() {
        Map<String, Entry> index = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return index;
        }
        try {
            Object tree = Json.read(Files.readAllBytes(file));
            if (tree instanceof Map<?, ?> map) {
                map.forEach((k, v) -> {
                    // {"f": ["id", ...]} before digests were kept; {"f": {"ids": [...], "sha256": "..."}} now
                    Object ids = v instanceof Map<?, ?> m ? m.get("ids") : v;
                    Object digest = v instanceof Map<?, ?> m ? m.get("sha256") : "";
                    List<String> list = new ArrayList<>();
                    ((List<?>) ids).forEach(id -> list.add(String.valueOf(id)));
                    index.put(String.valueOf(k), new Entry(List.copyOf(list), String.valueOf(digest)));
                });
            }
        } catch (IOException | DefinitionException | RuntimeException e) {
            LOG.warn("deploy: index {} unreadable; starting a new one", file, e);
        }
        return index;
    }

    void write(Map<String, Entry> index) {
        Map<String, Object> tree = new LinkedHashMap<>();
        index.forEach((name, e) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("ids", e.ids());
            entry.put("sha256", e.sha256());
            tree.put(name, entry);
        });
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, new String(Json.write(tree), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.error("deploy: writing index {} failed", file, e);
        }
    }
}
