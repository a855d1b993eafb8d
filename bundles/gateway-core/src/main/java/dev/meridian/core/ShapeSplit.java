package dev.meridian.core;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.meridian.model.Split;
import dev.meridian.policy.api.PolicyRequest;

/**
 * An API's compiled traffic split: which {@link Route} of its shapes serves a request, from the
 * request's sticky key. Immutable, shared by every request of the table.
 *
 * <p><b>Buckets.</b> The key (UTF-8) is hashed with the API id as salt by {@link #bucket}: 64-bit
 * FNV-1a over {@code apiId, 0x00, key}, then the murmur3 64-bit finaliser, modulo
 * {@link Split#BUCKETS}. The function is ours, fixed and platform-free: every node and JVM puts a
 * key in the same bucket, and a user's bucket never changes with the weights. The shapes of
 * {@code split.to} hold consecutive ranges from bucket 0 in list order, main the rest
 * ({@link Split}): raising a weight only grows the covered prefix, so nobody moves back to main.
 *
 * <p><b>Keys.</b> {@code consumer}: the {@link PolicyRequest#CONSUMER} attribute the API's own
 * policies set (they run before the choice); {@code header:<Name>}: its first value;
 * {@code cookie:<Name>}: its value; {@code ip}: the client address. When the key is missing (an
 * anonymous request, no such header) the client address stands in; a missing cookie gets a fresh
 * random id, which the answer sets ({@link #setCookie}) so the user stays where the id puts them.
 */
public final class ShapeSplit {

    private final Split.StickyBy by;
    private final String name;
    private final String salt;
    private final String cookiePath;
    /** Exclusive end bucket of each shape's range, ascending. */
    private final int[] ends;
    private final Route[] shapes;

    /**
     * @param apiId the salt of every key's hash
     * @param shapes the routes of {@code split.to}'s shapes, in its order
     */
    public ShapeSplit(String apiId, String basePath, Split split, List<Route> shapes) {
        if (shapes.size() != split.to().size()) {
            throw new IllegalArgumentException("one route per shape of the split");
        }
        this.by = split.stickyBy();
        this.name = split.stickyName();
        this.salt = apiId;
        this.cookiePath = basePath;
        this.ends = new int[shapes.size()];
        this.shapes = shapes.toArray(new Route[0]);
        int end = 0;
        for (int i = 0; i < ends.length; i++) {
            end += split.to().get(i).basisPoints();
            ends[i] = end;
        }
    }

    /** The shapes' routes in bucket order. */
    public List<Route> shapes() {
        return List.of(shapes);
    }

    /** Where the key is read from. */
    public Split.StickyBy stickyBy() {
        return by;
    }

    /** The shape route of {@code bucket}, or {@code main} when the bucket is past every shape's range. */
    public Route route(int bucket, Route main) {
        for (int i = 0; i < ends.length; i++) {
            if (bucket < ends[i]) {
                return shapes[i];
            }
        }
        return main;
    }

    /**
     * The sticky key of {@code request}: never null; for a cookie split without the cookie, null
     * (the caller makes one with {@link #newCookieValue()} and sets it).
     */
    public String key(PolicyRequest request) {
        switch (by) {
            case CONSUMER -> {
                Object consumer = request.attributes().get(PolicyRequest.CONSUMER);
                return consumer == null ? request.clientAddress() : consumer.toString();
            }
            case HEADER -> {
                return request.header(name).filter(v -> !v.isEmpty()).orElse(request.clientAddress());
            }
            case COOKIE -> {
                return cookie(request.headers("Cookie"), name);
            }
            default -> {
                return request.clientAddress();
            }
        }
    }

    /** The bucket of {@code key} for this API. */
    public int bucket(String key) {
        return bucket(salt, key);
    }

    /** A fresh id for a user without the split's cookie: 128 random bits, 32 hex digits. */
    public static String newCookieValue() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return hex(r.nextLong()) + hex(r.nextLong());
    }

    /** The {@code Set-Cookie} value that keeps a user on the shape {@code value} puts them on. */
    public String setCookie(String value) {
        return name + "=" + value + "; Path=" + cookiePath + "; Max-Age=31536000; HttpOnly; SameSite=Lax";
    }

    /**
     * The bucket of {@code key} salted with {@code salt}, in {@code [0, Split.BUCKETS)}: the same
     * on every node and JVM (see the class comment).
     */
    public static int bucket(String salt, String key) {
        // the 0x00 separator byte: "ab"+"c" and "a"+"bc" differ
        long h = StableHash.add(StableHash.addByte(StableHash.add(StableHash.START, salt), 0), key);
        return (int) Long.remainderUnsigned(StableHash.mix(h), Split.BUCKETS);
    }

    /** The value of cookie {@code name} in the request's {@code Cookie} fields (RFC 6265 §5.4), or null. */
    public static String cookie(List<String> fields, String name) {
        for (String field : fields) {
            int i = 0;
            int n = field.length();
            while (i < n) {
                int semi = field.indexOf(';', i);
                int end = semi < 0 ? n : semi;
                int eq = field.indexOf('=', i);
                if (eq > 0 && eq < end && field.substring(i, eq).trim().equals(name)) {
                    String value = field.substring(eq + 1, end).trim();
                    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                        value = value.substring(1, value.length() - 1);
                    }
                    if (!value.isEmpty()) {
                        return value;
                    }
                }
                i = end + 1;
            }
        }
        return null;
    }

    private static String hex(long v) {
        String s = Long.toHexString(v);
        return "0".repeat(16 - s.length()) + s;
    }
}
