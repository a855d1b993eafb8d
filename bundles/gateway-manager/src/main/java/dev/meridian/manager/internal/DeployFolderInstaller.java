package dev.meridian.manager.internal;

import java.io.File;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Settings;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

/**
 * Definitions dropped into Karaf's {@code deploy/} folder (CONTRACT §7), through Felix
 * FileInstall's installer whiteboard rather than a folder watcher of our own: a
 * {@code *.api.yaml} / {@code *.api.json} file is applied (one revision per change of the file),
 * a broken file is logged and changes nothing, a deleted file deletes the APIs it defined. Which
 * file defined which APIs, and the digest of what was applied, is remembered under the data dir
 * ({@link DeployIndex}): deletes work after a restart, and a file is applied again only when its
 * content changed. Files are read whole and settled ({@link DeployFileReader}: no symlinks, at
 * most {@code MERIDIAN_DEPLOY_MAX_BYTES} [1m], unchanged for {@code MERIDIAN_DEPLOY_SETTLE}
 * [500ms] and while read).
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

    /** How long a file that keeps changing is waited for before it is left alone until its next change. */
    static final Duration SETTLE_LIMIT = Duration.ofSeconds(30);

    private ExecutorService worker;
    private DeployFileReader reader;
    private DeployIndex index;

    @Activate
    void activate() {
        reader = new DeployFileReader(Settings.bytes("MERIDIAN_DEPLOY_MAX_BYTES", "1m"),
            Settings.duration("MERIDIAN_DEPLOY_SETTLE", "500ms"), System::currentTimeMillis);
        index = new DeployIndex(ManagerComponent.dataDir().resolve("deploy-index.json"));
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
        Map<String, DeployIndex.Entry> entries = index.read();
        DeployIndex.Entry entry = entries.remove(artifact.getName());
        if (entry == null) {
            return;
        }
        for (String id : entry.ids()) {
            try {
                admin.delete(id, actor(artifact), OptionalLong.empty());
            } catch (AdminException e) {
                if (e.status() != 404) {
                    LOG.error("deploy: deleting API {} of removed file {} failed: {}", id, artifact.getName(), e.getMessage());
                }
            }
        }
        index.write(entries);
    }

    /**
     * Applies a file once it is whole: read when it has not changed for the settle delay, and
     * again while it changes under the read (or fails to parse while it is still changing), for
     * up to {@link #SETTLE_LIMIT}. Sleeping is this thread's job: it is the deploy folder's own.
     */
    private void apply(File artifact) {
        Path path = artifact.toPath();
        long deadline = System.nanoTime() + SETTLE_LIMIT.toNanos();
        try {
            while (true) {
                DeployFileReader.Content content;
                try {
                    content = reader.read(path);
                } catch (DeployFileReader.Unsettled u) {
                    if (System.nanoTime() - deadline > 0) {
                        LOG.error("deploy: {} is still being written after {} s ({}); not applied until it changes again",
                            artifact.getName(), SETTLE_LIMIT.toSeconds(), u.getMessage());
                        return;
                    }
                    LOG.debug("deploy: {} {}; read again in {} ms", artifact.getName(), u.getMessage(), reader.settle().toMillis());
                    TimeUnit.MILLISECONDS.sleep(reader.settle().toMillis());
                    continue;
                }
                List<ApiDefinition> apis;
                try {
                    apis = DefinitionParser.parse(content.bytes(), artifact.getName().endsWith(".json") ? Format.JSON : Format.YAML);
                } catch (DefinitionException e) {
                    TimeUnit.MILLISECONDS.sleep(reader.settle().toMillis());
                    if (DeployFileReader.changedSince(path, content) && System.nanoTime() - deadline < 0) {
                        continue; // still being written: the broken part may be its missing end
                    }
                    LOG.error("deploy: {} is not a valid definition and changes nothing: {}", artifact.getName(), e.problems());
                    return;
                }
                apply(artifact, apis, DeployIndex.sha256(content.bytes()));
                return;
            }
        } catch (DeployFileReader.Refused e) {
            LOG.error("deploy: {} {}", artifact.getName(), e.getMessage());
        } catch (NoSuchFileException gone) {
            LOG.info("deploy: {} went away before it was read", artifact.getName());
        } catch (AdminException e) {
            LOG.error("deploy: {} was refused ({}) and changes nothing: {} {}", artifact.getName(), e.status(), e.getMessage(), e.details());
        } catch (IOException e) {
            LOG.error("deploy: {} cannot be read", artifact.getName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Applies what {@code artifact} defines unless that very content is what it last applied (see the README: restarts). */
    private void apply(File artifact, List<ApiDefinition> apis, String sha256) throws AdminException {
        Map<String, DeployIndex.Entry> entries = index.read();
        DeployIndex.Entry last = entries.get(artifact.getName());
        if (last != null && last.sha256().equals(sha256)) {
            LOG.info("deploy: {} is unchanged since it was applied (sha256 {}); not applied again, later changes stay",
                artifact.getName(), sha256.substring(0, 12));
            return;
        }
        var change = admin.applySet(apis, false, actor(artifact), OptionalLong.empty());
        List<String> now = apis.stream().map(ApiDefinition::id).toList();
        for (String dropped : last == null ? List.<String>of() : last.ids()) {
            if (!now.contains(dropped)) {
                admin.delete(dropped, actor(artifact), OptionalLong.empty());
            }
        }
        entries.put(artifact.getName(), new DeployIndex.Entry(now, sha256));
        index.write(entries);
        LOG.info("deploy: {} applied as revision {} (changed: {})", artifact.getName(), change.revision(), change.changed());
    }

    private static GatewayAdmin.Actor actor(File artifact) {
        return new GatewayAdmin.Actor("deploy", "deploy:" + artifact.getName());
    }
}
