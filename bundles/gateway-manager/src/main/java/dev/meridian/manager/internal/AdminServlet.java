package dev.meridian.manager.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cluster.ClusterNode;
import dev.meridian.manager.AdminException;
import dev.meridian.manager.Change;
import dev.meridian.manager.GatewayAdmin;
import dev.meridian.manager.RevisionInfo;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.CanaryPolicy;
import dev.meridian.model.ConsumerDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Json;
import dev.meridian.model.Problem;

/**
 * The admin API of CONTRACT §5 on Karaf's HTTP service (admin port): Basic as {@code admin} or a
 * Bearer token (§9), each call allowed by {@link AccessRules} for the caller's role (403
 * otherwise), failed logins slowed per address by {@link LoginThrottle} (429).
 * Thin: parses, authenticates, maps {@link AdminException} to status and JSON; every decision is
 * the {@link GatewayAdmin}'s.
 */
@Component(service = Servlet.class, property = {
    "osgi.http.whiteboard.servlet.pattern=/api/v1/*",
    "osgi.http.whiteboard.servlet.name=meridian-admin-api",
    "osgi.http.whiteboard.servlet.asyncSupported=true"}) // GET /metrics/stream (server-sent events)
public final class AdminServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AdminServlet.class);
    private static final int MAX_BODY = 10 * 1024 * 1024;
    private static final Pattern API = Pattern.compile("/apis/([^/]+)");
    private static final Pattern CONSUMER = Pattern.compile("/consumers/([^/]+)");
    private static final Pattern REVISION = Pattern.compile("/revisions/(\\d{1,18})");
    private static final Pattern TOKEN = Pattern.compile("/tokens/([^/]+)");
    private static final Pattern ROLLBACK_YAML = Pattern.compile("(?m)^\\s*to\\s*:\\s*(\\d{1,18})\\s*$");

    @Reference
    private transient GatewayAdmin admin;
    /** The cluster listing in its wire form, and what {@code ?wait=all} watches. */
    @Reference
    private transient NodeStatusReporter status;

    @Reference
    private transient TokenStore tokens;

    /** {@code POST /introspection/revoke} (issue 12, beside §5's calls). */
    @Reference
    private transient IntrospectionRevoker introspection;

    /** The node's one throttle, shared with ssh and web console logins ({@link ThrottleLoginModule}). */
    @Reference
    private transient LoginThrottle throttle;

    /** The console's series (issue 14): {@code GET /metrics/series} and {@code /metrics/stream}. */
    @Reference
    private transient MetricsSeries metrics;

    @Reference
    private transient MetricsStream stream;

    @Reference
    private transient LastServed lastServed;

    private transient AdminAuth auth;
    private final transient NodeIdentity node = NodeIdentity.fromEnvironment();

    @Activate
    void activate() {
        auth = new AdminAuth(tokens, new BasicAuth("karaf"));
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
        String method = req.getMethod();
        String address = req.getRemoteAddr();
        Optional<Caller> caller = authenticate(req, resp, address);
        if (caller.isEmpty()) {
            return;
        }
        GatewayAdmin.Actor actor = new GatewayAdmin.Actor(caller.get().user(), "admin-api", caller.get().role().wire(), address);
        Role needed = AccessRules.needed(method, path);
        if (!caller.get().role().covers(needed)) {
            String call = method + " /api/v1" + path;
            admin.audit(actor, call, 0, "refused 403: needs " + needed.wire());
            Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("error", "role '" + caller.get().role().wire() + "' may not " + call + ": it needs '" + needed.wire() + "'");
            tree.put("needed", needed.wire());
            tree.put("details", List.of());
            json(resp, 403, tree);
            return;
        }
        try {
            actor = canaryCaller(req, path, method, actor);
            Matcher m;
            if (path.equals("/apis") && method.equals("GET")) {
                GatewayAdmin.State s = admin.current();
                json(resp, 200, Map.of("revision", s.revision(), "apis", s.apis().values().stream().map(ApiDefinition::toTree).toList()));
            } else if ((m = API.matcher(path)).matches()) {
                api(req, resp, m.group(1), actor);
            } else if (path.equals("/consumers") && method.equals("GET")) {
                GatewayAdmin.State s = admin.current();
                json(resp, 200, Map.of("revision", s.revision(),
                    "consumers", s.consumers().values().stream().map(ConsumerDefinition::toShown).toList()));
            } else if ((m = CONSUMER.matcher(path)).matches()) {
                consumer(req, resp, m.group(1), actor);
            } else if (path.equals("/apply") && method.equals("POST")) {
                DefinitionParser.Definitions set = DefinitionParser.parseDefinitions(body(req), format(req));
                Change c = set.consumers().isEmpty() ? admin.applySet(set.apis(), flag(req, "prune"), actor, ifMatch(req))
                    : admin.applyAll(set.apis(), set.consumers(), flag(req, "prune"), actor, ifMatch(req));
                respondAfterWait(req, resp, changeTree(c), c);
            } else if (path.equals("/validate") && method.equals("POST")) {
                DefinitionParser.Definitions set = DefinitionParser.parseDefinitions(body(req), format(req));
                Change c = set.consumers().isEmpty() ? admin.validate(set.apis(), flag(req, "prune"))
                    : admin.validateAll(set.apis(), set.consumers(), flag(req, "prune"));
                json(resp, 200, Map.of("valid", true, "diff", Map.of("added", c.added(), "updated", c.updated(), "removed", c.removed())));
            } else if (path.equals("/tokens") || TOKEN.matcher(path).matches()) {
                tokens(req, resp, path, actor);
            } else if (path.equals("/audit") && method.equals("GET")) {
                int limit = (int) Math.min(1000, Math.max(1, longParam(req, "limit", 100)));
                json(resp, 200, admin.audit(limit).stream().map(AuditLog::tree).toList());
            } else if (path.equals("/revisions") && method.equals("GET")) {
                int limit = (int) Math.min(1000, Math.max(1, longParam(req, "limit", 50)));
                // what the bounded history keeps (MERIDIAN_REVISIONS_KEEP), without changing the answer's shape
                resp.setHeader("X-Meridian-Revisions-Keep", Integer.toString(DurableHistory.KEEP));
                json(resp, 200, admin.revisions(limit, longParam(req, "before", 0)).stream().map(AdminServlet::infoTree).toList());
            } else if ((m = REVISION.matcher(path)).matches() && method.equals("GET")) {
                long n = Long.parseLong(m.group(1));
                GatewayAdmin.Revision r = admin.revision(n).orElseThrow(() -> new AdminException(404, "no revision " + n));
                Map<String, Object> tree = infoTree(r.info());
                tree.put("apis", r.apis().stream().map(ApiDefinition::toTree).toList());
                if (!r.consumers().isEmpty()) {
                    tree.put("consumers", r.consumers().stream().map(ConsumerDefinition::toShown).toList());
                }
                json(resp, 200, tree);
            } else if (path.equals("/rollback") && method.equals("POST")) {
                Change c = admin.rollback(rollbackTarget(req), actor, ifMatch(req));
                respondAfterWait(req, resp, changeTree(c), c);
            } else if (path.equals("/canary") && method.equals("GET")) {
                json(resp, 200, admin.canary());
            } else if (path.equals("/canary/promote") && method.equals("POST")) {
                Change c = admin.promoteCanary(actor, ifMatch(req));
                Map<String, Object> tree = changeTree(c);
                tree.put("canary", c.revision() - 1); // the canary was the newest revision: this one follows it
                tree.put("outcome", "promoted");
                respondAfterWait(req, resp, tree, c);
            } else if (path.equals("/canary/abort") && method.equals("POST")) {
                Change c = admin.abortCanary(actor, ifMatch(req));
                Map<String, Object> tree = changeTree(c);
                tree.put("canary", c.revision() - 1);
                tree.put("outcome", "aborted");
                respondAfterWait(req, resp, tree, c);
            } else if (path.equals("/metrics/series") && method.equals("GET")) {
                json(resp, 200, metrics.read(params(req)));
            } else if (path.equals("/metrics/stream") && method.equals("GET")) {
                stream.subscribe(req.startAsync()); // 503 when the node has enough
            } else if (path.equals("/whoami") && method.equals("GET")) {
                json(resp, 200, Map.of("user", caller.get().user(), "role", caller.get().role().wire(), "node", node.name()));
            } else if (path.equals("/plugins") && method.equals("GET")) {
                json(resp, 200, Map.of("nodes", List.of(Map.of("name", node.name(), "plugins", plugins()))));
            } else if (path.equals("/cache/invalidate") && method.equals("POST")) {
                CacheAdmin.Request r = CacheAdmin.request(DefinitionParser.readTree(body(req), format(req)));
                CacheAdmin.Answer a = CacheAdmin.answer(admin.invalidateCache(r.api(), r.keys(), r.tags()));
                admin.audit(actor, "POST /api/v1/cache/invalidate", 0, "invalidated " + a.tree().get("invalidated")
                    + (r.api() != null ? " of api " + r.api() : "") + (r.tags() != null && !r.tags().isEmpty() ? " tags " + r.tags() : "")
                    + (r.keys() != null && !r.keys().isEmpty() ? " keys " + r.keys().size() : ""));
                json(resp, a.status(), a.tree());
            } else if (path.equals("/introspection/revoke") && method.equals("POST")) {
                IntrospectionRevoker.Answer a = introspection.revoke(IntrospectionRevoker.request(DefinitionParser.readTree(body(req), format(req))));
                admin.audit(actor, "POST /api/v1/introspection/revoke", 0, a.summary());
                json(resp, a.status(), a.tree());
            } else if (path.equals("/cache/stats") && method.equals("GET")) {
                json(resp, 200, admin.cacheStats(req.getParameter("by")));
            } else if (path.equals("/secrets/reload") && method.equals("POST")) {
                GatewayAdmin.Reload r = admin.reloadSecrets();
                json(resp, 200, Map.of("revision", r.revision(), "generation", r.generation()));
            } else if (path.equals("/cluster") && method.equals("GET")) {
                Map<String, Object> tree = new java.util.LinkedHashMap<>();
                // ?served=true: each node's last served revision and its propagation (commit to
                // served), asked of every node (bounded by 1 s: a frozen node would hold the listing)
                Map<String, Map<String, Object>> served = flag(req, "served") ? lastServed.byNode() : null;
                tree.put("nodes", status.cluster().stream().map(n -> {
                    Map<String, Object> t = new LinkedHashMap<>(n.toTree());
                    if (served != null) {
                        t.put("served", served.get(n.name()));
                    }
                    return t;
                }).toList());
                tree.put("safe", status.safe()); // every entry backed up elsewhere: one node may stop now
                json(resp, 200, tree);
            } else {
                error(resp, 404, "no such resource: " + method + " /api/v1" + path, List.of());
            }
        } catch (DefinitionException e) {
            error(resp, e.kind() == DefinitionException.Kind.MALFORMED ? 400 : 422,
                e.kind() == DefinitionException.Kind.MALFORMED ? "malformed body" : "invalid definition", e.problems());
        } catch (AdminException e) {
            error(resp, e.status(), e.getMessage(), e.details());
        } catch (RuntimeException e) {
            LOG.error("admin call {} {} failed", method, path, e);
            error(resp, 500, "internal error: " + e.getMessage(), List.of());
        }
    }

    /**
     * The caller, or empty once the answer is written: 429 while the address is slowed, 401 for
     * missing or wrong credentials (a wrong one counts as a failure of the address and is logged
     * at INFO with the address and the claimed user, never the password).
     */
    private Optional<Caller> authenticate(HttpServletRequest req, HttpServletResponse resp, String address) throws IOException {
        String source = LoginThrottle.address(address);
        long wait = throttle.waitNanos(source, System.nanoTime());
        if (wait > 0) {
            resp.setHeader("Retry-After", Long.toString((wait + 999_999_999L) / 1_000_000_000L));
            error(resp, 429, "too many failed logins from " + address + "; retry later", List.of());
            return Optional.empty();
        }
        String header = req.getHeader("Authorization");
        Optional<Caller> caller = auth.authenticate(header);
        if (caller.isPresent()) {
            throttle.succeeded(source);
            return caller;
        }
        if (header != null) {
            long closed = throttle.failed(source, System.nanoTime());
            LOG.info("refused login of user '{}' from {} to the admin API{}", AdminAuth.claimedUser(header), address,
                closed > 0 ? " (address slowed for " + closed / 1_000_000 + " ms)" : "");
        }
        resp.setHeader("WWW-Authenticate", "Basic realm=\"meridian\", charset=\"UTF-8\"");
        error(resp, 401, "authentication required", List.of());
        return Optional.empty();
    }

    /** {@code /tokens}: create (201, the secret shown once), list (never a secret or hash), revoke. */
    private void tokens(HttpServletRequest req, HttpServletResponse resp, String path, GatewayAdmin.Actor actor)
        throws IOException, DefinitionException, AdminException {
        Matcher m = TOKEN.matcher(path);
        if (path.equals("/tokens") && req.getMethod().equals("GET")) {
            json(resp, 200, tokens.list().stream().map(Token::listing).toList());
        } else if (path.equals("/tokens") && req.getMethod().equals("POST")) {
            if (format(req) != Format.JSON) {
                throw new AdminException(415, "a token is asked for as application/json {\"name\",\"role\",\"ttl\"}");
            }
            Object tree = Json.read(body(req));
            if (!(tree instanceof Map<?, ?> map) || !(map.get("name") instanceof String name)
                || map.get("ttl") != null && !(map.get("ttl") instanceof String)) {
                throw new AdminException(422, "expected {\"name\": \"...\", \"role\": \"admin|operator|viewer\", \"ttl\": \"30d\"}");
            }
            Object role = map.get("role");
            TokenStore.Issued issued = tokens.create(name, role instanceof String r ? r : null, (String) map.get("ttl"));
            admin.audit(actor, "POST /api/v1/tokens", 0, "created token " + name + " (" + issued.token().role().wire()
                + ", expires " + issued.token().expires() + ")");
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("token", issued.secret());
            out.putAll(issued.token().listing());
            json(resp, 201, out);
        } else if (m.matches() && req.getMethod().equals("DELETE")) {
            Token t = tokens.revoke(m.group(1));
            admin.audit(actor, "DELETE /api/v1/tokens/" + t.name(), 0, "revoked token " + t.name());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", t.name());
            out.put("revoked", t.revoked().toString());
            json(resp, 200, out);
        } else {
            error(resp, 405, "method not allowed", List.of());
        }
    }

    private void api(HttpServletRequest req, HttpServletResponse resp, String id, GatewayAdmin.Actor actor)
        throws IOException, DefinitionException, AdminException {
        switch (req.getMethod()) {
            case "GET" -> {
                ApiDefinition api = admin.current().apis().get(id);
                if (api == null) {
                    throw new AdminException(404, "no API with id '" + id + "'");
                }
                json(resp, 200, api.toTree());
            }
            case "PUT" -> {
                ApiDefinition api = DefinitionParser.parseOne(body(req), format(req));
                if (!api.id().equals(id)) {
                    throw new AdminException(422, "id in path and body differ",
                        List.of(new Problem("id", "expected '" + id + "' as in the path, got '" + api.id() + "'")));
                }
                Change c = admin.apply(api, actor, ifMatch(req));
                Map<String, Object> tree = new LinkedHashMap<>();
                tree.put("id", id);
                tree.put("revision", c.revision());
                tree.put("changed", c.changed());
                respondAfterWait(req, resp, tree, c);
            }
            case "DELETE" -> {
                Change c = admin.delete(id, actor, ifMatch(req));
                Map<String, Object> tree = new LinkedHashMap<>();
                tree.put("id", id);
                tree.put("revision", c.revision());
                respondAfterWait(req, resp, tree, c);
            }
            default -> {
                resp.setHeader("Allow", "GET, PUT, DELETE");
                error(resp, 405, "method not allowed", List.of());
            }
        }
    }

    /** {@code /consumers/{id}}: as an API, the keys shown by id and expiry only (CONTRACT §8). */
    private void consumer(HttpServletRequest req, HttpServletResponse resp, String id, GatewayAdmin.Actor actor)
        throws IOException, DefinitionException, AdminException {
        switch (req.getMethod()) {
            case "GET" -> {
                ConsumerDefinition c = admin.current().consumers().get(id);
                if (c == null) {
                    throw new AdminException(404, "no consumer with id '" + id + "'");
                }
                json(resp, 200, c.toShown());
            }
            case "PUT" -> {
                ConsumerDefinition c = DefinitionParser.parseConsumer(body(req), format(req));
                if (!c.id().equals(id)) {
                    throw new AdminException(422, "id in path and body differ",
                        List.of(new Problem("id", "expected '" + id + "' as in the path, got '" + c.id() + "'")));
                }
                Change change = admin.applyConsumer(c, actor, ifMatch(req));
                Map<String, Object> tree = new LinkedHashMap<>();
                tree.put("id", id);
                tree.put("revision", change.revision());
                tree.put("changed", change.changed());
                respondAfterWait(req, resp, tree, change);
            }
            case "DELETE" -> {
                Change change = admin.deleteConsumer(id, actor, ifMatch(req));
                Map<String, Object> tree = new LinkedHashMap<>();
                tree.put("id", id);
                tree.put("revision", change.revision());
                respondAfterWait(req, resp, tree, change);
            }
            default -> {
                resp.setHeader("Allow", "GET, PUT, DELETE");
                error(resp, 405, "method not allowed", List.of());
            }
        }
    }

    /**
     * {@code ?wait=all[&timeout=10s]}: the revision is committed already; answers 200 once every
     * live node serves it, or 202 at the timeout, with each node's state, revision and the time
     * it took from the commit (CONTRACT §5).
     */
    private Map<String, Object> withWait(HttpServletRequest req, HttpServletResponse resp, Map<String, Object> tree, Change c)
        throws AdminException {
        if (!"all".equals(req.getParameter("wait"))) {
            return tree;
        }
        long timeoutMs;
        try {
            timeoutMs = dev.meridian.model.Durations.parse(req.getParameter("timeout") == null ? "10s" : req.getParameter("timeout")).toMillis();
        } catch (IllegalArgumentException e) {
            throw new AdminException(400, "timeout must be a duration such as 10s");
        }
        long start = System.nanoTime();
        long deadline = start + timeoutMs * 1_000_000;
        Map<String, Long> reachedMs = new LinkedHashMap<>();
        List<ClusterNode> nodes;
        while (true) {
            nodes = status.cluster();
            boolean all = true;
            boolean waiting = false;
            for (ClusterNode n : nodes) {
                if (n.revision() >= c.revision()) {
                    reachedMs.putIfAbsent(n.name(), (System.nanoTime() - start) / 1_000_000);
                } else if (!n.state().equals("unreachable")) {
                    all = false;
                    // a node that reported it cannot serve this revision is not waited for
                    waiting |= failedAt(n, c.revision()) == null;
                }
            }
            if (all || !waiting || System.nanoTime() > deadline) {
                resp.setStatus(all ? 200 : 202);
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (ClusterNode n : nodes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", n.name());
            m.put("state", n.state());
            m.put("revision", n.revision());
            m.put("propagationMs", reachedMs.get(n.name()));
            ClusterNode.Failure failed = failedAt(n, c.revision());
            m.put("error", reachedMs.containsKey(n.name()) ? null
                : n.state().equals("unreachable") ? "unreachable"
                : failed != null ? "cannot serve revision " + failed.revision() + ": " + failed.reason()
                : "serves revision " + n.revision() + " after " + timeoutMs + " ms");
            out.add(m);
        }
        tree.put("nodes", out);
        return tree;
    }

    /** The node's failure to serve {@code revision} or a newer one, if it reported one. */
    private static ClusterNode.Failure failedAt(ClusterNode n, long revision) {
        return n.error() != null && n.error().revision() >= revision ? n.error() : null;
    }

    /** The changes of what is served that take {@code ?canary=} (CONTRACT §8). */
    private static final Pattern CANARY_CALLS = Pattern.compile("(PUT|DELETE) /(apis|consumers)/[^/]+|POST /(apply|rollback)");
    private static final String CANARY = "meridian.canary";

    /**
     * The caller, asking for a canary when a change carries {@code ?canary=}: the parameters are
     * checked here (422 naming each bad one) and travel with the caller to the commit.
     */
    private static GatewayAdmin.Actor canaryCaller(HttpServletRequest req, String path, String method,
                                                   GatewayAdmin.Actor actor) throws AdminException {
        if (req.getParameter("canary") == null || !CANARY_CALLS.matcher(method + " " + path).matches()) {
            return actor;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String name : CanaryPolicy.PARAMS) {
            String v = req.getParameter(name);
            if (v != null) {
                params.put(name, v);
            }
        }
        try {
            CanaryPolicy policy = CanaryPolicy.parse(params);
            req.setAttribute(CANARY, policy);
            return actor.asCanary(policy);
        } catch (DefinitionException e) {
            throw new AdminException(422, "invalid canary", e.problems());
        }
    }

    private void respondAfterWait(HttpServletRequest req, HttpServletResponse resp, Map<String, Object> tree, Change c)
        throws IOException, AdminException {
        if (req.getAttribute(CANARY) instanceof CanaryPolicy policy && c.changed()) {
            tree.put("canary", Map.of("stable", c.revision() - 1, "share", policy.share()));
        }
        Map<String, Object> answer = withWait(req, resp, tree, c);
        json(resp, resp.getStatus() == 202 ? 202 : 200, answer);
    }

    private List<Map<String, Object>> plugins() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (GatewayAdmin.Plugin p : admin.plugins()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", p.type());
            m.put("bundle", p.bundle());
            m.put("version", p.version());
            m.put("active", p.active());
            if (p.pending()) {
                m.put("status", "pending"); // being installed or replaced: an apply naming it waits for it
            }
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> changeTree(Change c) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("revision", c.revision());
        tree.put("changed", c.changed());
        tree.put("added", c.added());
        tree.put("updated", c.updated());
        tree.put("removed", c.removed());
        return tree;
    }

    static Map<String, Object> infoTree(RevisionInfo i) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("revision", i.revision());
        tree.put("time", i.time().toString());
        tree.put("user", i.user());
        tree.put("source", i.source());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("added", i.added());
        summary.put("updated", i.updated());
        summary.put("removed", i.removed());
        tree.put("summary", summary);
        return tree;
    }

    private static Format format(HttpServletRequest req) throws AdminException {
        return Format.fromMediaType(req.getContentType()).orElseThrow(() -> new AdminException(415,
            "unsupported media type '" + req.getContentType() + "': use application/json or application/yaml"));
    }

    private static byte[] body(HttpServletRequest req) throws IOException, AdminException {
        if (req.getContentLengthLong() > MAX_BODY) {
            throw new AdminException(413, "body larger than 10 MiB");
        }
        try (InputStream in = req.getInputStream()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new AdminException(413, "body larger than 10 MiB");
            }
            return bytes;
        }
    }

    private static long rollbackTarget(HttpServletRequest req) throws IOException, AdminException, DefinitionException {
        Format f = format(req);
        byte[] body = body(req);
        if (f == Format.JSON) {
            Object tree = Json.read(body);
            if (tree instanceof Map<?, ?> map && map.get("to") instanceof Number n && n.longValue() > 0) {
                return n.longValue();
            }
        } else {
            Matcher m = ROLLBACK_YAML.matcher(new String(body, java.nio.charset.StandardCharsets.UTF_8));
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        throw new AdminException(422, "invalid rollback", List.of(new Problem("to", "expected a revision number >= 1")));
    }

    private static boolean flag(HttpServletRequest req, String name) {
        String v = req.getParameter(name);
        return v != null && (v.isEmpty() || v.equalsIgnoreCase("true"));
    }

    private static long longParam(HttpServletRequest req, String name, long def) throws AdminException {
        String v = req.getParameter(name);
        if (v == null) {
            return def;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new AdminException(400, "query parameter " + name + " must be an integer");
        }
    }

    private static OptionalLong ifMatch(HttpServletRequest req) throws AdminException {
        String v = req.getHeader("If-Match");
        if (v == null) {
            return OptionalLong.empty();
        }
        String t = v.trim();
        if (t.startsWith("W/")) {
            t = t.substring(2);
        }
        t = t.replace("\"", "");
        try {
            return OptionalLong.of(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new AdminException(400, "If-Match must be a revision number, e.g. \"12\"");
        }
    }

    /** The query's parameters, the first value of each. */
    private static Map<String, String> params(HttpServletRequest req) {
        Map<String, String> out = new LinkedHashMap<>();
        req.getParameterMap().forEach((k, v) -> {
            if (v != null && v.length > 0) {
                out.put(k, v[0]);
            }
        });
        return out;
    }

    static void json(HttpServletResponse resp, int status, Object tree) throws IOException {
        byte[] bytes = Json.write(tree);
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    static void error(HttpServletResponse resp, int status, String message, List<Problem> details) throws IOException {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("error", message);
        tree.put("details", details.stream().map(p -> Map.of("path", p.path(), "message", p.message())).toList());
        json(resp, status, tree);
    }
}
