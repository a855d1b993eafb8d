package dev.meridian.policy.apikey;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.meridian.policy.api.PolicyRequest;

/** An in-memory request: case-insensitive, multi-valued headers, a query string, attributes. */
final class FakeRequest implements PolicyRequest {

    private final Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final Map<String, Object> attributes = new HashMap<>();
    private final String query;
    /** What the policy took out of the upstream's query ({@code removeQueryParameter}). */
    final List<String> removedQueryParameters = new java.util.ArrayList<>();

    private FakeRequest(String query) {
        this.query = query;
    }

    static FakeRequest withHeaders(String... namesAndValues) {
        FakeRequest r = new FakeRequest(null);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            r.addHeader(namesAndValues[i], namesAndValues[i + 1]);
        }
        return r;
    }

    static FakeRequest withQuery(String query) {
        return new FakeRequest(query);
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
        return Optional.ofNullable(query);
    }

    @Override
    public void removeQueryParameter(String name) {
        removedQueryParameters.add(name);
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
        return headers(name).stream().findFirst();
    }

    @Override
    public List<String> headers(String name) {
        return List.copyOf(headers.getOrDefault(name, List.of()));
    }

    @Override
    public void setHeader(String name, String value) {
        headers.put(name, new ArrayList<>(List.of(value)));
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
