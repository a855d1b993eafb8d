package dev.meridian.cache;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Route;
import dev.meridian.core.flow.Answer;
import dev.meridian.core.flow.BodyTap;
import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.Exchange;
import dev.meridian.core.flow.Fields;
import dev.meridian.core.flow.Step;
import dev.meridian.core.flow.StoredFields;
import dev.meridian.core.flow.UpstreamClient;
import dev.meridian.policy.api.PolicyRequest;

/**
 * Every decision the response cache takes for one request, in one place (CONTRACT §6): the
 * lookup between the request phase (so authentication runs first and the consumer it identified
 * is in the key) and the upstream call; what follows the upstream (a 304 renews the entry, a
 * failure may be answered stale); and what happens just before the answer is written (a
 * client's own conditional answered 304, the body tapped and stored, a stale entry refreshed in
 * the background, the URLs an unsafe request changed invalidated). The rules themselves are the
 * pure functions of this package; the per-API state is {@link RouteCache}'s.
 *
 * <p>Non-blocking: a lookup answered by this node's memory continues on the same thread; one that
 * needs the cluster continues on the store's callback pool. What it keeps for a request lives in
 * the exchange's own slot.
 */
public final class CacheFlow implements CacheSteps {

    private static final Logger LOG = LoggerFactory.getLogger(CacheFlow.class);
    private static final Exchange.Slot<State> STATE = new Exchange.Slot<>("cache");
    /** The longest a writer waits for the invalidation of what it wrote (normally a few milliseconds). */
    static final long UNSAFE_WAIT_MILLIS = 2_000;
    /** The longest a client's last bytes wait for the cluster to hold its answer. */
    static final long STORE_WAIT_MILLIS = 1_000;

    private final Supplier<ResponseCache> caches;
    private final Supplier<UpstreamClient> upstream;

    /**
     * @param caches the node's response cache (null while there is none: everything passes)
     * @param upstream the client for background refreshes (null: stale entries are served
     *     within grace only)
     */
    public CacheFlow(Supplier<ResponseCache> caches, Supplier<UpstreamClient> upstream) {
        this.caches = caches;
        this.upstream = upstream;
    }

    /** What the cache holds for one exchange; only this class reads or writes it. */
    private static final class State {
        final RouteCache cache;
        /** A lookup started before the pipeline, finished by the lookup step. */
        CompletableFuture<Lookup> lookup;
        /** The right to store the upstream's answer (a miss). */
        Fill fill;
        /** A stale answer is served: this fill refreshes it in the background. */
        Fill refresh;
        /** The upstream request carries the cache's own validators (a 304 renews the stored entry). */
        boolean revalidating;
        /** The stored entry answering, if any. */
        CachedResponse served;
        /** The upstream's fields as received (before the response phase), when they are to be stored. */
        List<Map.Entry<String, String>> storeFields;
        /** {@code X-Cache}: HIT, MISS, STALE or BYPASS; null before the lookup. */
        String outcome;

        State(RouteCache cache) {
            this.cache = cache;
        }
    }

    /** The exchange's state, made on first use; null when its API has no cache (or there is none). */
    private State state(Exchange e) {
        State s = e.get(STATE);
        if (s == null) {
            if (e.route().api().cache().isEmpty()) {
                return null;
            }
            ResponseCache rc = caches.get();
            RouteCache cache = rc == null ? null : rc.forApi(e.route().api());
            if (cache == null) {
                return null;
            }
            s = new State(cache);
            e.put(STATE, s);
        }
        return s;
    }

    // ---- before the pipeline, and the lookup step

    @Override
    public boolean answeredBeforePipeline(Exchange e) {
        State s = state(e);
        if (s == null) {
            return false;
        }
        CompletableFuture<Lookup> lookup = start(e, s);
        if (lookup == null) {
            return false;
        }
        if (lookup.isDone() && !lookup.isCompletedExceptionally()) {
            Lookup found = lookup.getNow(null);
            if (found instanceof Lookup.Hit || found instanceof Lookup.Stale || found instanceof Lookup.Refresh) {
                apply(e, s, found, null);
                return true;
            }
        }
        s.lookup = lookup;
        return false;
    }

