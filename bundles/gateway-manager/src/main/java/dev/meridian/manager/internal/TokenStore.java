package dev.meridian.manager.internal;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.ClusterUnavailableException;
import dev.meridian.cluster.SharedRecords;
import dev.meridian.manager.AdminException;

/**
 * The API tokens of CONTRACT §9, on every node: created and revoked in the cluster's
 * {@code tokens} book (so a duplicate name is refused cluster-wide and a revocation reaches every
 * node with the book's entry event), kept durably on each node's disk ({@code tokens.jsonl},
 * forced before a create or revoke answers) and offered back to the cluster at start, so tokens
 * survive a full restart and a node joining later reads them all.
 *
 * <p>Reads (every admin call with a Bearer token) take the immutable snapshot: one volatile read,
 * a hash and a map lookup; no lock, no cluster round trip.
 */
@Component(service = TokenStore.class, immediate = true)
public final class TokenStore {

    private static final Logger LOG = LoggerFactory.getLogger(TokenStore.class);

    /** Tokens by name (tombstones included) and usable ones by hash; replaced whole on each change. */
    private record Snapshot(Map<String, Token> byName, Map<String, Token> byHash) {
        static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of());
    }

    @Reference(target = "(" + SharedRecords.NAME + "=tokens)")
    private SharedRecords cluster;

    private final SecureRandom random = new SecureRandom();

    /** For DS. */
    public TokenStore() {
    }

    /** Over a given book (tests). */
    TokenStore(SharedRecords cluster) {
        this.cluster = cluster;
    }
    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private JsonLines disk;
    private final BookThread thread = new BookThread("tokens");

    @Activate
    void activate() throws IOException {
        start(ManagerComponent.dataDir().resolve("tokens.jsonl"));
    }

    /** Loads the disk's tokens, listens to the cluster's, merges both ways (retried while there is no majority). */
    void start(java.nio.file.Path file) throws IOException {
        disk = new JsonLines(file);
        for (String line : disk.read()) {
            try {
                merge(Token.fromJson(line), false);
            } catch (IllegalArgumentException | IOException e) {
                LOG.error("a token record on disk is unreadable and ignored: {}", e.getMessage());
            }
        }
        thread.start(cluster, (name, json) -> mergeFromCluster(json), this::exchange);
    }

    @Deactivate
    void stop() throws Exception {
        thread.stop();
        disk.close();
    }

    /** This disk's records to the cluster where newer, the cluster's here. */
    private void exchange() throws ClusterUnavailableException {
        for (Token mine : snapshot.byName().values()) {
            publish(mine);
        }
        for (String json : cluster.all().values()) {
            mergeFromCluster(json);
        }
        LOG.info("tokens: {} known ({} usable)", snapshot.byName().size(), snapshot.byHash().size());
    }

    /** Makes the cluster hold {@code t} unless it holds a record that supersedes it. */
    private void publish(Token t) throws ClusterUnavailableException {
        String json = t.toJson();
        for (int attempt = 0; attempt < 10; attempt++) {
            Optional<String> there = cluster.putIfAbsent(t.name(), json);
            if (there.isEmpty() || there.get().equals(json)) {
                return;
            }
            Token theirs = Token.fromJson(there.get());
            if (!t.supersedes(theirs) || cluster.replace(t.name(), there.get(), json)) {
                return;
            }
        }
    }

    private void mergeFromCluster(String json) {
        try {
            merge(Token.fromJson(json), true);
        } catch (IllegalArgumentException | IOException e) {
            LOG.error("a token record from the cluster could not be kept: {}", e.getMessage());
        }
    }

    /** Takes {@code t} if it is new or supersedes what is known; writes it to disk first when {@code durable}. */
    private synchronized boolean merge(Token t, boolean durable) throws IOException {
        Token known = snapshot.byName().get(t.name());
        if (known != null && !t.supersedes(known)) {
            return false;
        }
        if (durable) {
            disk.append(List.of(t.toJson()));
        }
        Map<String, Token> byName = new HashMap<>(snapshot.byName());
        byName.put(t.name(), t);
        Map<String, Token> byHash = new HashMap<>();
        for (Token x : byName.values()) {
            if (x.revoked() == null) {
                byHash.put(x.hash(), x);
            }
        }
        snapshot = new Snapshot(Map.copyOf(byName), Map.copyOf(byHash));
        if (durable && disk.lines() > 2 * byName.size() + 64) {
            List<String> all = byName.values().stream().map(Token::toJson).toList();
            disk.rewrite(all);
        }
        return true;
    }

    /** What {@code POST /api/v1/tokens} answers: the secret, shown this once, and the stored record. */
    record Issued(String secret, Token token) {
    }

    /**
     * Creates a token; 409 when a usable token has that name (cluster-wide), 422 for a bad name,
     * role or ttl, 503 without a majority. Durable here and in the cluster before it returns.
     */
    Issued create(String name, String role, String ttl) throws AdminException {
        if (name == null || !Token.NAME.matcher(name).matches() || Token.RESERVED.contains(name)) {
            throw new AdminException(422, "name must match " + Token.NAME.pattern() + " and not be one of " + Token.RESERVED);
        }
        Role r = Role.parse(role).orElseThrow(() -> new AdminException(422, "role must be admin, operator or viewer"));
        Duration d;
        try {
            d = Token.ttl(ttl);
        } catch (IllegalArgumentException e) {
            throw new AdminException(422, e.getMessage());
        }
        String secret = Token.newSecret(random);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Token t = new Token(name, r, Token.hashOf(secret), now, now.plus(d), null);
        String json = t.toJson();
        try {
            Optional<String> there = cluster.putIfAbsent(name, json);
            if (there.isPresent()) {
                Token theirs = Token.fromJson(there.get());
                if (theirs.usable(now) || !cluster.replace(name, there.get(), json)) {
                    throw new AdminException(409, "a token named '" + name + "' exists");
                }
            }
            merge(t, true);
        } catch (ClusterUnavailableException e) {
            throw new AdminException(503, e.getMessage());
        } catch (IOException e) {
            throw new AdminException(500, "token '" + name + "' is in the cluster but could not be written here: " + e.getMessage());
        }
        return new Issued(secret, t);
    }

    /** Revokes a token on every node; 404 when no usable token has that name. */
    Token revoke(String name) throws AdminException {
        try {
            for (int attempt = 0; attempt < 10; attempt++) {
                Optional<String> there = cluster.get(name);
                Token theirs = there.map(Token::fromJson).orElse(null);
                if (theirs == null || theirs.revoked() != null) {
                    throw new AdminException(404, "no token named '" + name + "'");
                }
                Token revoked = theirs.revokedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS));
                if (cluster.replace(name, there.get(), revoked.toJson())) {
                    merge(revoked, true);
                    return revoked;
                }
            }
            throw new AdminException(503, "token '" + name + "' kept changing; try again");
        } catch (ClusterUnavailableException e) {
            throw new AdminException(503, e.getMessage());
        } catch (IOException e) {
            throw new AdminException(500, "token '" + name + "' is revoked in the cluster but could not be written here: " + e.getMessage());
        }
    }

    /** Tokens not revoked, by name (expired ones included, with their expiry). */
    List<Token> list() {
        List<Token> out = new ArrayList<>();
        for (Token t : snapshot.byName().values()) {
            if (t.revoked() == null) {
                out.add(t);
            }
        }
        out.sort(Comparator.comparing(Token::name));
        return out;
    }

    /** The usable token whose secret is {@code secret} (and, when given, whose name is {@code name}). */
    Optional<Token> verify(String name, String secret) {
        if (secret == null || !secret.startsWith(Token.PREFIX)) {
            return Optional.empty();
        }
        Token t = snapshot.byHash().get(Token.hashOf(secret));
        // the map lookup found it by its hash; the final comparison is constant-time anyway
        if (t == null || !t.matches(secret) || !t.usable(Instant.now()) || name != null && !name.equals(t.name())) {
            return Optional.empty();
        }
        return Optional.of(t);
    }
}
