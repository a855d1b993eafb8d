package dev.meridian.core.flow;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.meridian.core.Route;
import dev.meridian.model.Upstream;
import dev.meridian.core.RouteTable;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/**
 * One request through the gateway, as every step sees it. Each part has one owner:
 * <ul>
 *   <li>the request's facts (method, path, the client's query, route, table, id, client and peer)
 *       are fixed when the data plane makes the exchange;
 *   <li>its header fields and its upstream query are what the upstream will receive: the request
 *       phase changes them through {@link PolicyRequest};
 *   <li>the answer ({@link #answer()}) is set by whichever step answers, replacing the one before
 *       (whose body is then dropped here, its only owner);
 *   <li>the policy chain's progress is the policy chain's ({@link PolicyChain});
 *   <li>anything else a step keeps for later (the cache's lookup, say) lives in its own
 *       {@link Slot}, which only that step knows.
 * </ul>
 * Used by one step at a time (steps hand over through their continuation); not thread-safe.
 */
public final class Exchange implements PolicyRequest {

    private final RouteTable table;
    /** The matched route; for an API with a split, the chosen shape's once chosen ({@link PolicyChain}). */
    private Route route;
    private boolean shapeChosen;
    /** {@code Set-Cookie} of a cookie split that gave this client its id, or null. */
    private String shapeCookie;
    private final String method;
    private final String path;
    private final String query;
    /** The query the upstream receives: the client's until a policy removes a parameter. */
    private String upstreamQuery;
    private final String requestId;
    private final String clientAddress;
    private final String peerAddress;
    private final long startNanos;
    private final Fields requestFields;
    private Map<String, Object> attributes;
    /** Slot keys and values, side by side: a handful per exchange, found by identity in a short scan. */
    private Object[] slots;
    private int slotCount;
    private Answer answer;
    /** Extra fields the response phase set on a rejection. */
    private Fields rejectionFields;
    private long upstreamNanos;
    /** The target chosen among the route upstream's targets (the last one tried); null: the route's upstream itself. */
    private Upstream target;
    /** Request-phase policies that ran: their response phases run, in reverse. Owned by {@link PolicyChain}. */
    int policiesRun;

    /** An exchange whose client is its socket peer (no trusted proxy in between). */
    public Exchange(RouteTable table, Route route, String method, String path, String query, String requestId,
                    String clientAddress, long startNanos, Fields requestFields) {
        this(table, route, method, path, query, requestId, clientAddress, clientAddress, startNanos, requestFields);
    }

    /**
     * @param query the raw query without {@code ?}, or null
     * @param clientAddress the client as the node's trusted proxies imply it (CONTRACT §8)
     * @param peerAddress the socket peer (the same as the client unless a trusted proxy is in between)
     * @param requestFields the client's header fields, adapted (changes are what the upstream gets)
     */
    public Exchange(RouteTable table, Route route, String method, String path, String query, String requestId,
                    String clientAddress, String peerAddress, long startNanos, Fields requestFields) {
        this.table = table;
        this.route = route;
        this.method = method;
        this.path = path;
        this.query = query;
        this.upstreamQuery = query;
        this.requestId = requestId;
        this.clientAddress = clientAddress;
        this.peerAddress = peerAddress;
        this.startNanos = startNanos;
        this.requestFields = requestFields;
    }

    /** A slot of step-owned state: a step keeps its key private, so no other step reads or writes it. */
    public static final class Slot<T> {
        private final String name;

        public Slot(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Slot<T> slot) {
        Object[] s = slots;
        for (int i = 0; i < slotCount; i += 2) {
            if (s[i] == slot) {
                return (T) s[i + 1];
            }
        }
        return null;
    }

    public <T> void put(Slot<T> slot, T value) {
        for (int i = 0; i < slotCount; i += 2) {
            if (slots[i] == slot) {
                slots[i + 1] = value;
                return;
            }
        }
        if (slots == null) {
            slots = new Object[8];
        } else if (slotCount == slots.length) {
            slots = java.util.Arrays.copyOf(slots, slots.length * 2);
        }
        slots[slotCount++] = slot;
        slots[slotCount++] = value;
    }

    public RouteTable table() {
        return table;
    }

    public Route route() {
        return route;
    }

    /** Whether the shape of a split API was chosen (its main route's policies ran). */
    public boolean shapeChosen() {
        return shapeChosen;
    }

    /** The {@code Set-Cookie} value the answer carries for a cookie split, or null. */
    public String shapeCookie() {
        return shapeCookie;
    }

    /**
     * Carries on with {@code shape} (the main route itself or a shape's route, whose chain starts
     * with the main's: see {@link Route#forShape}); its upstream, chain and metrics from now on.
     */
    void chooseShape(Route shape, String setCookie) {
        this.route = shape;
        this.shapeChosen = true;
        this.shapeCookie = setCookie;
    }

    public String requestId() {
        return requestId;
    }

    public long startNanos() {
        return startNanos;
    }

    /** The client's raw query, or null: what the cache keys on (policies see {@link #query()}). */
    public String rawQuery() {
        return query;
    }

    /** The raw query the upstream receives, or null: the client's less what policies removed. */
    public String upstreamQuery() {
        return upstreamQuery;
    }

    /** The request's header fields as the upstream will receive them. */
    public Fields requestFields() {
        return requestFields;
    }

