package dev.meridian.core;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.Upstream;
import dev.meridian.policy.api.Policy;

/**
 * One API as compiled for one route table: the definition, the upstream it calls and its policy
 * chain. Immutable; the policy array is never modified after construction.
 *
 * <p>The chain is in <em>run order</em>: by ascending {@link Policy#order()}, definition order
 * among equals (a stable sort; {@code order()} is read once, here). So a CORS policy
 * ({@link Policy#ORDER_EDGE}) answers a preflight before any authentication whatever its place in
 * the definition; response phases run in the reverse of this order. With every policy at the
 * default 0 the chain is the definition's.
 *
 * <p>{@link #upstream()} is the definition's upstream as this node resolved it when it compiled
 * the table ({@code ${secret:NAME}} in its URL replaced, TLS files and secrets read into PEM
 * text): the one to connect to. {@code api().upstream()} keeps the references and is what may be
 * shown; a message that could quote the resolved URL (a connection or TLS failure) goes through
 * {@link #redact} first.
 */
public final class Route {

    private final ApiDefinition api;
    private final Upstream upstream;
    private final Redaction redaction;
    private final Policy[] policies;
    private final boolean anyMethod;
    /** Whether the chain has a policy at {@link Policy#ORDER_EDGE} or before (one that may answer preflights). */
    private final boolean edge;
    private final Set<String> methods;
    private final ApiMetrics metrics;
    /** Null when the API has no split; "main" on its main route, the shape's name on a shape's. */
    private final String shape;
    /** The API's split, on its main route only; null otherwise. */
    private final ShapeSplit split;

    /** A route whose upstream needs no resolving (tests, definitions without secrets or TLS files). */
    public Route(ApiDefinition api, List<Policy> policies, ApiMetrics metrics) {
        this(api, api.upstream(), Redaction.NONE, policies, metrics);
    }

    /**
     * @param upstream {@code api.upstream()} resolved on this node
     * @param redaction puts the references back in a message about {@code upstream}
     */
    public Route(ApiDefinition api, Upstream upstream, Redaction redaction, List<Policy> policies, ApiMetrics metrics) {
        this(api, upstream, redaction, policies, metrics, null);
    }

    /**
     * The main route of an API with a split ({@code split} non-null): its chain is the API's own
     * policies, after which the data plane picks the shape ({@link ShapeSplit}) and carries on with
     * that shape's route, whose chain starts with the same policies ({@link #forShape}).
     */
    public Route(ApiDefinition api, Upstream upstream, Redaction redaction, List<Policy> policies, ApiMetrics metrics,
                 ShapeSplit split) {
        this.api = api;
        this.upstream = upstream;
        this.redaction = redaction;
        int[] orders = orders(policies, api.id());
        this.policies = inRunOrder(policies, orders);
        this.edge = Arrays.stream(orders).anyMatch(o -> o <= Policy.ORDER_EDGE);
        this.methods = api.methods();
        this.anyMethod = methods.isEmpty();
        this.metrics = metrics;
        this.split = split;
        this.shape = split == null ? null : "main";
    }

    private Route(ApiDefinition api, Upstream upstream, Redaction redaction, Policy[] policies, ApiMetrics metrics,
                  String shape) {
        this.api = api;
        this.upstream = upstream;
        this.redaction = redaction;
        this.policies = policies;
        this.edge = false; // a preflight is admitted on the main route, before any shape is chosen
        this.methods = api.methods();
        this.anyMethod = methods.isEmpty();
        this.metrics = metrics;
        this.split = null;
        this.shape = shape;
    }

    /**
     * The route of shape {@code name} of {@code api}: its chain is {@code shared} (the API's own
     * policies, as the main route runs them) followed by the shape's {@code own} policies in their
     * run order, so a request that switches to it after the shared ones ran carries on where it is;
     * its upstream is the shape's.
     *
     * @param shared the API's policies (any order: sorted here as the main route sorts them)
     */
    public static Route forShape(ApiDefinition api, String name, Upstream upstream, Redaction redaction, List<Policy> shared,
                              List<Policy> own, ApiMetrics metrics) {
        Policy[] first = inRunOrder(shared, orders(shared, api.id()));
        Policy[] then = inRunOrder(own, orders(own, api.id()));
        Policy[] chain = Arrays.copyOf(first, first.length + then.length);
        System.arraycopy(then, 0, chain, first.length, then.length);
        return new Route(api, upstream, redaction, chain, metrics, name);
    }

    /** Each policy's {@link Policy#order()}, read once. */
    private static int[] orders(List<Policy> policies, String apiId) {
        int[] order = new int[policies.size()];
        for (int i = 0; i < order.length; i++) {
            try {
                order[i] = policies.get(i).order();
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("policy " + policies.get(i).getClass().getName() + " of API " + apiId
                    + " failed to tell its order: " + e, e);
            }
        }
        return order;
    }

    /** {@code policies} stably sorted by their {@code order}. */
    private static Policy[] inRunOrder(List<Policy> policies, int[] order) {
        int n = policies.size();
        Integer[] index = new Integer[n];
        for (int i = 0; i < n; i++) {
            index[i] = i;
        }
        Arrays.sort(index, Comparator.comparingInt(i -> order[i])); // Arrays.sort on objects is stable
        Policy[] out = new Policy[n];
        for (int i = 0; i < n; i++) {
            out[i] = policies.get(index[i]);
        }
        return out;
    }

    public ApiDefinition api() {
        return api;
    }

    /** The upstream to call: resolved on this node, never to be shown (see {@link #redact}). */
    public Upstream upstream() {
        return upstream;
    }

    /** {@code text} (a failure's message) with the values resolved into {@link #upstream()} replaced by their references. */
    public String redact(String text) {
        return redaction.apply(text);
    }

    public String id() {
        return api.id();
    }

    public String basePath() {
        return api.basePath();
    }

    /** Whether the definition's {@code methods} (none: every method) include {@code method}. */
    public boolean allows(String method) {
        return anyMethod || methods.contains(method);
    }

    /**
     * Whether a CORS preflight ({@code OPTIONS} with {@code Origin} and
     * {@code Access-Control-Request-Method}) enters this route's chain even when {@link #allows}
     * refuses {@code OPTIONS}: true when the chain has an edge policy ({@link Policy#ORDER_EDGE} or
     * before), which is where CORS answers preflights. A browser sends the preflight for the
     * methods the API serves, never asking the API to serve {@code OPTIONS}; refusing it with a 404
     * would break every non-simple cross-origin call to an API that lists its methods. If no policy
     * answers it, the request phase answers 404 as the data plane would have: the upstream never
     * gets a method the definition does not list ({@code PolicyChain}).
     */
    public boolean admitsPreflight() {
        return edge;
    }

    public int policyCount() {
        return policies.length;
    }

    /** The policy at {@code index} in run order (see the class comment), not definition order. */
    public Policy policy(int index) {
        return policies[index];
    }

    public ApiMetrics metrics() {
        return metrics;
    }

    /**
     * The shape this route serves: null for an API without a split (nothing is stamped),
     * {@code main} for the API's own shape, else the shape's name ({@code X-Meridian-Shape}).
     */
    public String shape() {
        return shape;
    }

    /** The API's split on its main route, which picks the shape after its policies; else null. */
    public ShapeSplit split() {
        return split;
    }

    /** The routes of the API's other shapes (empty without a split): for what is kept per upstream. */
    public List<Route> shapes() {
        return split == null ? List.of() : split.shapes();
    }
}
