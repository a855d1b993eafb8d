package dev.meridian.core.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Canary;
import dev.meridian.core.CanaryMeter;
import dev.meridian.core.ConsumerIndex;
import dev.meridian.core.GatewayState;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ShapeSplit;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.PolicySpec;
import dev.meridian.model.Problem;
import dev.meridian.model.Shape;
import dev.meridian.model.Split;
import dev.meridian.model.Upstream;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;

/**
 * Compiles a state into a route table. Policy instances of the previous table are reused when
 * their spec is unchanged and their factory is still the preferred one, or has gone away (a
 * removed bundle keeps its last instance serving, CONTRACT §4).
 *
 * <p>Each policy is built once per apply: {@link #validate} builds the instances of the specs it
 * checks (that is how a configuration is checked) and keeps them, keyed by spec, until the
 * compile of that state takes them (or a bound pushes them out), instead of throwing them away
 * and building them again. A kept instance is used only if its factory is still the preferred
 * one. {@link #validate} may run on any thread; {@link #compile} runs on the engine's executor.
 *
 * <p>Secrets ({@code ${secret:NAME}}, {@link SecretResolver}) are resolved here and only here: the
 * state keeps the references, the instances get the values. Instances are keyed by the
 * <em>resolved</em> spec, so a changed secret file makes a new instance on the next compile and an
 * unchanged one keeps it. A message built from a resolved configuration (a factory's error) is
 * redacted back to the references before it leaves this class.
 *
 * <p>Each API's upstream is resolved here too ({@link UpstreamResolver}: secrets in its URL, TLS
 * files and secrets read) on every validate and compile, into the {@link Route#upstream()} the
 * data plane calls. An upstream that resolves equal to one of the previous compile is that same
 * instance: the data plane keys connection pools by it, and an identical key is the cheapest
 * look-up on every request.
 */
final class Compiler {

    /** A compiled policy and the provider that made it. */
    record Compiled(PolicySpec spec, PolicyRegistry.Provider provider, Policy policy) {
    }

    /** The outcome: the table, its compiled policies (for reuse by the next compile), missing types. */
    record Result(RouteTable table, Map<PolicySpec, Compiled> compiled, List<String> missingTypes) {
    }

    /** Validated instances kept for the compile that follows; more than this and the oldest go. */
    static final int PREPARED_MAX = 256;

    private final PolicyRegistry registry;
    /** Instances built by {@link #validate} and not yet taken by a compile, oldest first. Guarded by itself. */
    private final Map<PolicySpec, Compiled> prepared = new java.util.LinkedHashMap<>();
    private final Function<String, ApiMetrics> metrics;
    private final Predicate<String> pending;
    private final SecretResolver secrets;
    private final UpstreamResolver upstreams;
    /** The resolved upstreams of the last compile, each mapped to itself. Engine thread only (compile). */
    private Map<Upstream, Upstream> lastUpstreams = Map.of();
    /** The consumers of the last compile, kept by the next one when its consumers are the same. Engine thread only (compile). */
    private ConsumerIndex lastConsumers = ConsumerIndex.of(Map.of(), Clock.systemUTC());

    /** @param pending whether a type that is not provided is being installed or replaced (see {@link PendingTypes}) */
    Compiler(PolicyRegistry registry, Function<String, ApiMetrics> metrics, Predicate<String> pending) {
        this(registry, metrics, pending, SecretResolver.NONE);
    }

    Compiler(PolicyRegistry registry, Function<String, ApiMetrics> metrics, Predicate<String> pending,
             SecretResolver secrets) {
        this.registry = registry;
        this.metrics = metrics;
        this.pending = pending;
        this.secrets = secrets;
        this.upstreams = new UpstreamResolver(secrets);
    }

