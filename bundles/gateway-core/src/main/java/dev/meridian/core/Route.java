package dev.meridian.core;

import java.util.List;
import java.util.Set;

import dev.meridian.model.ApiDefinition;
import dev.meridian.policy.api.Policy;

/**
 * One API as compiled for one route table: the definition plus its policy chain. Immutable;
 * the policy array is never modified after construction.
 */
public final class Route {

    private final ApiDefinition api;
    private final Policy[] policies;
    private final boolean anyMethod;
    private final Set<String> methods;
    private final ApiMetrics metrics;

    public Route(ApiDefinition api, List<Policy> policies, ApiMetrics metrics) {
        this.api = api;
        this.policies = policies.toArray(new Policy[0]);
        this.methods = api.methods();
        this.anyMethod = methods.isEmpty();
        this.metrics = metrics;
    }

    public ApiDefinition api() {
        return api;
    }

    public String id() {
        return api.id();
    }

    public String basePath() {
        return api.basePath();
    }

    public boolean allows(String method) {
        return anyMethod || methods.contains(method);
    }

    public int policyCount() {
        return policies.length;
    }

    public Policy policy(int index) {
        return policies[index];
    }

    public ApiMetrics metrics() {
        return metrics;
    }
}
