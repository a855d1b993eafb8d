package dev.meridian.http.internal;

import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections of slow clients ({@link ClientLimits}): every {@link #PERIOD_MS} ms, on the
 * connector's scheduler, it looks at each open connection's pending head or body. One sweep for
 * all connections instead of a timer per request: nothing is scheduled, allocated or cancelled on
 * the request path, at the cost of closing up to one period late.
 */
final class SlowClientSweeper implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(SlowClientSweeper.class);
    static final long PERIOD_MS = 250;

    private final AbstractConnector connector;
    private final ClientLimits limits;
    private final JsonErrorHandler refusals; // writes the access log line of a head cut short; null = none
    private volatile boolean running = true;

    SlowClientSweeper(AbstractConnector connector, ClientLimits limits, JsonErrorHandler refusals) {
        this.connector = connector;
        this.limits = limits;
        this.refusals = refusals;
    }

    /** The connection factory whose connections this sweeper can watch. */
    static HttpConnectionFactory connections(HttpConfiguration http) {
        return new HttpConnectionFactory(http) {
            @Override
            public Connection newConnection(Connector connector, EndPoint endPoint) {
                GuardedConnection c = new GuardedConnection(getHttpConfiguration(), connector, endPoint);
                c.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
                return configure(c, connector, endPoint);
            }
        };
    }

    /** Starts sweeping; the connector must be started (its scheduler runs the sweeps). */
    void start() {
        schedule();
    }

    void stop() {
        running = false;
    }

    private void schedule() {
        Scheduler scheduler = connector.getScheduler();
        if (running && scheduler.isRunning()) {
            scheduler.schedule(this, PERIOD_MS, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void run() {
        try {
            long now = System.nanoTime();
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                if (endPoint.getConnection() instanceof GuardedConnection c) {
                    long headSince = c.headSince();
                    GuardedConnection.Overdue overdue = c.closeIfOverdue(now, limits);
                    if (overdue == GuardedConnection.Overdue.HEAD) {
                        String why = "request head not received within " + limits.headTimeout().toMillis() + " ms";
                        LOG.debug("closed the connection of {}: {}", c.closedClient(), why);
                        if (refusals != null) {
                            // Nobody else writes a line for it: the handler never saw a request (nginx logs these as 408).
                            refusals.headCutShort(c.closedClient(), now - headSince, why);
                        }
                    } else if (overdue == GuardedConnection.Overdue.BODY) {
                        // the request's own line is written by the handler when its exchange ends
                        LOG.debug("closed a connection: request body slower than {} bytes/s", limits.minBodyRate());
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("sweeping slow client connections failed", e);
        } finally {
            schedule();
        }
    }
}