    @Override
    public Step lookup() {
        return (e, next) -> {
            State s = state(e);
            if (s == null) {
                return true;
            }
            CompletableFuture<Lookup> lookup = s.lookup != null ? s.lookup : start(e, s);
            s.lookup = null;
            if (lookup == null) {
                return true;
            }
            if (lookup.isDone()) {
                try {
                    apply(e, s, lookup.getNow(null), null);
                } catch (CompletionException | java.util.concurrent.CancellationException failed) {
                    apply(e, s, null, failed);
                }
                return true;
            }
            lookup.whenComplete((found, failure) -> {
                apply(e, s, found, failure);
                next.run();
            });
            return false;
        };
    }

    /**
     * Starts the lookup once the request phase has run; null when there is nothing to look up (a
     * rejection, a bypass: unsafe methods, requests with preconditions a cache does not
     * evaluate, RFC 9110 §13.2.1, and requests with {@code Cookie} the rules do not key on).
     */
    private static CompletableFuture<Lookup> start(Exchange e, State s) {
        if (e.answered() || s.outcome != null || e.route().split() != null && !e.shapeChosen()) {
            return null; // (a split API's shape, part of its key, is known once its policies ran)
        }
        String method = e.method();
        Fields h = e.requestFields();
        if (!method.equals("GET") && !method.equals("HEAD")
            || h.has("If-Match") || h.has("If-Unmodified-Since") || h.has("If-Range")) {
            s.outcome = "BYPASS";
            s.cache.stats().countBypass();
            return null;
        }
        if (h.has("Cookie") && !s.cache.rules().cachesWithCookie()) {
            s.outcome = "BYPASS"; // a personalised answer must not reach other clients (CacheRules#cachesWithCookie)
            s.cache.stats().countBypass();
            return null;
        }
        HeaderView request = h::all;
        try {
            String key = key(e, s, request);
            // a request waiting for another's fetch of the same key waits no longer than its own fetch could take
            return s.cache.lookup(key, e.path(), e.rawQuery(), request, e.timeoutMillis()).toCompletableFuture();
        } catch (RuntimeException ex) {
            LOG.warn("cache lookup of API {} failed; passing through", e.apiId(), ex);
            s.outcome = "BYPASS";
            return null;
        }
    }

    private static String key(Exchange e, State s, HeaderView request) {
        Object consumer = e.attribute(PolicyRequest.CONSUMER);
        String key = s.cache.key(e.method(), e.path(), e.rawQuery(), request, consumer == null ? null : consumer.toString());
        String shape = e.route().shape();
        if (shape != null && !shape.equals("main")) {
            // one shape's answer never reaches another's users; the main shape keeps the API's keys
            // (an extra '|' segment: no key without it has as many, CacheKeys)
            key = key + "|s=" + shape;
        }
        if (e.table().canary() != null) {
            // the canary side of a canary apply (CONTRACT §8): its answers never reach the stable
            // side's users, nor the stable side's its own (its cache rules or upstream may differ)
            key = key + "|r=" + e.table().revision();
        }
        return key;
    }

    /**
     * Answers {@code e} when it is a plain fresh hit of this node's memory: a {@code GET} or
     * {@code HEAD} without conditions of its own, whose stored answer is a {@code 200}. Otherwise
     * returns false having done nothing (no count, no lookup started, nothing kept): the request
     * then takes its usual way, through {@link #answeredBeforePipeline} or the lookup step, which
     * decide it as they always do. For a caller that answers such hits before anything of the
     * usual way is made (the traffic port's connection, {@code gateway-http}).
     */
    @Override
    public boolean answeredIfFreshHit(Exchange e) {
        State s = state(e);
        if (s == null || e.answered() || e.route().split() != null) {
            return false;
        }
        String method = e.method();
        Fields h = e.requestFields();
        if (!method.equals("GET") && !method.equals("HEAD")
            || h.has("If-Match") || h.has("If-Unmodified-Since") || h.has("If-Range")
            || h.has("If-None-Match") || h.has("If-Modified-Since")
            || h.has("Cookie") && !s.cache.rules().cachesWithCookie()) {
            return false;
        }
        HeaderView request = h::all;
        String key;
        Lookup.Hit hit;
        try {
            key = key(e, s, request);
            hit = s.cache.freshLocalHit(key, request);
        } catch (RuntimeException ex) {
            return false; // the usual way logs and counts it
        }
        if (hit == null || hit.entry().status() != 200) {
            return false;
        }
        s.cache.hitServed(key, request);
        serve(e, s, hit.entry(), hit.ageMillis(), "HIT");
        return true;
    }

