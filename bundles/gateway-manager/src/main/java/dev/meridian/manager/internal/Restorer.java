package dev.meridian.manager.internal;

import java.io.IOException;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.CommittedRevision;
import dev.meridian.cluster.RevisionLog;
import dev.meridian.core.GatewayEngine;
import dev.meridian.manager.AdminException;
import dev.meridian.model.DefinitionException;

/**
 * Start of a node: offers its newest durable revision to the cluster (after a full restart the
 * newest wins), then adopts the newest revision the cluster knows — or, when no member answers,
 * its own durable one — retrying while the policy bundles it needs are still starting, and marks
 * the node ready only once it serves it (CONTRACT §2). Before that it runs the apply path once
 * off to the side ({@link Warmup}). Runs on a thread of its own.
 */
final class Restorer implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);

    private final RevisionLog log;
    private final DurableHistory history;
    private final RevisionAdopter adopter;
    private final GatewayEngine engine;

    Restorer(RevisionLog log, DurableHistory history, RevisionAdopter adopter, GatewayEngine engine) {
        this.log = log;
        this.history = history;
        this.adopter = adopter;
        this.engine = engine;
    }

    /** Offers this node's newest durable revision to the cluster; kept there only if newer than the cluster's. */
    void seed() {
        history.newest().ifPresent(log::seed);
    }

    @Override
    public void run() {
        Warmup.run(engine);
        long pauseMs = 200;
        String lastReason = null;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Optional<CommittedRevision> newest = clusterLatest();
                if (newest.isEmpty()) {
                    newest = history.newest();
                }
                if (newest.isPresent()) {
                    adopter.adopt(adopter.read(newest.get()), true);
                }
                engine.markReady();
                LOG.info("node serves revision {}", adopter.newest().number());
                return;
            } catch (AdminException | IOException | DefinitionException | RuntimeException e) {
                // Policy bundles may still be starting: retry quietly at first. A node that still
                // cannot serve the newest revision says why (log, cluster listing) and keeps
                // trying, so installing the missing plugin makes it ready without a restart.
                String reason = ManagerComponent.reason(e);
                if (pauseMs >= 2000 && !reason.equals(lastReason)) {
                    LOG.error("the newest revision cannot be served on this node; not ready until it can: {}", reason);
                    lastReason = reason;
                } else {
                    LOG.debug("newest revision not servable yet, retrying: {}", reason);
                }
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            pauseMs = Math.min(2000, pauseMs + 100);
        }
    }

    private Optional<CommittedRevision> clusterLatest() {
        try {
            return log.latest();
        } catch (RuntimeException e) {
            LOG.warn("the cluster's newest revision cannot be read ({}); serving this node's own", e.getMessage());
            return Optional.empty();
        }
    }
}
