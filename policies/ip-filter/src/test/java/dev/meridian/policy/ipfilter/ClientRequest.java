package dev.meridian.policy.ipfilter;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.meridian.policy.api.PolicyRequest;

/** A request that is only a client address, as the engine resolved it (ip-filter reads nothing else). */
record ClientRequest(String clientAddress) implements PolicyRequest {

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/";
    }

    @Override
    public Optional<String> query() {
        return Optional.empty();
    }

    @Override
    public String apiId() {
        return "orders";
    }

    @Override
    public long revision() {
        return 1;
    }

    @Override
    public Optional<String> header(String name) {
        return Optional.empty();
    }

    @Override
    public List<String> headers(String name) {
        return List.of();
    }

    @Override
    public void setHeader(String name, String value) {
        throw new UnsupportedOperationException("ip-filter never changes a request");
    }

    @Override
    public void addHeader(String name, String value) {
        throw new UnsupportedOperationException("ip-filter never changes a request");
    }

    @Override
    public void removeHeader(String name) {
        throw new UnsupportedOperationException("ip-filter never changes a request");
    }

    @Override
    public Map<String, Object> attributes() {
        return new HashMap<>();
    }
}
