package dev.meridian.http.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.model.Upstream;
import dev.meridian.model.UpstreamTargets;

/**
 * Active health checks (CONTRACT §8 {@code healthCheck}): from every node, {@code GET path} to
 * each target every {@code interval} through the node's upstream client (the target's own pool
 * and TLS: the request is tagged with the target's {@link Upstream}). A 2xx or 3xx answer within
 * the interval (at most {@value #MAX_PROBE_SECONDS} s) is a success; anything else a failure;
 * {@link TargetState#probed} counts them. The path is sent as written (not joined with the
 * target URL's path). One probe per target and check setting; a probe's next run is scheduled
 * when its answer is in, so a slow target is never probed twice at once.
 */
final class HealthChecks {

    private static final Logger LOG = LoggerFactory.getLogger(HealthChecks.class);
    static final long MAX_PROBE_SECONDS = 5;

    private record Key(Targets.Key target, UpstreamTargets.HealthCheck check) {
    }

    private final HttpClient client;
    private final Map<Key, Probe> probes = new HashMap<>();

    HealthChecks(HttpClient client) {
        this.client = client;
    }

    /** Runs the probes {@code groups} ask for, stops the others. */
    synchronized void retain(Collection<TargetGroup> groups) {
        Map<Key, Probe> next = new HashMap<>();
        for (TargetGroup g : groups) {
            UpstreamTargets.HealthCheck check = g.config.healthCheck();
            if (!check.enabled()) {
                continue;
            }
            for (TargetGroup.Member m : g.members) {
                Key key = new Key(Targets.Key.of(m.upstream()), check);
                if (next.containsKey(key)) {
                    continue;
                }
                Probe p = probes.remove(key);
                if (p == null) {
                    p = new Probe(m.upstream(), m.state(), check);
                    p.schedule(0);
                }
                next.put(key, p);
            }
        }
        probes.values().forEach(Probe::stop);
        probes.clear();
        probes.putAll(next);
    }

    synchronized void stopAll() {
        probes.values().forEach(Probe::stop);
        probes.clear();
    }

    /** Probes of one target with one check setting, until stopped. */
    private final class Probe {
        private final Upstream target;
        private final TargetState state;
        private final UpstreamTargets.HealthCheck check;
        private volatile boolean stopped;
        private volatile Scheduler.Task task;

        Probe(Upstream target, TargetState state, UpstreamTargets.HealthCheck check) {
            this.target = target;
            this.state = state;
            this.check = check;
        }

        void schedule(long delayMillis) {
            if (stopped || !client.isRunning()) {
                return;
            }
            try {
                task = client.getScheduler().schedule(this::run, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RuntimeException stopping) {
                // the client's scheduler refuses tasks while it stops: no more probes
            }
        }

        void stop() {
            stopped = true;
            Scheduler.Task t = task;
            if (t != null) {
                t.cancel();
            }
        }

        private void run() {
            if (stopped || !client.isRunning()) {
                return;
            }
            long interval = check.interval().toMillis();
            long start = System.nanoTime();
            try {
                client.newRequest(target.host(), target.port())
                    .scheme(target.scheme())
                    .tag(target)
                    .method(HttpMethod.GET)
                    .path(check.path())
                    .headers(h -> h.put("User-Agent", "Meridian-HealthCheck"))
                    .timeout(Math.min(interval, TimeUnit.SECONDS.toMillis(MAX_PROBE_SECONDS)), TimeUnit.MILLISECONDS)
                    .send(result -> done(result, interval, start));
            } catch (RuntimeException e) {
                LOG.debug("health check of {} could not be sent: {}", state.name, e.toString());
                state.probed(false, check);
                schedule(interval);
            }
        }

        private void done(Result result, long interval, long start) {
            boolean ok = !result.isFailed() && result.getResponse().getStatus() >= 200
                && result.getResponse().getStatus() < 400;
            boolean was = state.healthy();
            state.probed(ok, check);
            if (was != state.healthy()) {
                LOG.info("upstream target {} is {} (health check {})", state.name, state.healthy() ? "healthy" : "unhealthy",
                    check.path());
            }
            long spent = (System.nanoTime() - start) / 1_000_000;
            schedule(Math.max(0, interval - spent));
        }
    }
}
