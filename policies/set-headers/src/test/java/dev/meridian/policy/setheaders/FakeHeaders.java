package dev.meridian.policy.setheaders;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/** A minimal in-memory request and response for tests: case-insensitive, multi-valued headers. */
final class FakeHeaders implements PolicyRequest, PolicyResponse {

    private final Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final Map<String, Object> attributes = new HashMap<>();

    static FakeHeaders of(String... namesAndValues) {
        FakeHeaders fake = new FakeHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fake.addHeader(namesAndValues[i], namesAndValues[i + 1]);
        }
        return fake;
    }

    /** Every header as name (as first written) to values, for assertions. */
    Map<String, List<String>> snapshot() {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        headers.forEach((name, values) -> copy.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        return copy;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/orders";
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
    public int status() {
        return 200;
    }

    @Override
    public Optional<String> header(String name) {
        return headers(name).stream().findFirst();
    }

    @Override
    public List<String> headers(String name) {
        return List.copyOf(headers.getOrDefault(name, List.of()));
    }

    @Override
    public void setHeader(String name, String value) {
        List<String> values = new ArrayList<>();
        values.add(value);
        headers.remove(name);
        headers.put(name, values);
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
