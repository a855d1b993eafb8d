package dev.meridian.cluster.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.NodeQueryHandler;

/**
 * This node's {@link NodeQueryHandler}s by topic, as the {@link QueryResponder} finds them when
 * a question arrives. Changes (a handler registered or gone, on an OSGi thread) rebuild an
 * immutable map published with one write; a lookup reads it without a lock. For a topic with
 * several handlers the one of the highest ranking answers, then the oldest; a handler that
 * leaves removes exactly its own entry, so a replacement registered before it keeps answering.
 */
final class QueryHandlers {

    private static final Logger LOG = LoggerFactory.getLogger(QueryHandlers.class);

    private record Entry(String topic, int ranking, long order, NodeQueryHandler handler) {
    }

    private static final Comparator<Entry> PREFERRED =
        Comparator.comparingInt(Entry::ranking).reversed().thenComparingLong(Entry::order);

    /** Guarded by {@code this}; only written on changes. */
    private final List<Entry> entries = new ArrayList<>();
    private volatile Map<String, NodeQueryHandler> byTopic = Map.of();
    private final AtomicLong added = new AtomicLong();

    /** The handler answering {@code topic} now, if any. */
    Optional<NodeQueryHandler> find(String topic) {
        return Optional.ofNullable(byTopic.get(topic));
    }

    /** Adds {@code handler} for {@code topic} (ranking 0, after those added before); the handle removes exactly it. */
    AutoCloseable add(String topic, NodeQueryHandler handler) {
        return add(topic, handler, 0, added.incrementAndGet());
    }

    private synchronized AutoCloseable add(String topic, NodeQueryHandler handler, int ranking, long order) {
        Entry e = new Entry(topic, ranking, order, handler);
        entries.add(e);
        publish();
        return () -> remove(e);
    }

    private synchronized void remove(Entry e) {
        if (entries.remove(e)) {
            publish();
        }
    }

    private void publish() {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(PREFERRED);
        Map<String, NodeQueryHandler> next = new HashMap<>();
        for (Entry e : sorted) {
            next.putIfAbsent(e.topic(), e.handler());
        }
        byTopic = Map.copyOf(next);
    }

    /** Tracks the {@link NodeQueryHandler} services of {@code context} into this registry until closed. */
    AutoCloseable track(BundleContext context) {
        ServiceTracker<NodeQueryHandler, Tracked> tracker = new ServiceTracker<>(context, NodeQueryHandler.class,
            new ServiceTrackerCustomizer<>() {
                @Override
                public Tracked addingService(ServiceReference<NodeQueryHandler> reference) {
                    if (topic(reference) == null) {
                        return null; // tracked once a modification gives it a topic
                    }
                    NodeQueryHandler handler = context.getService(reference);
                    if (handler == null) {
                        return null;
                    }
                    Tracked tracked = new Tracked(handler);
                    tracked.enter(reference);
                    return tracked;
                }

                @Override
                public void modifiedService(ServiceReference<NodeQueryHandler> reference, Tracked tracked) {
                    tracked.enter(reference); // a changed topic or ranking
                }

                @Override
                public void removedService(ServiceReference<NodeQueryHandler> reference, Tracked tracked) {
                    tracked.leave();
                    context.ungetService(reference);
                }
            });
        tracker.open();
        return tracker::close;
    }

    private static String topic(ServiceReference<NodeQueryHandler> reference) {
        Object topic = reference.getProperty(NodeQueryHandler.TOPIC);
        if (topic instanceof String t && !t.isBlank()) {
            return t;
        }
        LOG.warn("query handler service {} has no {} property naming its topic: it answers nothing",
            reference.getProperty(Constants.SERVICE_ID), NodeQueryHandler.TOPIC);
        return null;
    }

    /** One tracked service and its current entry in the registry. */
    private final class Tracked {
        private final NodeQueryHandler handler;
        private AutoCloseable entry; // guarded by QueryHandlers.this

        Tracked(NodeQueryHandler handler) {
            this.handler = handler;
        }

        /** Enters the handler under the service's current topic and ranking, in place of its previous entry. */
        void enter(ServiceReference<NodeQueryHandler> reference) {
            String topic = topic(reference);
            Object ranking = reference.getProperty(Constants.SERVICE_RANKING);
            synchronized (QueryHandlers.this) {
                leave();
                if (topic != null) {
                    entry = add(topic, handler, ranking instanceof Integer r ? r : 0,
                        (Long) reference.getProperty(Constants.SERVICE_ID));
                }
            }
        }

        void leave() {
            synchronized (QueryHandlers.this) {
                if (entry != null) {
                    closeQuietly(entry);
                    entry = null;
                }
            }
        }
    }

    private static void closeQuietly(AutoCloseable registration) {
        try {
            registration.close();
        } catch (Exception e) {
            LOG.warn("could not remove a query handler", e); // never thrown by our handles
        }
    }
}