    private static void apply(Exchange e, State s, Lookup found, Throwable failure) {
        if (failure != null || found == null) {
            LOG.debug("cache lookup of API {} failed; passing through", e.apiId(), failure);
            s.outcome = "BYPASS";
        } else if (found instanceof Lookup.Hit hit) {
            serve(e, s, hit.entry(), hit.ageMillis(), "HIT");
        } else if (found instanceof Lookup.Stale stale) {
            serve(e, s, stale.entry(), stale.ageMillis(), "STALE");
        } else if (found instanceof Lookup.Refresh refresh) {
            serve(e, s, refresh.entry(), refresh.ageMillis(), "STALE");
            s.refresh = refresh.fill(); // fetched in the background once the answer is on its way
        } else if (found instanceof Lookup.NotCached) {
            s.outcome = "MISS";
            e.answer(new Answer.Rejection(504, "not in the cache (only-if-cached)"));
        } else if (found instanceof Lookup.Miss miss) {
            s.fill = miss.fill();
            s.outcome = "MISS";
            CachedResponse stored = s.fill.revalidating();
            // the cache's own conditional request, unless the client sent conditions of its own
            Fields h = e.requestFields();
            if (stored != null && !h.has("If-None-Match") && !h.has("If-Modified-Since")) {
                if (stored.etag() != null) {
                    h.set("If-None-Match", stored.etag());
                }
                if (stored.lastModified() != null) {
                    h.set("If-Modified-Since", stored.lastModified());
                }
                s.revalidating = true;
            }
        } else {
            s.outcome = "BYPASS";
        }
    }

    /** Answers the exchange from a stored entry: its fields, its body, a generated {@code Age}. */
    private static void serve(Exchange e, State s, CachedResponse entry, long ageMillis, String outcome) {
        StoredFields fields = new StoredFields(entry.headers(), Freshness.ageFieldValue(ageMillis));
        s.served = entry;
        s.outcome = outcome;
        e.answer(new Answer.Stored(entry.status(), fields, entry.body(), ageMillis));
    }

    // ---- after the upstream

    @Override
    public Step afterUpstream() {
        return (e, next) -> {
            State s = e.get(STATE);
            if (s == null || s.fill == null) {
                return true;
            }
            Answer a = e.answer();
            if (upstreamFailed(a)) {
                // RFC 5861 §4: an expired entry within its stale-if-error window answers instead
                CachedResponse stale = s.fill.staleIfError(a.status());
                if (stale != null) {
                    s.fill.release();
                    s.fill = null;
                    serve(e, s, stale, Freshness.currentAgeMillis(stale.correctedInitialAgeMillis(), stale.responseTimeMillis(),
                        System.currentTimeMillis()), "STALE");
                    return true;
                }
            }
            if (!(a instanceof Answer.Upstream up)) {
                s.fill.release();
                s.fill = null;
                return true;
            }
            List<Map.Entry<String, String>> fields = fieldList(up.headers());
            if (s.revalidating && up.status() == 304) {
                // a 304 to the cache's own conditional renews the stored entry, and answers from it
                CachedResponse merged = s.fill.notModified(fields);
                s.fill = null;
                if (merged != null) {
                    serve(e, s, merged, Freshness.currentAgeMillis(merged.correctedInitialAgeMillis(), merged.responseTimeMillis(),
                        System.currentTimeMillis()), "MISS");
                }
                return true;
            }
            // decided at the headers, as the upstream sent them (the response phase has not run):
            // an answer that may not be stored is not copied either
            if (s.fill.refusal(e.method(), up.status(), name -> up.headers().all(name)) == null) {
                s.storeFields = fields;
            } else {
                s.fill.release();
                s.fill = null;
            }
            return true;
        };
    }

