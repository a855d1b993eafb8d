package dev.meridian.manager.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.meridian.core.SharedStates;
import dev.meridian.manager.AdminException;
import dev.meridian.model.Problem;
import dev.meridian.policy.api.SharedState;

/**
 * {@code POST /api/v1/introspection/revoke} {@code {"token"|"subject"|"client": "..."}}: makes
 * the {@code oauth2-introspection} policy of every node stop honouring what it holds for a token,
 * a subject or a client (an addition to CONTRACT §5's list, for issue 12; see the policy's
 * README). It writes the policy's revocation list in the cluster-shared state
 * ({@code oauth2-introspection.revocations}: {@code list}, then {@code version}); every node's
 * near cache sees the change within milliseconds. The format is the policy's
 * {@code Revocations} (the two bundles share no class, only these bytes):
 *
 * <pre>
 * meridian-revocations 1 &lt;sequence&gt;
 * token|sub|client &lt;epoch ms&gt; &lt;sha-256 hex | url-encoded value&gt;
 * </pre>
 *
 * A revocation is kept {@link #KEEP} (the longest {@code cacheTtl}), then pruned by the next
 * write; tokens are written as their digest only, never as they are.
 */
@Component(service = IntrospectionRevoker.class)
public final class IntrospectionRevoker {

    static final String SPACE = "oauth2-introspection.revocations";
    static final String LIST = "list";
    static final String VERSION = "version";
    static final String MAGIC = "meridian-revocations 1 ";
    static final Duration KEEP = Duration.ofHours(24);
    static final int MAX_HELD = 10_000;
    private static final int ATTEMPTS = 16;
    private static final long CALL_TIMEOUT_MS = 5_000;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SharedStates states;

    private final LongSupplier clock;

    public IntrospectionRevoker() {
        this(System::currentTimeMillis);
    }

    IntrospectionRevoker(LongSupplier clock) {
        this.clock = clock;
    }

    /** For tests: the state service as DS would bind it. */
    void bind(SharedStates s) {
        this.states = s;
    }

    /** What was revoked, for the answer and the audit log. */
    record Answer(int status, Map<String, Object> tree, String summary) {
    }

    /** One checked revocation: its kind in the list ({@code token}, {@code sub}, {@code client}) and value. */
    record Revocation(String kind, String value, String shown) {
    }

    /** Checks {@code body} (a parsed JSON tree): exactly one of token, subject or client, a non-empty string. */
    static Revocation request(Object body) throws AdminException {
        if (!(body instanceof Map<?, ?> map) || map.size() != 1) {
            throw new AdminException(422, "invalid revocation",
                List.of(new Problem("", "expected exactly one of {\"token\"}, {\"subject\"} or {\"client\"}")));
        }
        Map.Entry<?, ?> e = map.entrySet().iterator().next();
        String field = String.valueOf(e.getKey());
        if (!List.of("token", "subject", "client").contains(field)) {
            throw new AdminException(422, "invalid revocation", List.of(new Problem(field, "unknown field: expected token, subject or client")));
        }
        if (!(e.getValue() instanceof String v) || v.isBlank() || v.length() > 8192 || v.chars().anyMatch(c -> c < 32 || c == 127)) {
            throw new AdminException(422, "invalid revocation", List.of(new Problem(field, "expected a non-empty string without control characters")));
        }
        return switch (field) {
            case "token" -> {
                String digest = sha256(v);
                yield new Revocation("token", digest, "token sha256:" + digest.substring(0, 12) + "…");
            }
            case "subject" -> new Revocation("sub", v, "subject " + v);
            default -> new Revocation("client", v, "client " + v);
        };
    }

    /** Adds {@code r} to the cluster's list (compare-and-set, retried when another node wrote first). */
    Answer revoke(Revocation r) throws AdminException {
        SharedStates s = states;
        if (s == null) {
            throw new AdminException(503, "the cluster state is not available on this node (gateway-cluster not running)");
        }
        SharedState space = s.open(SPACE);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long now = clock.getAsLong();
            Optional<byte[]> current = await(space.get(LIST).toCompletableFuture());
            List<String> lines = new ArrayList<>();
            long sequence = 0;
            if (current.isPresent()) {
                String[] old = new String(current.get(), StandardCharsets.UTF_8).split("\n");
                sequence = sequenceOf(old[0]);
                for (int i = 1; i < old.length; i++) {
                    if (keep(old[i], r, now)) {
                        lines.add(old[i]);
                    }
                }
            }
            lines.add(r.kind() + " " + now + " " + URLEncoder.encode(r.value(), StandardCharsets.UTF_8));
            if (lines.size() > MAX_HELD) {
                throw new AdminException(409, "the cluster holds " + MAX_HELD + " introspection revocations already; they are kept "
                    + KEEP.toHours() + " h each");
            }
            long next = sequence + 1;
            byte[] value = (MAGIC + next + "\n" + String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
            boolean written = current.isPresent()
                ? await(space.compareAndSet(LIST, current.get(), value, Duration.ZERO).toCompletableFuture())
                : await(space.putIfAbsent(LIST, value, Duration.ZERO).toCompletableFuture());
            if (written) {
                // the version is what every node peeks at: written after the list it announces
                await(space.put(VERSION, Long.toString(next).getBytes(StandardCharsets.US_ASCII), Duration.ZERO).toCompletableFuture());
                Map<String, Object> tree = new LinkedHashMap<>();
                tree.put("revoked", r.kind().equals("sub") ? "subject" : r.kind());
                tree.put(r.kind().equals("token") ? "sha256" : "value", r.value());
                tree.put("at", Instant.ofEpochMilli(now).toString());
                tree.put("until", Instant.ofEpochMilli(now).plus(KEEP).toString());
                tree.put("sequence", next);
                tree.put("held", lines.size());
                return new Answer(200, tree, "revoked introspection " + r.shown() + " (sequence " + next + ")");
            }
        }
        throw new AdminException(409, "the revocation list changed " + ATTEMPTS + " times while writing; retry");
    }

    /** Whether an existing line stays: recent, well-formed, and not the one being revoked again. */
    private static boolean keep(String line, Revocation r, long now) {
        String[] f = line.split(" ", 3);
        if (f.length != 3) {
            return false;
        }
        try {
            long at = Long.parseLong(f[1]);
            return now - at < KEEP.toMillis()
                && !(f[0].equals(r.kind()) && f[2].equals(URLEncoder.encode(r.value(), StandardCharsets.UTF_8)));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static long sequenceOf(String header) {
        if (!header.startsWith(MAGIC)) {
            return 0;
        }
        try {
            return Long.parseLong(header.substring(MAGIC.length()).strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static <T> T await(CompletableFuture<T> stage) throws AdminException {
        try {
            return stage.get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(503, "interrupted while writing the revocation");
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new AdminException(503, "the cluster state did not answer: " + cause.getMessage());
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
