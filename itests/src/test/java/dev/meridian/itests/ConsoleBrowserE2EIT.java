package dev.meridian.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import dev.meridian.itests.CanaryE2EIT.MiniJson;

/**
 * The console (issue 14, CONTRACT §10) in a real browser: two nodes as processes, the demo API
 * {@code orders} (cached, tagged) in front of a counting upstream, and Debian's headless Chromium
 * driven through its own chromedriver by Selenium (nothing downloads a browser). The console is
 * used as a person would, through the selector contract ({@code data-testid}): log in as admin,
 * see the API, edit its YAML (validation at the field, a diff before apply), apply, watch both
 * nodes serve the new revision, diff two revisions and roll back, invalidate a tag under load and
 * watch the hit ratio drop and recover, see the apply marker on the live traffic chart, see a
 * running canary with its controls, and as a viewer see that canary and everything else without
 * one control that changes state (the API refuses it anyway). Every page is screenshotted
 * to {@code target/console-screenshots/<page>.png} (1400x900); every page's
 * Content-Security-Policy violations are counted by a listener installed before the page's own
 * scripts run, and read from the browser's log. Ports 24000-24012 (driver 24020), cluster
 * 6141-6142.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleBrowserE2EIT {

    private static final int DRIVER_PORT = 24020;
    /** The bound of every wait on the page. */
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The bound of each wait on a figure that moves with traffic (hit ratio, chart markers). */
    private static final Duration FIGURE_WAIT = Duration.ofSeconds(15);
    private static final Path SCREENSHOTS = Paths.get("target", "console-screenshots").toAbsolutePath();
    /** The cached paths the load cycles over ({@code /orders/item/0..KEYS-1}): a tag invalidation makes each a miss once. */
    private static final int KEYS = 150;
    private static final Pattern REVISION = Pattern.compile("revision\\s+(\\d+)");
    private static final Pattern TIMEOUT = Pattern.compile("(timeout:\\s*)(['\"]?)[^'\",}\\s]+\\2");
    private static final Pattern PERCENT = Pattern.compile("(\\d+(?:[.,]\\d+)?)\\s*%");
    /** The hit ratio shown while the cache holds every key the load asks for. */
    private static final double HIGH_RATIO = 95.0;
    /** Collects CSP violations in the page from its first script on (installed over CDP, so the page's CSP does not apply to it). */
    private static final String CSP_LISTENER = "window.__meridianCsp = window.__meridianCsp || [];\n"
        + "document.addEventListener('securitypolicyviolation', e => window.__meridianCsp.push("
        + "e.violatedDirective + ' blocked=' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    static final MeridianCluster<CountingUpstream> CLUSTER = MeridianCluster
        .of(NodeSpec.of("cb1", 24000, 6141), NodeSpec.of("cb2", 24010, 6142))
        .cluster("console-it")
        .upstream(CountingUpstream::new)
        .api("orders", up -> orders(up, "10s"))
        .build();

    private static HeadlessChromium chromium;
    private static ChromeDriver browser;
    /** CSP violations seen on any page so far ("page: what"), from the listener and from the browser's log. */
    private static final List<String> CSP_VIOLATIONS = new CopyOnWriteArrayList<>();
    /** Other errors in the browser's log, printed at the end (not checked). */
    private static final List<String> BROWSER_ERRORS = new CopyOnWriteArrayList<>();
    private static volatile boolean browserLogReadable = true;

    /** Set by step 2: the definition before the edit and the revision numbers around it. */
    private static volatile Object definitionBefore;
    private static volatile long revisionBefore;
    private static volatile long revisionEdited;
    /** Set by the canary page's step, cleared when step 7 aborts the canary. */
    private static volatile boolean canaryStarted;

    /** The demo API: cached, tagged {@code item:<n>} by the path and {@code upstream-tag} by the upstream's {@code Cache-Tag}. */
    private static String orders(Upstream up, String timeout) {
        return String.join("\n", "id: orders", "basePath: /orders",
            "upstream: { url: '" + up.url("/") + "', timeout: " + timeout + " }",
            "cache:", "  ttl: 600s", "  tags: ['item:{path.3}']", "");
    }

    /**
     * Stores the {@link #KEYS} paths the load asks for before the steps run, so that the cache
     * page's window (the last seconds) holds hits only once the load starts; the edits of the
     * steps leave the cache's key and lifetime rules alone, so the entries stay.
     */
    @BeforeAll
    static void fillTheCache() throws IOException {
        try (KeepAliveClient client = new KeepAliveClient(CLUSTER.node(0).httpPort)) {
            for (int k = 0; k < KEYS; k++) {
                assertEquals(200, client.get("/orders/item/" + k).status(), "/orders/item/" + k);
            }
        }
    }

    // ------------------------------------------------------------------ browser

    @BeforeAll
    static void startBrowser() throws IOException {
        Files.createDirectories(SCREENSHOTS);
        try (Stream<Path> old = Files.list(SCREENSHOTS)) { // this run's pages only
            for (Path f : old.filter(f -> f.toString().endsWith(".png")).toList()) {
                Files.delete(f);
            }
        }
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        chromium = HeadlessChromium.start(DRIVER_PORT, "console", options -> {
            options.addArguments("--window-size=1400,900", "--hide-scrollbars");
            options.setCapability("goog:loggingPrefs", logs);
        });
        browser = chromium.driver();
        browser.manage().window().setSize(new Dimension(1400, 900));
        // the page's own viewport 1400x900 (the window's size includes what headless counts as its frame)
        browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
            Map.<String, Object>of("width", 1400, "height", 900, "deviceScaleFactor", 1, "mobile", false));
        browser.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.<String, Object>of("source", CSP_LISTENER));
    }

    @AfterAll
    static void stopBrowser() {
        if (!BROWSER_ERRORS.isEmpty()) {
            System.out.println("console e2e: browser log errors (not checked):\n  " + String.join("\n  ", BROWSER_ERRORS));
        }
        if (chromium != null) {
            chromium.close();
        }
    }

    private static String consoleUrl() {
        return CLUSTER.node(0).adminUrl("/console/");
    }

    private static By testid(String id) {
        return By.cssSelector("[data-testid=\"" + id + "\"]");
    }

    /** Elements whose testid starts with {@code prefix}. */
    private static List<WebElement> testidsStartingWith(String prefix) {
        return browser.findElements(By.cssSelector("[data-testid^=\"" + prefix + "\"]"));
    }

    private static boolean present(String id) {
        return !browser.findElements(testid(id)).isEmpty();
    }

    /** Waits (bounded) until {@code condition} holds; on timeout fails with what the page shows and a screenshot. */
    private static void await(String what, Duration atMost, Callable<Boolean> condition) {
        try {
            Awaitility.await(what).atMost(atMost).pollInterval(Duration.ofMillis(150)).ignoreExceptions().until(condition);
        } catch (ConditionTimeoutException e) {
            fail(what + " within " + atMost.toSeconds() + " s; " + describePage("timeout"));
        }
    }

    /** The displayed element with this testid, once there. */
    private static WebElement find(String id) {
        WebElement[] found = new WebElement[1];
        await("[data-testid=" + id + "] displayed", WAIT, () -> {
            for (WebElement e : browser.findElements(testid(id))) {
                if (e.isDisplayed()) {
                    found[0] = e;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** The text of the first displayed element with this testid, or "" while there is none (no wait: for conditions). */
    private static String textNow(String id) {
        return browser.findElements(testid(id)).stream().filter(WebElement::isDisplayed).findFirst()
            .map(e -> e.getText().trim()).orElse("");
    }

    /** Whether an element with this testid is displayed and enabled now (no wait: for conditions). */
    private static boolean enabledNow(String id) {
        return browser.findElements(testid(id)).stream().anyMatch(e -> e.isDisplayed() && e.isEnabled());
    }

    /** This testid's attribute on its first element, or null while there is none (no wait: for conditions). */
    private static String attributeNow(String id, String attribute) {
        return browser.findElements(testid(id)).stream().findFirst().map(e -> e.getDomAttribute(attribute)).orElse(null);
    }

    /** The page's URL, any {@code error} text, the start of the body's text; saves a screenshot named after {@code why}. */
    private static String describePage(String why) {
        try {
            StringBuilder out = new StringBuilder("page ").append(browser.getCurrentUrl());
            for (WebElement e : browser.findElements(testid("error"))) {
                out.append(", error: '").append(e.getText().trim()).append('\'');
            }
            String body = browser.findElement(By.tagName("body")).getText();
            out.append(", text: '").append(body.length() > 600 ? body.substring(0, 600) + "..." : body).append('\'');
            out.append(", screenshot ").append(screenshot("failed-" + why + "-" + System.currentTimeMillis()));
            return out.toString().replace('\n', ' ');
        } catch (RuntimeException e) {
            return "(page not readable: " + e + ")";
        }
    }

    private static Path screenshot(String name) {
        Path file = SCREENSHOTS.resolve(name + ".png");
        try {
            Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | WebDriverException e) {
            System.err.println("screenshot " + file + ": " + e);
        }
        return file;
    }

    /** After a page is shown: its screenshot, and the CSP violations and errors it caused so far. */
    private static void page(String name) {
        screenshot(name);
        collectViolations(name);
    }

    private static void collectViolations(String page) {
        Object seen = browser.executeScript("return (window.__meridianCsp || []).splice(0);");
        if (seen instanceof List<?> l) {
            l.forEach(v -> CSP_VIOLATIONS.add(page + ": " + v));
        }
        if (!browserLogReadable) {
            return;
        }
        try {
            for (LogEntry entry : browser.manage().logs().get(LogType.BROWSER)) {
                String message = entry.getMessage();
                if (message.contains("Content Security Policy") || message.contains("Content-Security-Policy")) {
                    CSP_VIOLATIONS.add(page + " (log): " + message);
                } else if (entry.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    BROWSER_ERRORS.add(page + ": " + message);
                }
            }
        } catch (WebDriverException e) {
            browserLogReadable = false;
            System.out.println("console e2e: the browser's log is not readable here (" + e.getClass().getSimpleName()
                + "); CSP violations are counted by the page listener only");
        }
    }

    /** Shows a hash route (as a bookmark would) without reloading the app. */
    private static void route(String hash) {
        if (!browser.getCurrentUrl().startsWith(consoleUrl())) {
            browser.get(consoleUrl() + hash);
        } else {
            browser.executeScript("location.hash = arguments[0];", hash);
        }
    }

    /** Logs in through the login form; waits for {@code whoami} to name the user and role. */
    private static void login(String user, String secret, String role) {
        browser.get(consoleUrl());
        typeInto(find("login-user"), user); // the form may offer a name already: replaced, as a person does
        typeInto(find("login-secret"), secret);
        page("admin".equals(user) ? "login" : "login-" + user);
        find("login-submit").click();
        String expected = user + " · " + role;
        await("whoami shows '" + expected + "'", WAIT, () -> expected.equals(textNow("whoami")));
    }

    /** A fresh session: no cookie, nothing stored by the app. */
    private static void logout() {
        if (browser.getCurrentUrl().startsWith(consoleUrl())) {
            collectViolations("before logout");
        }
        browser.get(consoleUrl());
        browser.manage().deleteAllCookies();
        browser.executeScript("localStorage.clear(); sessionStorage.clear();");
        browser.get("about:blank");
    }

    /** Logged in as admin (step 1 did it; a later step run alone logs in itself). */
    private static void asAdmin() {
        if (browser.getCurrentUrl().startsWith(consoleUrl()) && present("whoami")
            && "admin · admin".equals(browser.findElement(testid("whoami")).getText().trim())) {
            return;
        }
        logout();
        login("admin", CLUSTER.node(0).password(), "admin");
    }

    /** Replaces a field's whole text as a person does: select all, type. */
    private static void typeInto(WebElement field, String text) {
        field.click();
        field.sendKeys(Keys.chord(Keys.CONTROL, "a"));
        field.sendKeys(Keys.DELETE);
        field.sendKeys(text);
        assertEquals(text, field.getDomProperty("value"), "the field holds what was typed");
    }

    private static String editorText(WebElement editor) {
        String value = editor.getDomProperty("value");
        assertNotNull(value, "yaml-editor is a textarea");
        return value;
    }

    /** The YAML with {@code upstream.timeout}'s value replaced (the editor may quote it or not). */
    private static String withTimeout(String yaml, String value) {
        Matcher m = TIMEOUT.matcher(yaml);
        assertTrue(m.find(), "upstream.timeout in the editor: " + yaml);
        assertFalse(TIMEOUT.matcher(yaml).region(m.end(), yaml.length()).find(), "one timeout in the editor: " + yaml);
        return yaml.substring(0, m.start()) + m.group(1) + value + yaml.substring(m.end());
    }

    /** The hit ratio shown, in percent; NaN while it shows none. */
    private static double ratio() {
        Matcher m = PERCENT.matcher(textNow("cache-hit-ratio"));
        return m.find() ? Double.parseDouble(m.group(1).replace(',', '.')) : Double.NaN;
    }

    /** The markers the traffic chart drew; 0 while it has drawn none (or is not there). */
    private static int markers() {
        String v = attributeNow("traffic-chart", "data-markers");
        return v == null || v.isBlank() ? 0 : Integer.parseInt(v.trim());
    }

    // ------------------------------------------------------------------ admin API (JDK HttpClient)

    private static HttpResponse<String> call(String method, String path, String auth, String contentType, String body)
        throws IOException, InterruptedException {
        return CLUSTER.node(0).sendAs(auth, method, path, contentType, body);
    }

    private static Object admin(String method, String path, String contentType, String body, int expected) throws Exception {
        HttpResponse<String> r = CLUSTER.node(0).send(method, path, contentType, body);
        assertEquals(expected, r.statusCode(), method + " " + path + ": " + r.body());
        return MiniJson.parse(r.body());
    }

    private static long currentRevision() throws Exception {
        return MiniJson.num(admin("GET", "/api/v1/apis", null, null, 200), "revision");
    }

    /**
     * The series endpoint (the lead's, issue 14 item 1) that the cache and traffic pages draw from:
     * false, printed, while it answers 404.
     */
    private static boolean seriesEndpointPresent(String step) throws Exception {
        HttpResponse<String> r = CLUSTER.node(0).send("GET", "/api/v1/metrics/series?api=orders", null, null);
        if (r.statusCode() == 404) {
            System.out.println("console e2e: " + step + " skipped: GET /api/v1/metrics/series answers 404 (" + r.body()
                + "): the series endpoint is not on this build");
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ the steps

    @Test
    @Order(10)
    void should_log_in_as_admin_and_list_the_demo_api() {
        logout();
        login("admin", CLUSTER.node(0).password(), "admin");

        find("nav-apis").click();
        find("api-row-orders");
        page("apis");
    }

    @Test
    @Order(20)
    void should_validate_review_and_apply_an_edit_and_name_the_field_of_an_invalid_one() throws Exception {
        asAdmin();
        definitionBefore = admin("GET", "/api/v1/apis/orders", null, null, 200);
        revisionBefore = currentRevision();

        route("#/apis/orders");
        find("api-edit").click();
        WebElement editor = find("yaml-editor");
        String original = editorText(editor);
        typeInto(editor, withTimeout(original, "12s"));
        find("validate").click();
        await("validated: review offered or a field-error shown", WAIT,
            () -> !textNow("field-error").isEmpty() || enabledNow("review"));
        assertTrue(testidsStartingWith("field-error").stream().noneMatch(WebElement::isDisplayed),
            () -> "no field-error for a valid edit: " + describePage("valid-edit"));
        find("review").click();
        WebElement diff = find("diff");
        await("the diff lists its lines", WAIT, () -> !diff.findElements(By.cssSelector(".add, .del")).isEmpty());
        List<WebElement> added = diff.findElements(By.cssSelector(".add"));
        List<WebElement> removed = diff.findElements(By.cssSelector(".del"));
        page("api-review");
        assertEquals(1, added.size(), "one added line: " + diff.getText());
        assertEquals(1, removed.size(), "one removed line: " + diff.getText());
        assertTrue(added.get(0).getText().contains("12s"), "the added line has the new timeout: " + added.get(0).getText());
        assertTrue(removed.get(0).getText().contains("10s"), "the removed line has the old one: " + removed.get(0).getText());

        await("apply enabled once the reviewed text is validated", WAIT, () -> enabledNow("apply"));
        assertTrue(testidsStartingWith("field-error").stream().noneMatch(WebElement::isDisplayed),
            () -> "no field-error after the review: " + describePage("reviewed-edit"));
        find("apply").click();
        String[] result = new String[1];
        await("apply-result names the revision", WAIT, () -> REVISION.matcher(result[0] = textNow("apply-result")).find());
        Matcher m = REVISION.matcher(result[0]);
        assertTrue(m.find(), result[0]);
        long applied = Long.parseLong(m.group(1));
        page("api-applied");
        assertEquals(revisionBefore + 1, applied, "apply-result: " + result[0]);
        assertEquals(applied, currentRevision(), "the admin API's revision");
        assertTrue(MiniJson.str(admin("GET", "/api/v1/apis/orders", null, null, 200), "upstream", "timeout").startsWith("12"),
            "the applied timeout over the admin API");
        revisionEdited = applied;

        // an invalid edit: the field's path named at the field, nothing applied
        route("#/apis");
        find("api-row-orders");
        route("#/apis/orders");
        find("api-edit").click();
        WebElement again = find("yaml-editor");
        typeInto(again, withTimeout(editorText(again), "banana"));
        find("validate").click();
        String[] error = new String[1];
        await("a field-error naming upstream.timeout", WAIT,
            () -> (error[0] = textNow("field-error")).contains("upstream.timeout"));
        page("api-invalid");
        assertEquals(applied, currentRevision(), "an invalid edit applies nothing");
    }

    @Test
    @Order(30)
    void should_show_every_node_serving_the_new_revision() {
        Assumptions.assumeTrue(revisionEdited > 0, "step 2 applied no revision");
        asAdmin();

        find("nav-nodes").click();
        for (MeridianNode n : CLUSTER.nodes()) {
            String row = "node-row-" + n.name;
            await(row + " shows revision " + revisionEdited, WAIT,
                () -> Long.toString(revisionEdited).equals(attributeNow(row, "data-revision")));
        }
        page("nodes");
    }

    @Test
    @Order(40)
    void should_diff_the_last_two_revisions_and_roll_back_to_the_previous_one() throws Exception {
        Assumptions.assumeTrue(revisionEdited > 0, "step 2 applied no revision");
        asAdmin();
        long previous = revisionBefore;

        find("nav-revisions").click();
        find("revision-row-" + revisionEdited);
        find("revision-row-" + previous);
        choose("diff-from", previous);
        choose("diff-to", revisionEdited);
        String[] diff = new String[1];
        await("revision-diff shows the timeout change", WAIT,
            () -> (diff[0] = textNow("revision-diff")).contains("12s") && diff[0].contains("10s"));
        page("revisions");

        find("rollback-" + previous).click();
        find("confirm").click();
        long rolledBack = revisionEdited + 1;
        await("revision-row-" + rolledBack + " listed", WAIT, () -> present("revision-row-" + rolledBack));
        page("revisions-rolled-back");

        // over the admin API: a new revision whose API equals the one before the edit
        assertEquals(rolledBack, currentRevision());
        assertEquals(definitionBefore, admin("GET", "/api/v1/apis/orders", null, null, 200), "orders after the rollback");
        Object entry = admin("GET", "/api/v1/revisions/" + rolledBack, null, null, 200);
        Object apiAtRollback = MiniJson.list(entry, "apis").stream()
            .filter(a -> "orders".equals(MiniJson.at(a, "id"))).findFirst().orElse(null);
        assertEquals(definitionBefore, apiAtRollback, "revision " + rolledBack + "'s orders: " + entry);
    }

    /** Picks revision {@code n} in one of the diff's selects, by the option's value or its text. */
    private static void choose(String select, long n) {
        WebElement s = find(select);
        String want = Long.toString(n);
        WebElement option = s.findElements(By.tagName("option")).stream()
            .filter(o -> want.equals(o.getDomProperty("value")) || o.getText().trim().matches("(?i)(revision\\s*|#|r)?" + want + "\\b.*"))
            .findFirst().orElseThrow(() -> new AssertionError(select + " offers no revision " + want + ": " + s.getText()));
        option.click();
        assertTrue(option.isSelected(), select + " chose " + want);
    }

    @Test
    @Order(50)
    void should_show_the_hit_ratio_drop_when_a_tag_is_invalidated_and_recover() throws Exception {
        Assumptions.assumeTrue(seriesEndpointPresent("step 5 (cache)"), "the metrics series endpoint answers 404");
        asAdmin();

        try (PacedLoad load = new PacedLoad(KEYS, 100, Duration.ofSeconds(90))) {
            find("nav-cache").click();
            find("cache-invalidate-tags");
            double[] seen = new double[1];
            await("cache-hit-ratio at least " + HIGH_RATIO + "% (" + load + ")", FIGURE_WAIT, () -> (seen[0] = ratio()) >= HIGH_RATIO);
            double before = seen[0];
            page("cache");
            int upstreamBefore = CLUSTER.upstream().total();

            typeInto(find("cache-invalidate-tags"), "upstream-tag");
            find("cache-invalidate-submit").click();
            double[] low = {before};
            await("cache-hit-ratio below " + before + "% after the invalidation (" + load + ")", FIGURE_WAIT, () -> {
                confirmIfAsked();
                double now = ratio();
                low[0] = Double.isNaN(now) ? low[0] : Math.min(low[0], now);
                return low[0] <= before - 3.0;
            });
            page("cache-invalidated");
            assertTrue(CLUSTER.upstream().total() - upstreamBefore >= KEYS / 2,
                "the invalidated keys were fetched again: " + (CLUSTER.upstream().total() - upstreamBefore) + " upstream calls");
            await("cache-hit-ratio back to " + HIGH_RATIO + "% (" + load + ")", FIGURE_WAIT, () -> ratio() >= HIGH_RATIO);
            page("cache-recovered");
            System.out.printf("console e2e cache: hit ratio %.1f%% -> %.1f%% after invalidating upstream-tag -> %.1f%%; %s%n",
                before, low[0], ratio(), load);
            load.assertNoFailure();
        }
    }

    private static void confirmIfAsked() {
        browser.findElements(testid("confirm")).stream().filter(WebElement::isDisplayed).findFirst().ifPresent(WebElement::click);
    }

    @Test
    @Order(60)
    void should_mark_an_apply_on_the_live_traffic_chart() throws Exception {
        Assumptions.assumeTrue(seriesEndpointPresent("step 6 (traffic)"), "the metrics series endpoint answers 404");
        asAdmin();

        try (PacedLoad load = new PacedLoad(KEYS, 50, Duration.ofSeconds(60))) {
            find("nav-traffic").click();
            find("traffic-chart");
            await("traffic drawn (" + load + ")", WAIT, () -> load.answered() > 100);
            int before = markers();
            long applied = MiniJson.num(admin("PUT", "/api/v1/apis/orders?wait=all", "application/yaml",
                orders(CLUSTER.upstream(), "11s"), 200), "revision");
            await("traffic-chart draws the marker of revision " + applied + " (markers were " + before + ")", WAIT,
                () -> markers() >= before + 1);
            page("traffic");
            System.out.printf("console e2e traffic: markers %d -> %d after the apply of revision %d; %s%n", before, markers(),
                applied, load);
            load.assertNoFailure();
        }
    }

    @Test
    @Order(65)
    void should_show_the_consumers_page_and_a_running_canary_with_its_controls() throws Exception {
        asAdmin();
        find("nav-consumers").click();
        await("the consumers page shown", WAIT, () -> browser.getCurrentUrl().endsWith("#/consumers"));
        find("whoami");
        page("consumers");

        // a canary that no traffic judges (window 5m): running until step 7 aborts it, so that
        // the viewer's page has promote and abort to hide
        admin("PUT", "/api/v1/apis/orders?canary=10%25&window=5m&wait=all", "application/yaml", orders(CLUSTER.upstream(), "14s"), 200);
        canaryStarted = true;
        find("nav-canary").click();
        await("canary-state shows running", WAIT, () -> "running".equals(textNow("canary-state")));
        find("canary-promote");
        find("canary-abort");
        page("canary");
    }

    @Test
    @Order(70)
    void should_show_a_viewer_nothing_that_changes_state() throws Exception {
        try {
            asViewer();
        } finally {
            if (canaryStarted) {
                admin("POST", "/api/v1/canary/abort?wait=all", null, null, 200);
                canaryStarted = false;
            }
        }
    }

    private static void asViewer() throws Exception {
        Object created = admin("POST", "/api/v1/tokens", "application/json", "{\"name\":\"v1\",\"role\":\"viewer\",\"ttl\":\"1h\"}", 201);
        String token = MiniJson.str(created, "token");
        logout();
        login("v1", token, "viewer");

        find("nav-apis").click();
        find("api-row-orders");
        page("viewer-apis");
        route("#/apis/orders");
        await("the orders page shown to the viewer", WAIT, () -> !present("api-row-orders")
            && browser.findElement(By.tagName("body")).getText().contains("/orders"));
        assertFalse(present("api-edit"), () -> "a viewer sees no api-edit: " + describePage("viewer-api"));
        assertFalse(present("apply"), () -> "a viewer sees no apply: " + describePage("viewer-api"));
        page("viewer-api");

        find("nav-revisions").click();
        long latest = currentRevision();
        find("revision-row-" + latest);
        assertEquals(List.of(), testidsStartingWith("rollback-").stream().map(e -> e.getDomAttribute("data-testid")).toList(),
            "a viewer sees no rollback");
        page("viewer-revisions");

        find("nav-cache").click();
        find("cache-hit-ratio");
        assertFalse(present("cache-invalidate-submit"), "a viewer sees no cache-invalidate-submit");
        page("viewer-cache");

        find("nav-canary").click();
        String state = canaryStarted ? "running" : "none";
        await("canary-state shows " + state + " to the viewer", WAIT, () -> state.equals(textNow("canary-state")));
        assertFalse(present("canary-promote"), "a viewer sees no canary-promote");
        assertFalse(present("canary-abort"), "a viewer sees no canary-abort");
        page("viewer-canary");

        // and the API refuses the viewer's change anyway
        HttpResponse<String> put = call("PUT", "/api/v1/apis/orders", "Bearer " + token, "application/yaml",
            orders(CLUSTER.upstream(), "13s"));
        assertEquals(403, put.statusCode(), put.body());
        if (canaryStarted) {
            assertEquals(403, call("POST", "/api/v1/canary/promote", "Bearer " + token, null, null).statusCode(), "a viewer's promote");
        }
    }

    @Test
    @Order(80)
    void should_serve_the_console_with_a_strict_csp_and_see_no_violation() throws Exception {
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(consoleUrl())).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body().substring(0, Math.min(300, page.body().length())));
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        String scriptSrc = Stream.of(csp.split(";")).map(String::trim)
            .filter(d -> d.toLowerCase(Locale.ROOT).startsWith("script-src ")).findFirst().orElse("");
        assertTrue(scriptSrc.contains("'self'"), "script-src 'self' in " + csp);
        assertFalse(scriptSrc.contains("'unsafe-inline'") || scriptSrc.contains("'unsafe-eval'"), "a strict script-src: " + csp);

        if (browser.getCurrentUrl().startsWith(consoleUrl())) {
            collectViolations("last page");
        }
        System.out.println("console e2e: CSP " + csp + "; screenshots in " + SCREENSHOTS);
        assertEquals(List.of(), CSP_VIOLATIONS, "no CSP violation on any page");

        // the counting works: an inline script added to the page is refused, and both the
        // listener and (where readable) the browser's log report it
        if (!browser.getCurrentUrl().startsWith(consoleUrl())) {
            browser.get(consoleUrl());
        }
        browser.executeScript("const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true;';"
            + " document.head.appendChild(s);");
        await("the page's listener reports the refused inline script", WAIT, () -> {
            collectViolations("probe");
            return CSP_VIOLATIONS.stream().anyMatch(v -> v.startsWith("probe: script-src"));
        });
        assertEquals(null, browser.executeScript("return window.__inlineRan;"), "the inline script did not run");
        if (browserLogReadable) {
            await("the browser's log reports the refused inline script", WAIT, () -> {
                collectViolations("probe");
                return CSP_VIOLATIONS.stream().anyMatch(v -> v.startsWith("probe (log): "));
            });
        }
        CSP_VIOLATIONS.removeIf(v -> v.startsWith("probe"));
    }

    /**
     * Item 3: {@code feature:uninstall meridian-console} removes the console and its tab from a
     * running node (the admin API keeps answering) and {@code feature:install} brings both back;
     * and a policy bundle update is a marker of the time axis (issue 14, item 1).
     */
    @Test
    @Order(90)
    void should_remove_and_add_the_console_at_runtime_and_mark_a_policy_bundle_update() throws Exception {
        MeridianNode n = CLUSTER.node(1);
        String console = n.adminUrl("/console/");
        String tab = n.adminUrl("/system/console/meridian");
        assertEquals(200, n.get(console, false).statusCode());
        assertEquals(200, n.get(tab, true).statusCode(), "the Meridian tab of Karaf's web console");
        try {
            n.shell("feature:uninstall meridian-console");
            await("the console gone from " + n.name, Duration.ofSeconds(30), () -> n.get(console, false).statusCode() == 404
                && n.get(tab, true).statusCode() == 404);
            assertEquals(200, n.get(n.adminUrl("/api/v1/apis"), true).statusCode(), "the admin API answers without the console");
        } finally {
            n.shell("feature:install meridian-console");
        }
        await("the console back on " + n.name, Duration.ofSeconds(30), () -> n.get(console, false).statusCode() == 200
            && n.get(tab, true).statusCode() == 200);
        assertTrue(n.get(console, false).body().contains("<script type=\"module\""), "the app's page");

        long from = System.currentTimeMillis() / 1_000 - 1;
        n.shell("bundle:update dev.meridian.policy.set-headers");
        MeridianNode asked = CLUSTER.node(0);
        String[] body = new String[1];
        await("a marker of the policy bundle update", Duration.ofSeconds(20), () -> {
            body[0] = asked.get(asked.adminUrl("/api/v1/metrics/series?res=1s&from=" + from), true).body();
            return body[0].contains("\"kind\":\"bundle\"") && body[0].contains("policy type set-headers updated on node " + n.name);
        });
        System.out.println("console e2e: feature:uninstall / install meridian-console at runtime on " + n.name
            + ": console and tab 404, then 200; bundle:update marked: " + body[0].replaceAll("(?s).*(\"markers\".*)", "$1"));
    }

    // ------------------------------------------------------------------ load

    /**
     * One paced keep-alive client per node, each cycling over {@code keys} cached paths
     * ({@code /orders/item/<k>}, the second node starting halfway): bounded in time, stopped by close.
     */
    private static final class PacedLoad implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong answered = new AtomicLong();
        private final AtomicLong hits = new AtomicLong();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final List<Thread> threads = new ArrayList<>();

        PacedLoad(int keys, int perSecondPerNode, Duration atMost) {
            long deadline = System.nanoTime() + atMost.toNanos();
            long interval = TimeUnit.SECONDS.toNanos(1) / perSecondPerNode;
            for (int i = 0; i < CLUSTER.nodes().size(); i++) {
                MeridianNode node = CLUSTER.node(i);
                int offset = i * keys / CLUSTER.nodes().size();
                Thread t = new Thread(() -> run(node, keys, offset, interval, deadline), "console-load-" + node.name);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        private void run(MeridianNode node, int keys, int offset, long interval, long deadline) {
            long next = System.nanoTime();
            KeepAliveClient client = null;
            try {
                for (long n = 0; running.get() && System.nanoTime() < deadline; n++) {
                    LockSupport.parkNanos(next - System.nanoTime());
                    next += interval;
                    try {
                        if (client == null) {
                            client = new KeepAliveClient(node.httpPort);
                        }
                        KeepAliveClient.Reply r = client.get("/orders/item/" + ((offset + n) % keys));
                        if (r.status() != 200) {
                            failures.add(node.name + ": " + r.status() + " " + r.body());
                        }
                        if ("HIT".equals(r.headers().get("x-cache"))) {
                            hits.incrementAndGet();
                        }
                        answered.incrementAndGet();
                    } catch (IOException e) {
                        failures.add(node.name + ": " + e);
                        closeQuietly(client);
                        client = null;
                    }
                }
            } finally {
                closeQuietly(client);
            }
        }

        private static void closeQuietly(KeepAliveClient c) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    System.err.println("closing a load client: " + e);
                }
            }
        }

        long answered() {
            return answered.get();
        }

        void assertNoFailure() {
            assertEquals(List.of(), failures.stream().limit(5).toList(), failures.size() + " failed requests");
        }

        @Override
        public String toString() {
            long a = answered.get();
            return String.format("load: %d answers, %.1f%% X-Cache HIT, %d failed", a, a == 0 ? 0.0 : 100.0 * hits.get() / a,
                failures.size());
        }

        /** Stops the clients and waits (bounded) for them to end. */
        @Override
        public void close() {
            running.set(false);
            try {
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(15));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
