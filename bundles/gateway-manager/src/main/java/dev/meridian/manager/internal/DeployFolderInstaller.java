package dev.meridian.manager.internal;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.manager.AdminException;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Json;

/**
 * Definitions dropped into Karaf's {@code deploy/} folder (CONTRACT §7), through Felix
 * FileInstall's installer whiteboard rather than a folder watcher of our own: a
 * {@code *.api.yaml} / {@code *.api.json} file is applied (one revision per change of the file),
 * a broken file is logged and changes nothing, a deleted file deletes the APIs it defined. Which
 * file defined which APIs is remembered under the data dir, so deletes work after a restart.
 *
 * <p>Files are applied in the order FileInstall reports them, on a thread of this installer, not
 * on FileInstall's: an apply may wait for a policy type whose bundle is being replaced
 * ({@code MERIDIAN_TYPE_WAIT}), and FileInstall restarts a jar it updates only after the
 * installers of the same scan return — waiting on its thread would wait for ourselves.
 */
@Component(service = ArtifactInstaller.class, immediate = true)
public final class DeployFolderInstaller implements ArtifactInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(DeployFolderInstaller.class);

    @Reference
    private GatewayAdmin admin;

    private ExecutorService worker;

    @Activate
    void activate() {
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meridian-deploy");
            t.setDaemon(true);
            return t;
        });
    }

    @Deactivate
    void deactivate() {
        worker.shutdownNow();
    }

    @Override
    public boolean canHandle(File artifact) {
        String n = artifact.getName();
        return n.endsWith(".api.yaml") || n.endsWith(".api.yml") || n.endsWith(".api.json");
    }

    @Override
    public void install(File artifact) {
        submit(artifact, () -> apply(artifact));
    }

    @Override
    public void update(File artifact) {
        submit(artifact, () -> apply(artifact));
    }

    @Override
    public void uninstall(File artifact) {
        submit(artifact, () -> remove(artifact));
    }

    private void submit(File artifact, Runnable task) {
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("deploy: processing {} failed", artifact.getName(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warn("deploy: {} not processed, the installer is stopping", artifact.getName());
        }
    }

    private void remove(File artifact) {
        Map<String, List<String>> index = readIndex();
        List<String> ids = index.remove(artifact.getName());
        if (ids == null) {
            return;
        }
        for (String id : ids) {
            try {
                admin.delete(id, actor(artifact), OptionalLong.empty());
            } catch (AdminException e) {
                if (e.status() != 404) {
                    LOG.error("deploy: deleting API {} of removed file {} failed: {}", id, artifact.getName(), e.getMessage());
                }
            }
        }
        writeIndex(index);
    }

    private void apply(File artifact) {
        try {
            byte[] body = Files.readAllBytes(artifact.toPath());
            Format format = artifact.getName().endsWith(".json") ? Format.JSON : Format.YAML;
            List<ApiDefinition> apis = DefinitionParser.parse(body, format);
            var change = admin.applySet(apis, false, actor(artifact), OptionalLong.empty());
            Map<String, List<String>> index = readIndex();
            List<String> before = index.getOrDefault(artifact.getName(), List.of());
            List<String> now = apis.stream().map(ApiDefinition::id).toList();
            for (String dropped : before) {
                if (!now.contains(dropped)) {
                    admin.delete(dropped, actor(artifact), OptionalLong.empty());
                }
            }
            index.put(artifact.getName(), now);
            writeIndex(index);
            LOG.info("deploy: {} applied as revision {} (changed: {})", artifact.getName(), change.revision(), change.changed());
        } catch (DefinitionException e) {
            LOG.error("deploy: {} is not a valid definition and changes nothing: {}", artifact.getName(), e.problems());
        } catch (AdminException e) {
            LOG.error("deploy: {} was refused ({}) and changes nothing: {} {}", artifact.getName(), e.status(), e.getMessage(), e.details());
        } catch (IOException e) {
            LOG.error("deploy: {} cannot be read", artifact.getName(), e);
        }
    }

    private static GatewayAdmin.Actor actor(File artifact) {
        return new GatewayAdmin.Actor("deploy", "deploy:" + artifact.getName());
    }

    private static Path indexFile() {
        return ManagerComponent.dataDir().resolve("deploy-index.json");
    }

    private static Map<String, List<String>> readIndex() {
        Map<String, List<String>> index = new LinkedHashMap<>();
        Path f = indexFile();
        if (!Files.exists(f)) {
            return index;
        }
        try {
            Object tree = Json.read(Files.readAllBytes(f));
            if (tree instanceof Map<?, ?> map) {
                map.forEach((k, v) -> {
                    List<String> ids = new ArrayList<>();
                    ((List<?>) v).forEach(id -> ids.add(String.valueOf(id)));
                    index.put(String.valueOf(k), ids);
                });
            }
        } catch (IOException | DefinitionException | RuntimeException e) {
            LOG.warn("deploy: index {} unreadable; starting a new one", f, e);
        }
        return index;
    }

    private static void writeIndex(Map<String, List<String>> index) {
        try {
            Path f = indexFile();
            Files.createDirectories(f.getParent());
            Path tmp = f.resolveSibling("deploy-index.json.tmp");
            Files.write(tmp, new String(Json.write(index), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.error("deploy: writing index failed", e);
        }
    }
}
