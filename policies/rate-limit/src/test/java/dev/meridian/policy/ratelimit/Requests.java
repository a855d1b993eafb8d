package dev.meridian.policy.ratelimit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/** Requests and responses as the engine hands them to a policy: headers case-insensitive, attributes per request. */
final class Requests {

    private Requests() {
    }

    static Request from(String client) {
        return new Request("orders", client);
    }

    static final class Request implements PolicyRequest {
        private final String api;
        private final String client;
        private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        private final Map<String, Object> attributes = new HashMap<>();

        Request(String api, String client) {
            this.api = api;
            this.client = client;
        }

        Request header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Request consumer(String id) {
            attributes.put(CONSUMER, id);
            return this;
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
            return api;
        }

        @Override
        public long revision() {
            return 1;
        }

        @Override
        public String clientAddress() {
            return client;
        }

        @Override
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name));
        }

        @Override
        public List<String> headers(String name) {
            return header(name).map(List::of).orElse(List.of());
        }

        @Override
        public void setHeader(String name, String value) {
            headers.put(name, value);
        }

        @Override
        public void addHeader(String name, String value) {
            headers.merge(name, value, (a, b) -> a + ", " + b);
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

    static final class Response implements PolicyResponse {
        private final int status;
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

        Response(int status) {
            this.status = status;
        }

        @Override
        public int status() {
            return status;
        }

        @Override
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name));
        }

        @Override
        public List<String> headers(String name) {
            return header(name).map(List::of).orElse(List.of());
        }

        @Override
        public void setHeader(String name, String value) {
            headers.put(name, value);
        }

        @Override
        public void addHeader(String name, String value) {
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }

        @Override
        public void removeHeader(String name) {
            headers.remove(name);
        }
    }
}