    /** The upstream could not be reached or timed out (502/504 from the call), or answered 500, 502, 503 or 504. */
    private static boolean upstreamFailed(Answer a) {
        int status = a == null ? 0 : a.status();
        if (a instanceof Answer.Rejection) {
            return status == 502 || status == 504;
        }
        return a instanceof Answer.Upstream && Freshness.isStaleIfErrorStatus(status);
    }

    private static List<Map.Entry<String, String>> fieldList(Fields fields) {
        List<Map.Entry<String, String>> out = new ArrayList<>(16);
        fields.forEach((name, value) -> out.add(Map.entry(name, value)));
        return out;
    }

    // ---- before the answer is written

    @Override
    public CompletionStage<Void> beforeWrite(Exchange e) {
        State s = e.get(STATE);
        if (s == null) {
            return null;
        }
        Answer a = e.answer();
        if (a instanceof Answer.Rejection) {
            release(s); // a stale answer or a miss replaced by a rejection: nothing to store or refresh
            return null;
        }
        if (s.refresh != null) {
            // stale-while-revalidate: this client gets the stale answer; the refresh runs without it
            Fill refresh = s.refresh;
            s.refresh = null;
            refresh(e, refresh);
        }
        if (a instanceof Answer.Stored stored) {
            if (s.fill != null) {
                s.fill.release();
                s.fill = null;
            }
            // the client holds this very response (its own If-None-Match / If-Modified-Since): 304
            // (when the cache revalidated, the conditions in the request are its own, not the client's)
            if (stored.status() == 200 && !s.revalidating && s.served != null
                && Conditionals.notModified(e.requestFields()::all, s.served)) {
                Fields fields = stored.headers();
                fields.remove("Content-Length");
                fields.remove("Content-Type");
                e.answer(new Answer.Stored(304, fields, new byte[0], stored.ageMillis()));
            }
            return null;
        }
        if (a.status() < 400 && unsafe(e.method())) {
            CompletableFuture<Void> invalidated = invalidateAfterUnsafe(e, s, a);
            return invalidated.isDone() ? null
                : invalidated.copy().completeOnTimeout(null, UNSAFE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
        if (s.fill != null && s.storeFields != null && a instanceof Answer.Upstream up) {
            up.body().tap(new StoreTap(s.fill, up.status(), s.storeFields, s.cache.maxBody(), up.body().length()));
            s.fill = null;
        } else if (s.fill != null) {
            s.fill.release();
            s.fill = null;
        }
        return null;
    }

    @Override
    public String outcome(Exchange e) {
        State s = e.get(STATE);
        return s == null ? null : s.outcome;
    }

    @Override
    public void abandon(Exchange e) {
        State s = e.get(STATE);
        if (s == null) {
            return;
        }
        CompletableFuture<Lookup> lookup = s.lookup;
        s.lookup = null;
        if (lookup != null) {
            lookup.thenAccept(found -> {
                if (found instanceof Lookup.Miss miss) {
                    miss.fill().release();
                } else if (found instanceof Lookup.Refresh refresh) {
                    refresh.fill().release();
                }
            });
        }
        release(s);
    }

    private static void release(State s) {
        if (s.fill != null) {
            s.fill.release();
            s.fill = null;
        }
        if (s.refresh != null) {
            s.refresh.release();
            s.refresh = null;
        }
    }

    /**
     * The background refresh of a stale entry (RFC 5861 stale-while-revalidate): the exchange's GET
     * as the request phase left it, conditional on the entry's validators; stored, or merged when
     * the upstream answers 304, through {@code fill}, which is released when nothing can be stored.
     */
    private void refresh(Exchange e, Fill fill) {
        UpstreamClient client = upstream.get();
        if (client == null) {
            fill.release();
            return;
        }
        CachedResponse stored = fill.revalidating();
        Map<String, String> conditions = new java.util.LinkedHashMap<>();
        if (stored != null && stored.etag() != null) {
            conditions.put("If-None-Match", stored.etag());
        }
        if (stored != null && stored.lastModified() != null) {
            conditions.put("If-Modified-Since", stored.lastModified());
        }
        RouteCache cache = fill.cache;
        client.fetch(e, conditions, (int) Math.min(Integer.MAX_VALUE - 8, cache.maxBody())).whenComplete((r, failure) -> {
            try {
                if (failure != null) {
                    fill.release();
                } else if (r.status() == 304 && stored != null) {
                    fill.notModified(r.headers());
                } else if (fill.refusal("GET", r.status(), HeaderView.of(r.headers())) == null) {
                    fill.store(r.status(), r.headers(), r.body());
                } else {
                    fill.release();
                }
            } catch (RuntimeException ex) {
                LOG.warn("background refresh of API {} failed", e.apiId(), ex);
                fill.release();
            }
        });
    }

    /** RFC 9110 §9.2.1: anything but GET, HEAD, OPTIONS and TRACE may change the resource. */
    private static boolean unsafe(String method) {
        return !method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS") && !method.equals("TRACE");
    }

    /**
     * RFC 9111 §4.4: a non-error answer to an unsafe request invalidates its URL, and the URLs its
     * {@code Location} and {@code Content-Location} name when they are of the same origin (the
     * request's host, or the upstream's, whose paths map back under the API's basePath), in
     * whichever cached API serves them. Nothing else. The stage completes once every live node has
     * it: the writer is answered then (read-your-writes on any node).
     */
    private CompletableFuture<Void> invalidateAfterUnsafe(Exchange e, State s, Answer a) {
        CompletableFuture<Void> all = s.cache.unsafeRequestSucceeded(e.path(), e.rawQuery()).toCompletableFuture();
        Fields answer = a instanceof Answer.Upstream up ? up.headers() : null;
        if (answer == null) {
            return all;
        }
        ResponseCache rc = caches.get();
        for (String name : LOCATIONS) {
            String value = answer.first(name);
            if (value == null || rc == null) {
                continue;
            }
            Route route = e.route();
            String[] target = Locations.sameOrigin(value, e.path(), e.requestFields().first("Host"), route.upstream(),
                route.basePath());
            Route named = target == null ? null : e.table().match(target[0]);
            RouteCache cache = named == null || named.api().cache().isEmpty() ? null : rc.forApi(named.api());
            if (cache != null) {
                all = all.thenCombine(cache.unsafeRequestSucceeded(target[0], target[1]), (x, y) -> null);
            }
        }
        return all;
    }

    private static final String[] LOCATIONS = {"Location", "Content-Location"};

    /**
     * The upstream's body on its way to the client, copied aside for the cache: the client gets
     * every chunk as it arrives (back-pressure unchanged); once the whole body has arrived (its
     * last chunk, or its declared length) the copy is stored, and that chunk reaches the client
     * when the cluster holds the entry (at most {@link #STORE_WAIT_MILLIS} later), so any node it
     * asks next hits. A body longer than the cache's limit, or one that fails, releases the fill.
     */
    static final class StoreTap implements BodyTap {
        private final Fill fill;
        private final int status;
        private final List<Map.Entry<String, String>> headers;
        private final long max;
        private final long declared;
        private byte[] copy;
        private int length;
        private boolean finished;

        StoreTap(Fill fill, int status, List<Map.Entry<String, String>> headers, long max, long declared) {
            this.fill = fill;
            this.status = status;
            this.headers = headers;
            this.max = max;
            this.declared = declared;
            this.copy = new byte[(int) (declared >= 0 && declared <= max ? declared : Math.min(8192, max))];
        }

        @Override
        public CompletionStage<Void> chunk(ByteBuffer data, boolean last) {
            if (finished) {
                return null;
            }
            int n = data.remaining();
            if (n > 0) {
                if (length + (long) n > max) {
                    giveUp();
                    return null;
                }
                if (length + n > copy.length) {
                    copy = Arrays.copyOf(copy, (int) Math.min(max, Math.max(copy.length * 2L, length + (long) n)));
                }
                data.duplicate().get(copy, length, n);
                length += n;
            }
            if (!last && length != declared) {
                return null;
            }
            finished = true;
            byte[] body = length == copy.length ? copy : Arrays.copyOf(copy, length);
            copy = null;
            CompletableFuture<Void> stored = fill.store(status, headers, body).toCompletableFuture();
            return stored.isDone() ? null : stored.copy().completeOnTimeout(null, STORE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void failed(Throwable why) {
            giveUp();
        }

        private void giveUp() {
            if (!finished) {
                finished = true;
                copy = null;
                fill.release();
            }
        }
    }
}
