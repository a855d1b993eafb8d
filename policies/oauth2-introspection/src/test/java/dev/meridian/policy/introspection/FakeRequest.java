package dev.meridian.policy.introspection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.meridian.policy.api.PolicyRequest;

/** A request with case-insensitive headers and attributes, as the engine's would be. */
final class FakeRequest implements PolicyRequest {

    private final Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final Map<String, Object> attributes = new HashMap<>();

    static FakeRequest bearer(String token) {
        FakeRequest r = new FakeRequest();
        r.setHeader("Authorization", "Bearer " + token);
        return r;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/orders/42";
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
    public String clientAddress() {
        return "127.0.0.1";
    }

    @Override
    public Optional<String> header(String name) {
        List<String> v = headers.get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    @Override
    public List<String> headers(String name) {
        return List.copyOf(headers.getOrDefault(name, List.of()));
    }

    @Override
    public void setHeader(String name, String value) {
        headers.put(name.toLowerCase(Locale.ROOT), new ArrayList<>(List.of(value)));
    }

    @Override
    public void addHeader(String name, String value) {
        headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }

    @Override
    public void removeHeader(String name) {
        headers.remove(name);
    }

    @Override
    public Map<String, Object> attributes() {
        return attributes;
    }
}
