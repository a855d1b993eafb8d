package dev.meridian.itests;

import static dev.meridian.itests.RawHttpClient.Field.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.meridian.itests.RawHttpClient.Field;
import dev.meridian.itests.RawHttpClient.Response;
import dev.meridian.itests.ScriptedUpstream.Answer;
import dev.meridian.itests.ScriptedUpstream.Received;

/**
 * The shared cache under many concurrent clients and URLs (issue 9 §2): three nodes, one API
 * with {@code cache: {ttl: 0s, respectCacheControl: true}}, 320 URLs with mixed lifetimes
 * (max-age 3600, short ones that expire during the run, no-store, private), validators (ETag
 * and Last-Modified, 304s) and methods (a share of URLs get POST, PUT, DELETE, PATCH or
 * M-SEARCH after being cached), driven by 60 clients on their own connections, each URL's
 * requests 0-3 s apart and spread over the three nodes.
 *
 * <p>Every URL's upstream answer carries its own case variant of {@code Cache-Control} and
 * {@code Content-Type} values and its own {@code X-Origin}, and every client request its own
 * case variant of {@code User-Agent}: a value from one message showing up in another (a parser
 * field cache matching values case-insensitively) is seen on the side that receives it.
 *
 * <p>The run happens once ({@link #start}); each test method then checks one promise of what
 * was observed, and the last ones ask every node again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class CacheConcurrencyE2EIT {

    @RegisterExtension
    static final MeridianCluster<ScriptedUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("cn1", 25090, 5931), NodeSpec.of("cn2", 25100, 5932), NodeSpec.of("cn3", 25110, 5933))
        .cluster("cache-concurrency")
        .upstream(ScriptedUpstream::new)
        .api("conc", up -> String.join("\n", "id: conc", "basePath: /conc",
            "upstream: { url: '" + up.url("/conc") + "' }",
            "cache: {ttl: 0s, respectCacheControl: true}", ""))
        .build();
    private static final int URLS = 320;
    private static final int CLIENTS = 60;
    private static final long MAX_PAUSE_MILLIS = 3000;
    private static final String LAST_MODIFIED = ScriptedUpstream.httpDate(Instant.parse("2026-01-15T10:00:00Z"));
    private static final List<String> UNSAFE = List.of("POST", "PUT", "DELETE", "PATCH", "M-SEARCH");

    private static final List<UrlPlan> PLANS = new ArrayList<>();
    private static final Queue<Observation> OBSERVED = new ConcurrentLinkedQueue<>();
    /** Upstream GETs per path when the run ended (before the checks that send more). */
    private static final Map<String, Integer> GETS_AFTER_RUN = new ConcurrentHashMap<>();
    private static final AtomicLong LAST_UNSAFE_NANOS = new AtomicLong();
    private static final AtomicInteger FINAL_HITS = new AtomicInteger();

    /** What a URL's upstream answers say about storing it. */
    enum Kind {
        /** {@code max-age=3600} with an ETag: stored once, a hit on every node from then on. */
        FRESH,
        /** As FRESH; the client also asks with a matching {@code If-None-Match}: a 304 from the cache. */
        FRESH_CONDITIONAL,
        /** {@code max-age=2} with an ETag: expires during the run, renewed by 304s. */
        SHORT_VALIDATED,
        /** {@code max-age=1}, no validator: expires during the run, fetched again. */
        SHORT,
        /** {@code no-store}: every request reaches the upstream. */
        NO_STORE,
        /** {@code private}: a shared cache never stores it. */
        PRIVATE,
        /** {@code max-age=3600} with Last-Modified, then an unsafe method: invalidated, fetched again. */
        INVALIDATED;

        boolean staysHit() {
            return this == FRESH || this == FRESH_CONDITIONAL;
        }

        boolean neverStored() {
            return this == NO_STORE || this == PRIVATE;
        }
    }

    /** One step of a URL's story: a request on one node after a pause. */
    record Step(int node, String method, boolean conditional, long pauseMillis) {
    }

    /**
     * One URL, what its upstream answers carry and what the clients do with it.
     *
     * @param sentBodies the bodies of every 200 the upstream sent for it
     */
    record UrlPlan(int index, Kind kind, String path, String cacheControl, String contentType, String origin,
                   String etag, String lastModified, String userAgent, List<Step> steps, Set<String> sentBodies,
                   AtomicInteger fetches) {

        String unsafeMethod() {
            return steps.stream().map(Step::method).filter(m -> !m.equals("GET")).findFirst().orElse(null);
        }

        @Override
        public String toString() {
            return path + " (" + kind + ")";
        }
    }

    /** What one request got: the response, or the transport error. */
    record Observation(UrlPlan plan, int stepIndex, Step step, Response response, String error) {
        @Override
        public String toString() {
            return plan + " step " + stepIndex + " " + step.method() + (step.conditional() ? " (If-None-Match)" : "")
                + " on node " + (step.node() + 1) + ": " + (error != null ? error : response.toString());
        }
    }

    @BeforeAll
    static void runTheClients() throws Exception {
        Random random = new Random(9);
        for (int i = 0; i < URLS; i++) {
            UrlPlan plan = plan(i, random);
            PLANS.add(plan);
            upstream().on(plan.path(), (req, nth) -> answer(plan, req));
        }
        run();
        for (UrlPlan p : PLANS) {
            GETS_AFTER_RUN.put(p.path(), upstream().gets(p.path()));
        }
    }

    private static ScriptedUpstream upstream() {
        return CLUSTER.upstream();
    }

    /** {@code s} with the case of its letters set by the bits of {@code bits}, lowest bit first. */
    static String caseVariant(String s, int bits) {
        StringBuilder sb = new StringBuilder(s.length());
        int bit = 0;
        for (char c : s.toCharArray()) {
            if (Character.isLetter(c)) {
                sb.append(((bits >> bit) & 1) == 1 ? Character.toUpperCase(c) : Character.toLowerCase(c));
                bit++;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static UrlPlan plan(int i, Random random) {
        Kind kind = switch (i % 10) {
            case 0, 1, 2 -> Kind.FRESH;
            case 3 -> Kind.FRESH_CONDITIONAL;
            case 4 -> Kind.SHORT_VALIDATED;
            case 5 -> Kind.SHORT;
            case 6 -> Kind.NO_STORE;
            case 7 -> Kind.PRIVATE;
            default -> Kind.INVALIDATED;
        };
        String cc = switch (kind) {
            case FRESH, FRESH_CONDITIONAL, INVALIDATED -> "public, max-age=3600";
            case SHORT_VALIDATED -> "public, max-age=2";
            case SHORT -> "public, max-age=1";
            case NO_STORE -> "no-store";
            case PRIVATE -> "private, max-age=3600";
        };
        int start = random.nextInt(3);
        List<Step> steps = new ArrayList<>();
        int gets = switch (kind) {
            case FRESH, SHORT_VALIDATED -> 4;
            case FRESH_CONDITIONAL -> 2;
            default -> 3;
        };
        for (int s = 0; s < gets; s++) {
            long pause = s == 0 ? random.nextInt(4000) : random.nextInt((int) MAX_PAUSE_MILLIS + 1);
            steps.add(new Step((start + s) % 3, "GET", false, pause));
        }
        if (kind == Kind.FRESH_CONDITIONAL) {
            steps.add(new Step((start + 2) % 3, "GET", true, random.nextInt((int) MAX_PAUSE_MILLIS + 1)));
        }
        if (kind == Kind.INVALIDATED) {
            steps.add(new Step(random.nextInt(3), UNSAFE.get((i / 10 * 2 + i % 10) % UNSAFE.size()), false,
                random.nextInt((int) MAX_PAUSE_MILLIS + 1)));
        }
        boolean etag = kind != Kind.SHORT && kind != Kind.INVALIDATED && !kind.neverStored();
        return new UrlPlan(i, kind, "/conc/u" + i, caseVariant(cc, i), caseVariant("text/plain; charset=utf-8", i * 37 + 11),
            caseVariant("origin-of-u" + i, i), etag ? "\"e" + i + "-v1\"" : null,
            kind == Kind.INVALIDATED ? LAST_MODIFIED : null, caseVariant("conc-client/1.0", i), List.copyOf(steps),
            ConcurrentHashMap.newKeySet(), new AtomicInteger());
    }

    /** The upstream's answer for one URL: always the same fields, a body naming the fetch. */
    private static Answer answer(UrlPlan plan, Received req) {
        if (!req.isGet() && !req.method().equals("HEAD")) {
            return Answer.ok("done " + req.method()).with("Cache-Control", "no-store").with("X-Origin", plan.origin());
        }
        if (plan.etag() != null && req.first("If-None-Match").orElse("").contains(plan.etag())) {
            return Answer.notModified().with("Cache-Control", plan.cacheControl()).with("ETag", plan.etag())
                .with("X-Origin", plan.origin());
        }
        String body = "u" + plan.index() + " fetch " + plan.fetches().incrementAndGet();
        plan.sentBodies().add(body);
        Answer a = Answer.ok(body).with("Cache-Control", plan.cacheControl()).with("Content-Type", plan.contentType())
            .with("X-Origin", plan.origin());
        if (plan.etag() != null) {
            a = a.with("ETag", plan.etag());
        }
        if (plan.lastModified() != null) {
            a = a.with("Last-Modified", plan.lastModified());
        }
        // an origin takes time: fills overlap each other and the unsafe requests' invalidations
        return a.withLatency(Duration.ofMillis(50 + (plan.index() % 5) * 20L));
    }

    /** One client: a thread of its own and one keep-alive connection per node, reopened if closed. */
    private static final class Client {
        final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
        final RawHttpClient[] connections = new RawHttpClient[3];

        Response send(int node, String method, String path, List<Field> headers, byte[] body) throws IOException {
            RawHttpClient c = connections[node];
            if (c == null || c.isClosed()) {
                c = new RawHttpClient(CLUSTER.node(node).httpPort);
                connections[node] = c;
            }
            try {
                return c.send(method, path, headers, body);
            } catch (IOException e) {
                c.close();
                connections[node] = null;
                throw e;
            }
        }

        void close() {
            thread.shutdownNow();
            for (RawHttpClient c : connections) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (IOException e) {
                        System.err.println("closing a client connection: " + e);
                    }
                }
            }
        }
    }

    private static void run() throws InterruptedException {
        List<Client> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(new Client());
        }
        CountDownLatch done = new CountDownLatch(PLANS.size());
        long started = System.nanoTime();
        try {
            for (UrlPlan plan : PLANS) {
                Client client = clients.get(plan.index() % CLIENTS);
                schedule(client, plan, 0, done);
            }
            assertTrue(done.await(150, TimeUnit.SECONDS), "the run finished: " + done.getCount() + " URLs left");
        } finally {
            clients.forEach(Client::close);
        }
        System.out.printf("concurrency run: %d requests for %d URLs from %d clients in %d ms%n", OBSERVED.size(),
            PLANS.size(), CLIENTS, (System.nanoTime() - started) / 1_000_000);
    }

    private static void schedule(Client client, UrlPlan plan, int stepIndex, CountDownLatch done) {
        Step step = plan.steps().get(stepIndex);
        client.thread.schedule(() -> {
            try {
                OBSERVED.add(execute(client, plan, stepIndex, step));
            } finally {
                if (stepIndex + 1 < plan.steps().size()) {
                    schedule(client, plan, stepIndex + 1, done);
                } else {
                    done.countDown();
                }
            }
        }, step.pauseMillis(), TimeUnit.MILLISECONDS);
    }

    private static Observation execute(Client client, UrlPlan plan, int stepIndex, Step step) {
        List<Field> headers = new ArrayList<>(List.of(of("User-Agent", plan.userAgent())));
        if (step.conditional()) {
            headers.add(of("If-None-Match", plan.etag()));
        }
        boolean unsafe = !step.method().equals("GET");
        try {
            Response r = client.send(step.node(), step.method(), plan.path(), headers, unsafe ? "change".getBytes(StandardCharsets.US_ASCII) : null);
            if (unsafe) {
                LAST_UNSAFE_NANOS.accumulateAndGet(System.nanoTime(), Math::max);
            }
            return new Observation(plan, stepIndex, step, r, null);
        } catch (IOException | RuntimeException e) {
            return new Observation(plan, stepIndex, step, null, e.toString());
        }
    }

    // ---- checks ----------------------------------------------------------------------------------

    /** Fails listing how many problems there were and the first few. */
    private static void assertNone(String what, List<String> problems) {
        if (!problems.isEmpty()) {
            String sample = problems.stream().limit(25).collect(Collectors.joining("\n  "));
            throw new AssertionError(problems.size() + " " + what + ":\n  " + sample);
        }
    }

    private static List<Observation> observed() {
        return new ArrayList<>(OBSERVED);
    }

    @Test
    @Order(10)
    void should_answer_every_request_of_the_run_without_a_transport_error_or_an_unexpected_status() {
        List<String> problems = new ArrayList<>();
        for (Observation o : observed()) {
            if (o.error() != null) {
                problems.add(o.toString());
                continue;
            }
            int expected = o.step().conditional() ? 304 : 200;
            if (o.response().status() != expected) {
                problems.add("expected " + expected + ": " + o);
            }
        }
        assertNone("failed requests", problems);
    }

    @Test
    @Order(20)
    void should_answer_every_later_request_for_a_fresh_stored_url_as_a_hit_on_any_node() {
        List<String> problems = new ArrayList<>();
        int expectedHits = 0;
        for (Observation o : observed()) {
            Kind kind = o.plan().kind();
            boolean shouldHit = (kind.staysHit() || kind == Kind.INVALIDATED) && o.stepIndex() > 0 && o.step().method().equals("GET");
            boolean hit = o.response() != null && "HIT".equals(o.response().xCache());
            if (shouldHit) {
                expectedHits++;
                if (!hit) {
                    problems.add(o.toString());
                }
            }
            if (kind.neverStored() && hit) {
                problems.add("a " + kind + " answer served from the cache: " + o);
            }
        }
        System.out.printf("requests that should have been hits: %d, not hits: %d%n", expectedHits, problems.size());
        assertNone("requests of " + expectedHits + " that should have been hits (max-age=3600, asked again 0-3 s later) and were not",
            problems);
    }

    @Test
    @Order(30)
    void should_send_each_storable_url_to_the_upstream_once_and_each_unstorable_request_every_time() {
        List<String> problems = new ArrayList<>();
        for (UrlPlan p : PLANS) {
            int gets = GETS_AFTER_RUN.get(p.path());
            long storyGets = p.steps().stream().filter(s -> s.method().equals("GET")).count();
            if ((p.kind().staysHit() || p.kind() == Kind.INVALIDATED) && gets != 1) {
                problems.add(p + ": " + gets + " upstream GETs for " + storyGets + " client GETs; expected 1");
            }
            if (p.kind().neverStored() && gets != storyGets) {
                problems.add(p + ": " + gets + " upstream GETs for " + storyGets + " client GETs; expected every one");
            }
            if (p.kind() == Kind.INVALIDATED) {
                int unsafe = upstream().count(p.path(), r -> r.method().equals(p.unsafeMethod()));
                if (unsafe != 1) {
                    problems.add(p + ": " + p.unsafeMethod() + " reached the upstream " + unsafe + " times");
                }
            }
        }
        assertNone("URLs with a wrong number of upstream requests", problems);
    }

    @Test
    @Order(40)
    void should_pass_every_header_value_byte_for_byte_from_the_upstream_to_each_client_and_back() {
        List<String> problems = new ArrayList<>();
        for (Observation o : observed()) {
            if (o.response() != null) {
                problems.addAll(headerProblems(o.plan(), o.response(), o.toString()));
                if (o.response().status() == 200 && o.step().method().equals("GET")) {
                    String body = o.response().text();
                    if (!o.plan().sentBodies().contains(body)) {
                        problems.add("a body the upstream never sent for this URL: " + o);
                    }
                }
            }
        }
        for (UrlPlan p : PLANS) {
            for (Received r : upstream().received(p.path())) {
                if (!r.all("User-Agent").equals(List.of(p.userAgent()))) {
                    problems.add(p + ": the upstream got User-Agent " + r.all("User-Agent") + ", the client sent " + p.userAgent());
                }
            }
        }
        assertNone("header values that differ from what their sender sent", problems);
    }

    /** The fields of an answer for {@code plan} that differ from what the upstream sent for it. */
    private static List<String> headerProblems(UrlPlan plan, Response r, String context) {
        List<String> problems = new ArrayList<>();
        boolean unsafe = r.status() == 200 && r.text().startsWith("done ");
        if (unsafe) {
            expect(problems, r, "X-Origin", plan.origin(), true, context);
            return problems;
        }
        boolean notModified = r.status() == 304;
        if (r.status() != 200 && !notModified) {
            return problems;
        }
        expect(problems, r, "Cache-Control", plan.cacheControl(), !notModified, context);
        expect(problems, r, "X-Origin", plan.origin(), !notModified, context);
        expect(problems, r, "Content-Type", plan.contentType(), !notModified, context);
        if (plan.etag() != null) {
            expect(problems, r, "ETag", plan.etag(), true, context);
        }
        if (plan.lastModified() != null) {
            expect(problems, r, "Last-Modified", plan.lastModified(), !notModified, context);
        }
        return problems;
    }

    private static void expect(List<String> problems, Response r, String name, String value, boolean required, String context) {
        List<String> got = r.all(name);
        if (got.isEmpty() && !required) {
            return;
        }
        if (!got.equals(List.of(value))) {
            problems.add(name + " " + got + " where the upstream sent [" + value + "]: " + context);
        }
    }

    /** What the checks after the run found: wrong outcomes (status, X-Cache, body, upstream calls) and wrong field values. */
    record FinalPhase(List<String> outcomes, List<String> fields) {
    }

    private static FinalPhase finalPhase;

    /** Asks every node again for every URL, once (the first test that needs it does). */
    private static synchronized FinalPhase finalPhase() throws IOException {
        if (finalPhase != null) {
            return finalPhase;
        }
        // unsafe-method invalidations reach the other nodes in the background: give them 2 s
        long settled = LAST_UNSAFE_NANOS.get() + TimeUnit.SECONDS.toNanos(2);
        Awaitility.await("invalidations settled").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
            .until(() -> System.nanoTime() > settled);
        List<String> outcomes = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        Map<Kind, Integer> checked = new EnumMap<>(Kind.class);
        List<RawHttpClient> clients = new ArrayList<>();
        try {
            for (MeridianNode n : CLUSTER.nodes()) {
                clients.add(new RawHttpClient(n.httpPort));
            }
            for (UrlPlan p : PLANS) {
                checked.merge(p.kind(), 1, Integer::sum);
                int before = upstream().gets(p.path());
                List<Field> ua = List.of(of("User-Agent", p.userAgent()));
                int first = p.index() % 3;
                switch (p.kind()) {
                    case FRESH, FRESH_CONDITIONAL -> {
                        String stored = "u" + p.index() + " fetch " + p.fetches().get(); // fetch 1 unless a store was lost
                        for (int k = 0; k < 3; k++) {
                            check(outcomes, fields, p, k, finalGet(clients, k, p, ua), "HIT", stored);
                        }
                        if (upstream().gets(p.path()) != before) {
                            outcomes.add(p + ": a fresh, never invalidated URL went to the upstream again");
                        }
                    }
                    case INVALIDATED -> {
                        String refetched = "u" + p.index() + " fetch " + (p.fetches().get() + 1);
                        check(outcomes, fields, p, first, finalGet(clients, first, p, ua), "MISS", refetched);
                        for (int k = 1; k < 3; k++) {
                            int node = (first + k) % 3;
                            check(outcomes, fields, p, node, finalGet(clients, node, p, ua), "HIT", refetched);
                        }
                        if (upstream().gets(p.path()) != before + 1) {
                            outcomes.add(p + ": " + (upstream().gets(p.path()) - before) + " upstream GETs after its "
                                + p.unsafeMethod() + "; expected exactly 1 (fetched again, then a hit on the other nodes)");
                        }
                    }
                    case NO_STORE, PRIVATE -> {
                        check(outcomes, fields, p, first, finalGet(clients, first, p, ua), "MISS", null);
                        if (upstream().gets(p.path()) != before + 1) {
                            outcomes.add(p + ": not sent to the upstream");
                        }
                    }
                    default -> {
                        Response r = finalGet(clients, first, p, ua);
                        check(outcomes, fields, p, first, r, null, null);
                        if (r.status() == 200 && !p.sentBodies().contains(r.text())) {
                            outcomes.add("a body the upstream never sent for this URL: " + p + ": " + r);
                        }
                    }
                }
            }
        } finally {
            for (RawHttpClient c : clients) {
                c.close();
            }
        }
        System.out.println("final checks per kind: " + checked);
        finalPhase = new FinalPhase(outcomes, fields);
        return finalPhase;
    }

    @Test
    @Order(50)
    void should_hit_every_fresh_url_on_every_node_and_fetch_again_exactly_the_invalidated_ones() throws Exception {
        assertNone("URLs answered wrongly when every node was asked after the run", finalPhase().outcomes());
    }

    @Test
    @Order(55)
    void should_serve_every_stored_header_value_byte_for_byte_on_every_node() throws Exception {
        assertNone("header values of answers after the run that differ from what the upstream sent", finalPhase().fields());
    }

    private static Response finalGet(List<RawHttpClient> clients, int node, UrlPlan p, List<Field> headers) throws IOException {
        RawHttpClient c = clients.get(node);
        if (c.isClosed()) {
            c = new RawHttpClient(CLUSTER.node(node).httpPort);
            clients.set(node, c);
        }
        Response r = c.send("GET", p.path(), headers, null);
        if ("HIT".equals(r.xCache())) {
            FINAL_HITS.incrementAndGet();
        }
        return r;
    }

    private static void check(List<String> outcomes, List<String> fields, UrlPlan p, int node, Response r, String xCache,
                              String body) {
        String context = p + " on node " + (node + 1) + ": " + r;
        if (r.status() != 200) {
            outcomes.add("status " + r.status() + ": " + context);
            return;
        }
        if (xCache != null && !xCache.equals(r.xCache())) {
            outcomes.add("expected X-Cache " + xCache + ": " + context);
        }
        if (body != null && !body.equals(r.text())) {
            outcomes.add("expected body '" + body + "': " + context);
        }
        fields.addAll(headerProblems(p, r, context));
    }

    @Test
    @Order(60)
    void should_report_cache_stats_that_count_only_the_unsafe_urls_as_invalidated() throws Exception {
        finalPhase();
        HttpResponse<String> s = CLUSTER.node(0).get(CLUSTER.node(0).adminUrl("/api/v1/cache/stats"), true);
        assertEquals(200, s.statusCode(), s.body());
        System.out.println("cache stats after the run: " + s.body());
        Matcher line = Pattern.compile("\"api\":\"conc\",\"hits\":(\\d+),\"misses\":(\\d+),\"stale\":(\\d+),\"bypass\":(\\d+),"
            + "\"stored\":(\\d+).*?\"invalidated\":(\\d+)").matcher(s.body());
        assertTrue(line.find(), s.body());
        long hits = Long.parseLong(line.group(1));
        long stored = Long.parseLong(line.group(5));
        long invalidated = Long.parseLong(line.group(6));
        long invalidatedUrls = PLANS.stream().filter(p -> p.kind() == Kind.INVALIDATED).count();
        long storable = PLANS.stream().filter(p -> p.kind().staysHit()).count() + 2 * invalidatedUrls;
        long observedHits = observed().stream().filter(o -> o.response() != null && "HIT".equals(o.response().xCache())).count()
            + FINAL_HITS.get();
        // each invalidated URL may be counted once per node's fast tier and once in the cluster's map;
        // invalidating the whole API would count every entry of every node instead
        assertTrue(invalidated <= 6 * invalidatedUrls, "invalidated " + invalidated + " for " + invalidatedUrls
            + " URLs that got an unsafe request: more than those URLs were invalidated; " + s.body());
        assertTrue(hits >= observedHits, "hits " + hits + " counted, " + observedHits + " seen by clients; " + s.body());
        assertTrue(stored >= storable, "stored " + stored + " for " + storable + " storable answers; " + s.body());
        System.out.println("cache stats by node: " + CLUSTER.node(1).get(CLUSTER.node(1).adminUrl("/api/v1/cache/stats?by=node"), true).body());
    }
}
