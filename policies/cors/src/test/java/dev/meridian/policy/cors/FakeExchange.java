package dev.meridian.policy.cors;

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

/** An in-memory request or response for tests: a method, a status, case-insensitive multi-valued headers. */
final class FakeExchange implements PolicyRequest, PolicyResponse {

    private final String method;
    private final int status;
    private final Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final Map<String, Object> attributes = new HashMap<>();

    private FakeExchange(String method, int status) {
        this.method = method;
        this.status = status;
    }

    static FakeExchange request(String method, String... namesAndValues) {
        return with(new FakeExchange(method, 0), namesAndValues);
    }

    static FakeExchange response(int status, String... namesAndValues) {
        return with(new FakeExchange("", status), namesAndValues);
    }

    private static FakeExchange with(FakeExchange fake, String... namesAndValues) {
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fake.addHeader(namesAndValues[i], namesAndValues[i + 1]);
        }
        return fake;
    }

    /** Every header, lower-case name to values, for assertions. */
    Map<String, List<String>> snapshot() {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        headers.forEach((name, values) -> copy.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        return copy;
    }

    @Override
    public String method() {
        return method;
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
        return "192.0.2.7";
    }

    @Override
    public int status() {
        return status;
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
        headers.remove(name);
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
