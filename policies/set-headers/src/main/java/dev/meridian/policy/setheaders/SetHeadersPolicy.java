package dev.meridian.policy.setheaders;

import java.util.Objects;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;
import dev.meridian.policy.setheaders.SetHeadersConfig.Header;
import dev.meridian.policy.setheaders.SetHeadersConfig.Phase;

/** Applies one validated configuration; thread-safe, its only field is immutable. */
final class SetHeadersPolicy implements Policy {

    private final SetHeadersConfig config;

    SetHeadersPolicy(SetHeadersConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public Decision onRequest(PolicyRequest request) {
        Phase phase = config.request();
        phase.remove().forEach(request::removeHeader);
        for (Header header : phase.set()) {
            request.setHeader(header.name(), header.value());
        }
        for (Header header : phase.add()) {
            request.addHeader(header.name(), header.value());
        }
        return Decision.proceed();
    }

    @Override
    public Decision onResponse(PolicyRequest request, PolicyResponse response) {
        Phase phase = config.response();
        phase.remove().forEach(response::removeHeader);
        for (Header header : phase.set()) {
            response.setHeader(header.name(), header.value());
        }
        for (Header header : phase.add()) {
            response.addHeader(header.name(), header.value());
        }
        return Decision.proceed();
    }

    @Override
    public String toString() {
        return "set-headers" + config;
    }
}