    /** How long the upstream took to its response headers (0 when not called). */
    public long upstreamNanos() {
        return upstreamNanos;
    }

    public void upstreamNanos(long nanos) {
        this.upstreamNanos = nanos;
    }

    /**
     * The upstream this request is sent to: the target the data plane chose when the route's
     * upstream has {@linkplain Upstream#targets() targets} (the last one tried, once answered),
     * else the route's upstream.
     */
    public Upstream upstream() {
        Upstream t = target;
        return t != null ? t : route.upstream();
    }

    /** Whether a target was chosen ({@link #upstream()} is one of the route upstream's targets). */
    public boolean targeted() {
        return target != null;
    }

    /** Sends this request to {@code chosen}, one of the route upstream's targets (the data plane's choice). */
    public void target(Upstream chosen) {
        this.target = chosen;
    }

    /**
     * Drops the current answer so that the upstream call can be made again (a retry on another
     * target); an upstream body is discarded with {@code why}.
     */
    public void clearAnswer(Throwable why) {
        if (answer instanceof Answer.Upstream up) {
            up.body().discard(why);
        }
        answer = null;
        rejectionFields = null;
    }

    /** The route's upstream timeout: the deadline of every wait of this request. */
    public long timeoutMillis() {
        return route.upstream().timeout().toMillis();
    }

    // ---- the answer

    /** The current answer, or null while nothing answered. */
    public Answer answer() {
        return answer;
    }

    public boolean answered() {
        return answer != null;
    }

    /** Whether the current answer is the gateway's own (a rejection). */
    public boolean rejected() {
        return answer instanceof Answer.Rejection;
    }

    /**
     * Answers with {@code next}, replacing the current answer; an upstream body that will not be
     * sent is dropped now.
     */
    public void answer(Answer next) {
        if (answer instanceof Answer.Upstream up && next != answer) {
            up.body().discard(new IllegalStateException("answered otherwise: " + next.status()));
        }
        if (!(next instanceof Answer.Rejection)) {
            rejectionFields = null;
        }
        this.answer = next;
    }

    /** The fields of the current answer as the response phase sees them (a rejection's extras). */
    public Fields responseFields() {
        if (answer instanceof Answer.Upstream up) {
            return up.headers();
        }
        if (answer instanceof Answer.Stored st) {
            return st.headers();
        }
        if (rejectionFields == null) {
            rejectionFields = new ListFields();
        }
        return rejectionFields;
    }

    /** Fields the response phase added to a rejection, or null. */
    public Fields rejectionFields() {
        return rejectionFields;
    }

    // ---- PolicyRequest

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public Optional<String> query() {
        return Optional.ofNullable(upstreamQuery);
    }

    @Override
    public void removeQueryParameter(String name) {
        upstreamQuery = withoutParameter(upstreamQuery, name);
    }

    /**
     * {@code query} without any {@code name} or {@code name=value} pair (names compared as
     * sent); null when nothing is left. The other pairs keep their bytes and order; empty ones go.
     */
    static String withoutParameter(String query, String name) {
        if (query == null || name.isEmpty() || !query.contains(name)) {
            return query;
        }
        StringBuilder kept = new StringBuilder(query.length());
        int i = 0;
        while (i <= query.length()) {
            int end = query.indexOf('&', i);
            if (end < 0) {
                end = query.length();
            }
            boolean named = query.startsWith(name, i)
                && (i + name.length() == end || query.charAt(i + name.length()) == '=');
            if (!named && end > i) {
                if (!kept.isEmpty()) {
                    kept.append('&');
                }
                kept.append(query, i, end);
            }
            i = end + 1;
        }
        return kept.isEmpty() ? null : kept.toString();
    }

    @Override
    public String apiId() {
        return route.id();
    }

    @Override
    public long revision() {
        return table.revision();
    }

    @Override
    public String clientAddress() {
        return clientAddress;
    }

    @Override
    public String peerAddress() {
        return peerAddress;
    }

    @Override
    public Optional<String> header(String name) {
        return Optional.ofNullable(requestFields.first(name));
    }

    @Override
    public List<String> headers(String name) {
        return requestFields.all(name);
    }

    @Override
    public void setHeader(String name, String value) {
        requestFields.set(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        requestFields.add(name, value);
    }

    @Override
    public void removeHeader(String name) {
        requestFields.remove(name);
    }

    /** An attribute a policy set, without creating the map. */
    public Object attribute(String name) {
        return attributes == null ? null : attributes.get(name);
    }

    @Override
    public Map<String, Object> attributes() {
        if (attributes == null) {
            attributes = new HashMap<>();
        }
        return attributes;
    }

    /** The answer as the response phase sees it. */
    PolicyResponse responseView() {
        return new PolicyResponse() {
            @Override
            public int status() {
                return answer == null ? 0 : answer.status();
            }

            @Override
            public Optional<String> header(String name) {
                return Optional.ofNullable(responseFields().first(name));
            }

            @Override
            public List<String> headers(String name) {
                return responseFields().all(name);
            }

            @Override
            public void setHeader(String name, String value) {
                responseFields().set(name, value);
            }

            @Override
            public void addHeader(String name, String value) {
                responseFields().add(name, value);
            }

            @Override
            public void removeHeader(String name) {
                responseFields().remove(name);
            }
        };
    }
}