    /** Checks types and configurations; problems are prefixed {@code [i].} when there are several APIs. */
    List<Problem> validate(List<ApiDefinition> apis) {
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < apis.size(); i++) {
            String prefix = apis.size() > 1 ? "[" + i + "]." : "";
            try {
                upstreams.resolve(apis.get(i).upstream());
            } catch (PolicyConfigException e) {
                e.problems().forEach(p -> problems.add(new Problem(prefix + p.path(), p.message())));
            }
            validatePolicies(apis.get(i).policies(), prefix + "policies", problems);
            for (Map.Entry<String, Shape> shape : apis.get(i).shapes().entrySet()) {
                String at = prefix + "shapes." + shape.getKey() + ".";
                try {
                    upstreams.resolve(shape.getValue().upstream());
                } catch (PolicyConfigException e) {
                    e.problems().forEach(p -> problems.add(new Problem(at + p.path(), p.message())));
                }
                validatePolicies(shape.getValue().policies(), at + "policies", problems);
            }
        }
        return problems;
    }

    /** Builds (and keeps for the compile) each policy of {@code policies}; problems at {@code base[j]...}. */
    private void validatePolicies(List<PolicySpec> policies, String base, List<Problem> problems) {
        for (int j = 0; j < policies.size(); j++) {
            PolicySpec spec = policies.get(j);
            String at = base + "[" + j + "]";
            Optional<PolicyRegistry.Provider> provider = registry.provider(spec.type());
            if (provider.isEmpty()) {
                problems.add(new Problem(at + ".type", missing(spec.type())));
                continue;
            }
            SecretResolver.Resolved resolved;
            try {
                resolved = secrets.resolve(spec.config());
            } catch (PolicyConfigException e) {
                e.problems().forEach(p -> problems.add(new Problem(p.path().isEmpty() ? at : at + "." + p.path(), p.message())));
                continue;
            }
            PolicySpec concrete = concrete(spec, resolved);
            try {
                Policy policy = create(provider.get(), concrete);
                policy.order(); // read when the chain is built: a policy whose order() throws is refused here
                prepare(new Compiled(concrete, provider.get(), policy));
            } catch (PolicyConfigException e) {
                resolved.redact(e.problems())
                    .forEach(p -> problems.add(new Problem(p.path().isEmpty() ? at : at + "." + p.path(), p.message())));
            } catch (RuntimeException e) {
                problems.add(new Problem(at, "policy type '" + spec.type() + "' failed to build: " + resolved.redact(e.toString())));
            }
        }
    }

    /**
     * Whether every {@code ${secret:NAME}} reference of {@code apis} resolves now and their
     * upstreams' TLS files load (reads the files, builds nothing); problems at
     * {@code [id].policies[j].<path>} and {@code [id].upstream.<path>}.
     */
    List<Problem> checkSecrets(Collection<ApiDefinition> apis) {
        List<Problem> problems = new ArrayList<>();
        for (ApiDefinition api : apis) {
            try {
                upstreams.resolve(api.upstream());
            } catch (PolicyConfigException e) {
                e.problems().forEach(p -> problems.add(new Problem("[" + api.id() + "]." + p.path(), p.message())));
            }
            for (int j = 0; j < api.policies().size(); j++) {
                try {
                    secrets.resolve(api.policies().get(j).config());
                } catch (PolicyConfigException e) {
                    at(api, j, e).problems().forEach(p -> problems.add(new Problem(p.path(), p.message())));
                }
            }
            for (Map.Entry<String, Shape> shape : api.shapes().entrySet()) {
                String at = "[" + api.id() + "].shapes." + shape.getKey() + ".";
                try {
                    upstreams.resolve(shape.getValue().upstream());
                } catch (PolicyConfigException e) {
                    e.problems().forEach(p -> problems.add(new Problem(at + p.path(), p.message())));
                }
                List<PolicySpec> specs = shape.getValue().policies();
                for (int j = 0; j < specs.size(); j++) {
                    try {
                        secrets.resolve(specs.get(j).config());
                    } catch (PolicyConfigException e) {
                        at(at + "policies", j, e).problems().forEach(p -> problems.add(new Problem(p.path(), p.message())));
                    }
                }
            }
        }
        return problems;
    }

    /**
     * Compiles a canary's state (CONTRACT §8): the stable side's state and the canary's, each
     * policy built once for both (a policy the sides share is one instance), upstreams shared by
     * both sides one instance (one pool); the canary side's table is returned, holding the
     * stable side's, both recording into {@code meter}.
     */
    Result compileCanary(GatewayState state, long generation, Map<PolicySpec, Compiled> previous, CanaryMeter meter)
        throws PolicyConfigException {
        Canary canary = state.canary();
        Map<Upstream, Upstream> before = lastUpstreams;
        Result stable = compile(canary.stableState(state), generation, previous);
        Map<Upstream, Upstream> upstreams = new HashMap<>(before);
        upstreams.putAll(lastUpstreams);
        lastUpstreams = upstreams; // the canary side takes the stable side's instances where they are equal
        Map<PolicySpec, Compiled> both = new HashMap<>(previous);
        both.putAll(stable.compiled());
        Result side = compile(state, generation, both);
        Map<Upstream, Upstream> kept = new HashMap<>(upstreams);
        kept.putAll(lastUpstreams);
        lastUpstreams = kept;
        Map<PolicySpec, Compiled> compiled = new HashMap<>(stable.compiled());
        compiled.putAll(side.compiled());
        List<String> missing = new ArrayList<>(stable.missingTypes());
        side.missingTypes().stream().filter(t -> !missing.contains(t)).forEach(missing::add);
        return new Result(side.table().asCanary(stable.table(), canary, meter), Map.copyOf(compiled), List.copyOf(missing));
    }

    Result compile(GatewayState state, long generation, Map<PolicySpec, Compiled> previous) throws PolicyConfigException {
        Map<PolicySpec, Compiled> compiled = new HashMap<>();
        List<String> missing = new ArrayList<>();
        List<Route> routes = new ArrayList<>();
        Map<Upstream, Upstream> resolvedUpstreams = new HashMap<>();
        for (ApiDefinition api : state.apis().values()) {
            String base = "[" + api.id() + "].";
            UpstreamResolver.Resolved upstream = resolve(api.upstream(), base);
            Upstream kept = lastUpstreams.getOrDefault(upstream.upstream(), upstream.upstream());
            resolvedUpstreams.put(kept, kept);
            List<Policy> chain = chain(api.policies(), base + "policies", compiled, previous, missing);
            if (api.split().isNone()) {
                routes.add(new Route(api, kept, upstream.redaction(), chain, metrics.apply(api.id())));
                continue;
            }
            // each shape of the split: its own upstream (own pool) and chain, the API's policies first
            List<Route> shapes = new ArrayList<>();
            for (Split.Share share : api.split().to()) {
                Shape shape = api.shapes().get(share.shape());
                String at = base + "shapes." + share.shape() + ".";
                UpstreamResolver.Resolved su = resolve(shape.upstream(), at);
                Upstream sk = lastUpstreams.getOrDefault(su.upstream(), su.upstream());
                resolvedUpstreams.put(sk, sk);
                List<Policy> own = chain(shape.policies(), at + "policies", compiled, previous, missing);
                shapes.add(Route.forShape(api, share.shape(), sk, su.redaction(), chain, own,
                    metrics.apply(ApiMetrics.key(api.id(), share.shape()))));
            }
            routes.add(new Route(api, kept, upstream.redaction(), chain, metrics.apply(api.id()),
                new ShapeSplit(api.id(), api.basePath(), api.split(), shapes)));
        }
        lastUpstreams = resolvedUpstreams;
        if (!lastConsumers.holds(state.consumers())) {
            lastConsumers = ConsumerIndex.of(state.consumers(), Clock.systemUTC());
        }
        return new Result(new RouteTable(state.revision(), generation, routes, lastConsumers), Map.copyOf(compiled),
            List.copyOf(missing));
    }

    private UpstreamResolver.Resolved resolve(Upstream upstream, String base) throws PolicyConfigException {
        try {
            return upstreams.resolve(upstream);
        } catch (PolicyConfigException e) {
            throw new PolicyConfigException(e.problems().stream()
                .map(p -> new PolicyConfigException.Problem(base + p.path(), p.message())).toList());
        }
    }

    /** The instances of {@code specs}, reused from this compile, the previous one or validation; problems at {@code base[j]}. */
    private List<Policy> chain(List<PolicySpec> specs, String base, Map<PolicySpec, Compiled> compiled,
                               Map<PolicySpec, Compiled> previous, List<String> missing) throws PolicyConfigException {
        List<Policy> chain = new ArrayList<>();
        for (int j = 0; j < specs.size(); j++) {
            PolicySpec spec;
            SecretResolver.Resolved resolved;
            try {
                resolved = secrets.resolve(specs.get(j).config());
                spec = concrete(specs.get(j), resolved);
            } catch (PolicyConfigException e) {
                throw at(base, j, e);
            }
            Compiled c = compiled.get(spec);
            if (c == null) {
                try {
                    c = compileOne(spec, previous.get(spec), missing, resolved);
                } catch (PolicyConfigException e) {
                    throw at(base, j, e);
                }
                compiled.put(spec, c);
            }
            chain.add(c.policy());
        }
        return chain;
    }

    private static PolicyConfigException at(ApiDefinition api, int j, PolicyConfigException e) {
        return at("[" + api.id() + "].policies", j, e);
    }

    private static PolicyConfigException at(String base, int j, PolicyConfigException e) {
        String at = base + "[" + j + "]";
        return new PolicyConfigException(e.problems().stream()
            .map(p -> new PolicyConfigException.Problem(p.path().isEmpty() ? at : at + "." + p.path(), p.message()))
            .toList());
    }

    /** The spec the factory gets: {@code spec} itself when it has no secret. */
    private static PolicySpec concrete(PolicySpec spec, SecretResolver.Resolved resolved) {
        return resolved.values().isEmpty() && resolved.config() == spec.config() ? spec
            : new PolicySpec(spec.type(), resolved.config());
    }

    private String missing(String type) {
        String message = "no installed bundle provides policy type '" + type + "'";
        return pending.test(type) ? message + " (a bundle providing it is being installed or replaced and is not back yet)" : message;
    }

    private Compiled compileOne(PolicySpec spec, Compiled old, List<String> missing, SecretResolver.Resolved resolved)
        throws PolicyConfigException {
        Optional<PolicyRegistry.Provider> provider = registry.provider(spec.type());
        if (provider.isEmpty()) {
            if (old == null) {
                throw new PolicyConfigException("type", missing(spec.type()));
            }
            if (!missing.contains(spec.type())) {
                missing.add(spec.type());
            }
            return old;
        }
        if (old != null && old.provider().factory() == provider.get().factory()) {
            return old;
        }
        Compiled validated = takePrepared(spec);
        if (validated != null && validated.provider().factory() == provider.get().factory()) {
            return validated;
        }
        if (resolved.values().isEmpty()) {
            return new Compiled(spec, provider.get(), create(provider.get(), spec));
        }
        try {
            return new Compiled(spec, provider.get(), create(provider.get(), spec));
        } catch (PolicyConfigException e) {
            throw new PolicyConfigException(resolved.redact(e.problems()));
        } catch (RuntimeException e) {
            // its message (and the stack trace the engine would log) may quote the configuration's values
            throw new PolicyConfigException("", "policy type '" + spec.type() + "' failed to build: " + resolved.redact(e.toString()));
        }
    }

    /**
     * The one place policies are built, at apply and in validation dry runs alike, with the
     * factory's own context (a 1.0/1.1 factory's default {@code create(config, context)} ignores
     * it). A dry run's instance may become the published one, so it gets the same context, not a
     * throw-away one; see {@link FactoryContext} for what that means for timers.
     */
    private static Policy create(PolicyRegistry.Provider provider, PolicySpec spec) throws PolicyConfigException {
        return provider.factory().create(spec.config(), provider.context());
    }

    private void prepare(Compiled c) {
        synchronized (prepared) {
            prepared.remove(c.spec()); // re-inserted as the newest
            prepared.put(c.spec(), c);
            if (prepared.size() > PREPARED_MAX) {
                prepared.remove(prepared.keySet().iterator().next());
            }
        }
    }

    private Compiled takePrepared(PolicySpec spec) {
        synchronized (prepared) {
            return prepared.remove(spec);
        }
    }

    /** How many validated instances wait for their compile (tests). */
    int preparedCount() {
        synchronized (prepared) {
            return prepared.size();
        }
    }
}
