package dev.meridian.camel.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cache.CachedResponse;
import dev.meridian.cache.HeaderView;
import dev.meridian.cache.Lookup;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.PolicyRequest;

/**
 * The cache lookup, between the request phase (so authentication runs first and the consumer it
 * identified is in the key, CONTRACT §6) and the upstream call. A hit or stale answer fills the
 * flight as if the upstream had answered, so the response phase runs on it too; a miss carries
 * the {@link dev.meridian.cache.Fill} that stores the upstream's answer. Non-blocking: a
 * lookup answered by this node's fast tier continues on the same thread.
 */
final class CacheStep extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(CacheStep.class);

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Flight f = (Flight) exchange.getIn().getBody();
        CompletableFuture<Lookup> lookup = f.lookup != null ? f.lookup : start(f);
        f.lookup = null;
        if (lookup == null) {
            callback.done(true);
            return true;
        }
        if (lookup.isDone()) {
            settle(f, lookup);
            callback.done(true);
            return true;
        }
        lookup.whenComplete((found, failure) -> {
            apply(f, found, failure);
            callback.done(false);
        });
        return false;
    }

    /**
     * For a route without policies, before Camel: true when this node's fast tier answered at
     * once (the flight then holds the answer and nothing is left for the pipeline to do: no
     * request phase to run first, no response phase to run on it). Otherwise the lookup started
     * here is left on the flight for {@link #process} to finish.
     *
     * <p>Chosen over a Camel route for hits because a hit answered from memory right after
     * parsing runs 1.6&times; nginx on this box, while entering a route costs about 15 &micro;s
     * (../shared/notes/jvm-ceiling.md); a miss still runs the whole pipeline.
     */
    static boolean answeredBeforePipeline(Flight f) {
        CompletableFuture<Lookup> lookup = start(f);
        if (lookup == null) {
            return false;
        }
        if (lookup.isDone() && !lookup.isCompletedExceptionally()) {
            Lookup found = lookup.getNow(null);
            if (found instanceof Lookup.Hit || found instanceof Lookup.Stale || found instanceof Lookup.Refresh) {
                apply(f, found, null);
                return true;
            }
        }
        f.lookup = lookup;
        return false;
    }

    /**
     * The pipeline failed before the cache step took the lookup started for it: a miss's fill
     * is released, or the key's single flight would keep every later request of it waiting.
     */
    static void abandon(Flight f) {
        CompletableFuture<Lookup> lookup = f.lookup;
        f.lookup = null;
        if (lookup != null) {
            lookup.thenAccept(found -> {
                if (found instanceof Lookup.Miss miss) {
                    miss.fill().release();
                } else if (found instanceof Lookup.Refresh refresh) {
                    refresh.fill().release();
                }
            });
        }
    }

    /**
     * Starts the lookup once the request phase has run; null when there is nothing to look up
     * (no cache, a rejection, or a bypass, which {@code f.xCache} then records).
     */
    private static CompletableFuture<Lookup> start(Flight f) {
        if (f.cache == null || f.rejection != null || f.xCache != null) {
            return null;
        }
        String method = f.method();
        if (!method.equals("GET") && !method.equals("HEAD") || preconditioned(f)) {
            f.xCache = "BYPASS";
            f.cache.stats().countBypass();
            return null;
        }
        HeaderView request = f::headers;
        Object consumer = f.attribute(PolicyRequest.CONSUMER);
        try {
            String key = f.cache.key(method, f.path, f.query, request, consumer == null ? null : consumer.toString());
            // a request waiting for another's fetch of the same key waits no longer than its own fetch could take
            long wait = f.route.api().upstream().timeout().toMillis();
            return f.cache.lookup(key, f.path, f.query, request, wait).toCompletableFuture();
        } catch (RuntimeException e) {
            LOG.warn("cache lookup of API {} failed; passing through", f.route.id(), e);
            f.xCache = "BYPASS";
            return null;
        }
    }

    /**
     * A request with preconditions a cache does not evaluate ({@code If-Match},
     * {@code If-Unmodified-Since}, {@code If-Range}: RFC 9110 §13.2.1) goes to the origin, which
     * owns the current representation's state.
     */
    private static boolean preconditioned(Flight f) {
        HttpFields h = f.effectiveRequestHeaders();
        return h.contains(org.eclipse.jetty.http.HttpHeader.IF_MATCH) || h.contains(org.eclipse.jetty.http.HttpHeader.IF_UNMODIFIED_SINCE)
            || h.contains(org.eclipse.jetty.http.HttpHeader.IF_RANGE);
    }

    private static void settle(Flight f, CompletableFuture<Lookup> done) {
        try {
            apply(f, done.getNow(null), null);
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            apply(f, null, e);
        }
    }

    private static void apply(Flight f, Lookup found, Throwable failure) {
        if (failure != null || found == null) {
            LOG.debug("cache lookup of API {} failed; passing through", f.route.id(), failure);
            f.xCache = "BYPASS";
            return;
        }
        if (found instanceof Lookup.Hit hit) {
            answer(f, hit.entry(), hit.ageMillis(), "HIT");
        } else if (found instanceof Lookup.Stale stale) {
            answer(f, stale.entry(), stale.ageMillis(), "STALE");
        } else if (found instanceof Lookup.Refresh refresh) {
            answer(f, refresh.entry(), refresh.ageMillis(), "STALE");
            f.refresh = refresh.fill(); // fetched in the background once the answer is on its way
        } else if (found instanceof Lookup.NotCached) {
            f.xCache = "MISS";
            f.reject(new Decision.Reject(504, "not in the cache (only-if-cached)", Map.of()));
        } else if (found instanceof Lookup.Miss miss) {
            f.fill = miss.fill();
            f.xCache = "MISS";
            CachedResponse stored = f.fill.revalidating();
            // the cache's own conditional request, unless the client sent conditions of its own
            if (stored != null && f.header("If-None-Match").isEmpty() && f.header("If-Modified-Since").isEmpty()) {
                if (stored.etag() != null) {
                    f.setHeader("If-None-Match", stored.etag());
                }
                if (stored.lastModified() != null) {
                    f.setHeader("If-Modified-Since", stored.lastModified());
                }
                f.revalidating = true;
            }
        } else {
            f.xCache = "BYPASS";
        }
    }

    private static void answer(Flight f, CachedResponse entry, long ageMillis, String outcome) {
        f.cached = entry;
        f.cachedAgeMillis = ageMillis;
        f.xCache = outcome;
        f.status = entry.status();
        HttpFields.Mutable fields = HttpFields.build(entry.headers().size() + 2);
        for (Map.Entry<String, String> h : entry.headers()) {
            fields.add(h.getKey(), h.getValue());
        }
        f.upstreamHeaders = fields;
    }

    /**
     * After the upstream call: a 304 to the cache's own conditional request renews the stored
     * entry, and the request is answered from it (the response phase then runs on it).
     */
    static final class Revalidated extends AsyncProcessorSupport {
        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            Flight f = (Flight) exchange.getIn().getBody();
            if (f.fill != null && f.cached == null && upstreamFailed(f)) {
                // RFC 5861 §4: an expired entry within its stale-if-error window answers instead
                CachedResponse stale = f.fill.staleIfError(f.status);
                if (stale != null) {
                    if (f.upstreamBody != null) {
                        f.upstreamBody.fail(new IllegalStateException("answered from the cache (stale-if-error)"));
                        f.upstreamBody = null;
                    }
                    f.fill.release();
                    f.fill = null;
                    f.rejection = null;
                    long age = dev.meridian.cache.Freshness.currentAgeMillis(stale.correctedInitialAgeMillis(),
                        stale.responseTimeMillis(), System.currentTimeMillis());
                    answer(f, stale, age, "STALE");
                    callback.done(true);
                    return true;
                }
            }
            if (f.revalidating && f.rejection == null && f.status == 304 && f.fill != null) {
                CachedResponse merged = f.fill.notModified(fieldList(f.upstreamHeaders));
                f.fill = null;
                if (merged != null) {
                    if (f.upstreamBody != null) {
                        org.eclipse.jetty.io.Content.Source.consumeAll(f.upstreamBody, org.eclipse.jetty.util.Callback.NOOP);
                        f.upstreamBody = null;
                    }
                    // its age is the 304's (Date, Age): a 304 that comes through another cache is not new
                    answer(f, merged, dev.meridian.cache.Freshness.currentAgeMillis(merged.correctedInitialAgeMillis(),
                        merged.responseTimeMillis(), System.currentTimeMillis()), "MISS");
                }
            }
            callback.done(true);
            return true;
        }
    }

    /** The upstream could not be reached or timed out (502/504 from the call), or answered 500, 502, 503 or 504. */
    private static boolean upstreamFailed(Flight f) {
        int s = f.status;
        if (f.rejection != null) {
            return s == 502 || s == 504;
        }
        return s == 500 || s == 502 || s == 503 || s == 504;
    }

    /** The upstream's header fields as stored: name and value of each line, in order. */
    static List<Map.Entry<String, String>> fieldList(HttpFields fields) {
        java.util.ArrayList<Map.Entry<String, String>> out = new java.util.ArrayList<>(fields.size());
        for (HttpField field : fields) {
            out.add(Map.entry(field.getName(), field.getValue()));
        }
        return out;
    }

    static HeaderView view(HttpFields fields) {
        return fields::getValuesList;
    }
}
