package dev.meridian.policy.jwt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.meridian.policy.api.PolicyRequest;

/** A request with headers in a case-insensitive map, as the engine's. */
final class TestRequest implements PolicyRequest {

    private final Map<String, List<String>> headers = new HashMap<>();
    private final Map<String, Object> attributes = new ConcurrentHashMap<>();

    static TestRequest bearer(String token) {
        TestRequest request = new TestRequest();
        request.setHeader("Authorization", "Bearer " + token);
        return request;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/orders/1";
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
        List<String> values = headers(name);
        return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    @Override
    public List<String> headers(String name) {
        return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }

    @Override
    public void setHeader(String name, String value) {
        headers.put(name.toLowerCase(Locale.ROOT), new ArrayList<>(List.of(value)));
    }

    @Override
    public void addHeader(String name, String value) {
        headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
    }

    @Override
    public void removeHeader(String name) {
        headers.remove(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public Map<String, Object> attributes() {
        return attributes;
    }
}
