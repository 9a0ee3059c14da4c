package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.LoggingPipeline;
import com.vangoframework.rhone.testing.NeedsBrowser;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in a real browser (Debian's headless Chromium through Selenium) against a running
 * service whose builds print into the real log store: sign in with a login link, deploy, watch the
 * log and the badge move without reloading, retry a failure, cancel, and a form without its CSRF
 * token refused. Every page does all that under its Content-Security-Policy: the browser's console
 * shows no refusal, and an injected inline script or frame is refused.
 */
@NeedsBrowser
class BrowserTest {

    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("RHONE_TEST_CHROMIUM", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("RHONE_TEST_CHROMEDRIVER",
            "/usr/bin/chromedriver"));

    @TempDir
    Path dir;

    private DatabaseTarget db;
    private Jdbi jdbi;
    private Fixtures fx;
    private TestService service;
    private Team team;
    private WebDriver browser;
    private final AtomicReference<LoggingPipeline> pipeline = new AtomicReference<>();

    @BeforeEach
    void setUp() throws Exception {
        assertThat(Files.isExecutable(CHROMIUM)).as(CHROMIUM + " (ops/prepare-test-host installs it)").isTrue();
        assertThat(Files.isExecutable(CHROMEDRIVER)).as(CHROMEDRIVER + " (ops/prepare-test-host installs it)").isTrue();
        db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        service = TestService.withPipelineFrom(db, dir.resolve("data"), parts -> {
            LoggingPipeline p = new LoggingPipeline(parts.logs());
            pipeline.set(p);
            return p;
        }).start();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--window-size=1280,900");
        options.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
        options.setExperimentalOption("prefs", java.util.Map.of(
                "download.default_directory", Files.createDirectories(dir.resolve("downloads")).toString(),
                "download.prompt_for_download", false));
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build(), options);
        browser.manage().timeouts().implicitlyWait(Duration.ZERO);
    }

    @AfterEach
    void tearDown() {
        if (browser != null) {
            // Script errors, for the failure report of a test that waited for the page in vain.
            browser.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER).getAll().stream()
                    .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())
                    .forEach(e -> System.out.println("browser console: " + e.getMessage()));
            browser.quit();
        }
        if (service != null) {
            service.stop();
        }
    }

    /**
     * What the browser refused under the pages' Content-Security-Policy since the last look: Chromium
     * logs each refusal as a console error naming the policy. Reading the console empties it, so what
     * was read is printed like {@link #tearDown} prints the rest.
     */
    private java.util.List<String> policyViolations() {
        java.util.List<String> messages = browser.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER)
                .getAll().stream()
                .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())
                .map(org.openqa.selenium.logging.LogEntry::getMessage).toList();
        messages.forEach(m -> System.out.println("browser console: " + m));
        return messages.stream().filter(m -> m.contains("Content Security Policy")).toList();
    }

    private void signIn(String login) {
        team = fx.team("acme");
        App app = fx.app(team, "web");
        assertThat(app.slug()).isEqualTo("web");
        long userId = jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User u = dao.upsertUser(login);
            dao.addMember(team.id(), u.id());
            return u.id();
        });
        String token = new Sessions(jdbi, Clock.systemUTC()).createLoginLink(userId);
        browser.get(service.url() + "/login/link#" + token);
        browser.findElement(By.id("sign-in")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> browser.getCurrentUrl().endsWith("/apps"));
        assertThat(browser.getPageSource()).contains(login);
        assertThat(policyViolations()).as("the login link page and the app list").isEmpty();
    }

    private String badge() {
        return browser.findElement(By.id("status")).getAttribute("data-status");
    }

    private int logLines() {
        return browser.findElements(By.cssSelector("#log .line")).size();
    }

    private void deploy() {
        browser.get(service.url() + "/apps/web");
        browser.findElement(By.cssSelector("#deploy button")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> browser.getCurrentUrl().matches(".*/deployments/\\d+$"));
        ((JavascriptExecutor) browser).executeScript("window.__samePage = true;");
    }

    private boolean samePage() {
        return Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript("return window.__samePage === true;"));
    }

    @Test
    void signIn_deploy_watchTheLogAndBadgeLive_retryAFailure_andCancel() {
        signIn("octocat");
        LoggingPipeline p = pipeline.get();
        p.lines = 300;
        p.holdAfter = 100;
        p.text = i -> i == 5 ? "\u001b[31mred error text\u001b[0m" : "line " + i;

        deploy();
        await().atMost(Duration.ofSeconds(30)).until(() -> logLines() >= 100);
        assertThat(badge()).isEqualTo("building");
        assertThat(browser.findElement(By.cssSelector("#log .a-31")).getText()).isEqualTo("red error text");
        p.release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> "built".equals(badge()) && logLines() == 300);
        assertThat(samePage()).as("the page was not reloaded").isTrue();
        assertThat(browser.findElement(By.id("status")).getText()).isEqualTo("Built");
        assertThat(browser.findElement(By.cssSelector("#image .image-tag")).getText()).isEqualTo("127.0.0.1:5000/web:test");
        assertThat(browser.findElement(By.id("cancel")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("retry")).isDisplayed()).isFalse();

        // A failing build: the error sentence and Retry appear live; Retry builds again.
        p.holdAfter = -1;
        p.lines = 20;
        p.fail = true;
        deploy();
        await().atMost(Duration.ofSeconds(30)).until(() -> "build_failed".equals(badge()));
        assertThat(browser.findElement(By.id("error")).getText()).contains("failed on purpose");
        assertThat(samePage()).isTrue();
        p.fail = false;
        String failedUrl = browser.getCurrentUrl();
        browser.findElement(By.cssSelector("#retry button")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> !browser.getCurrentUrl().equals(failedUrl));
        await().atMost(Duration.ofSeconds(30)).until(() -> "built".equals(badge()));

        // Cancel while running.
        p.lines = 200;
        p.holdAfter = 10;
        p.holding = new CountDownLatch(1);
        p.release = new CountDownLatch(1);
        deploy();
        await().atMost(Duration.ofSeconds(30)).until(() -> p.holding.getCount() == 0 && logLines() >= 10);
        browser.findElement(By.cssSelector("#cancel button")).click();
        await().atMost(Duration.ofSeconds(30)).until(() -> "cancelled".equals(badge()));
        assertThat(browser.findElement(By.id("retry")).isDisplayed()).isTrue();
        assertThat(policyViolations()).as("the app page and the live deployment pages").isEmpty();
    }

    @Test
    void aFormPostedWithoutItsCsrfToken_isRefused_andChangesNothing() {
        signIn("octocat");
        browser.get(service.url() + "/apps/web");
        long before = fx.count("deployments");
        ((JavascriptExecutor) browser).executeScript("var f = document.createElement('form');"
                + "f.method = 'post'; f.action = '/apps/web/deploy'; document.body.appendChild(f); f.submit();");
        await().atMost(Duration.ofSeconds(10)).until(() -> browser.getPageSource().contains("Form expired"));
        assertThat(fx.count("deployments")).isEqualTo(before);
    }

    private JavascriptExecutor js() {
        return (JavascriptExecutor) browser;
    }

    /**
     * The row's badge status, read in one step in the page: the app page replaces a row on each event,
     * so an element found first and read after may already be gone (a stale element reference).
     */
    private String rowStatus(String rowSelector) {
        return (String) js().executeScript("var b = document.querySelector(arguments[0]);"
                + "return b ? b.dataset.status : null;", rowSelector + " .badge");
    }

    /** A deployment requested through the JSON API with a team token, as a script or CI would. */
    private long deployThroughTheApi(String token) throws Exception {
        java.net.http.HttpResponse<String> created = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(service.url() + "/api/apps/web/deployments"))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(created.body()).get("id").asLong();
    }

    @Test
    void openAppPages_showADeploymentStartedThroughTheApi_andFollowItsStatusWithoutAReload() throws Exception {
        signIn("octocat");
        String token = fx.token(team);
        LoggingPipeline p = pipeline.get();
        String sha = "feed" + "0".repeat(36);
        p.commit = java.util.List.of(sha, "Ship the feature\n\nwith details", "Ada Lovelace");
        p.lines = 40;
        p.holdAfter = 10;

        browser.get(service.url() + "/apps/web");
        js().executeScript("window.__samePage = true;");
        assertThat(browser.findElement(By.id("no-deployments")).isDisplayed()).isTrue();
        assertThat(browser.findElement(By.id("latest-built")).isDisplayed()).isFalse();

        long id = deployThroughTheApi(token);
        String row = "#deployments tr[data-id='" + id + "']";
        await().atMost(Duration.ofSeconds(30)).until(() -> "building".equals(rowStatus(row)));
        assertThat(browser.findElement(By.id("no-deployments")).isDisplayed()).isFalse();
        WebElement newRow = browser.findElement(By.cssSelector(row));
        assertThat(newRow.getText()).contains(sha.substring(0, 12)).contains("Ship the feature")
                .contains("Ada Lovelace").doesNotContain("with details");
        // A running timer, counting on its own while nothing is sent.
        By timer = By.cssSelector(row + " .duration .timer");
        String firstTick = browser.findElement(timer).getText();
        assertThat(firstTick).matches("(\\d+ min )?\\d+ s"); // a slow machine may pass a minute
        await().atMost(Duration.ofSeconds(5)).until(() -> !browser.findElement(timer).getText().equals(firstTick));
        WebElement when = browser.findElement(By.cssSelector(row + " time"));
        assertThat(when.getText()).matches("just now|\\d+ s ago|\\d+ min ago");
        assertThat(when.getAttribute("title")).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC");

        p.release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> "built".equals(rowStatus(row)));
        assertThat(browser.findElement(By.cssSelector(row + " .duration")).getText())
                .matches("\\d+\\.\\d s|\\d+ min \\d+ s");
        // The latest successful build, with the line that pulls exactly it, and a copy button.
        assertThat(browser.findElement(By.id("latest-built")).isDisplayed()).isTrue();
        assertThat(browser.findElement(By.cssSelector("#latest-built .deployment-id")).getText())
                .isEqualTo(Long.toString(id));
        assertThat(browser.findElement(By.id("latest-image-pull")).getText())
                .isEqualTo("docker pull 127.0.0.1:5000/web@sha256:" + "ab".repeat(32));
        WebElement copy = browser.findElement(By.cssSelector("#latest-image button.copy"));
        copy.click();
        await().atMost(Duration.ofSeconds(5)).until(() -> copy.getText().equals("Copied"));
        assertThat(samePage()).as("the app page was not reloaded").isTrue();

        // The app list: the row's latest deployment follows a new one as well.
        p.commit = null;
        p.holdAfter = 5;
        p.holding = new CountDownLatch(1);
        p.release = new CountDownLatch(1);
        browser.get(service.url() + "/apps");
        js().executeScript("window.__samePage = true;");
        long next = deployThroughTheApi(token);
        String appRow = "#apps tr[data-app='web']";
        await().atMost(Duration.ofSeconds(30)).until(() -> Long.toString(next).equals(
                browser.findElement(By.cssSelector(appRow)).getAttribute("data-deployment"))
                && "building".equals(rowStatus(appRow)));
        p.release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> "built".equals(rowStatus(appRow)));
        assertThat(browser.findElement(By.cssSelector(appRow + " .latest a")).getAttribute("href"))
                .endsWith("/apps/web/deployments/" + next);
        assertThat(samePage()).as("the app list was not reloaded").isTrue();
        assertThat(policyViolations()).as("the live app page and app list").isEmpty();
    }

    @Test
    void theBrowserEnforcesThePolicy_anInjectedInlineScriptAndAFrameOfAPageAreRefused() {
        signIn("octocat");
        browser.get(service.url() + "/apps/web");
        // What an injection would try: an inline script, and the page inside a frame (here even
        // from its own site). The script runs through the driver, outside the page's policy.
        js().executeScript("var s = document.createElement('script'); s.textContent = 'window.__inline = true;';"
                + "document.body.appendChild(s);"
                + "var f = document.createElement('iframe'); f.src = '/apps'; document.body.appendChild(f);");
        java.util.List<String> refused = new java.util.ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            refused.addAll(policyViolations());
            return refused.stream().anyMatch(m -> m.contains("script-src"))
                    && refused.stream().anyMatch(m -> m.contains("frame-ancestors"));
        });
        assertThat(js().executeScript("return window.__inline === true;")).isEqualTo(false);
    }

    private String lineClasses(int n) {
        return browser.findElement(By.id("L" + n)).getAttribute("class");
    }

    /** The line is inside the log's visible box. */
    private boolean inView(int n) {
        return Boolean.TRUE.equals(js().executeScript("var l = document.getElementById('L' + arguments[0]).getBoundingClientRect();"
                + "var b = document.getElementById('log').getBoundingClientRect();"
                + "return l.top >= b.top && l.bottom <= b.bottom && l.top < window.innerHeight;", n));
    }

    @Test
    void theLogViewer_searches_linksToLinesAcrossReloads_downloads_wraps_andFoldsBuildKitNoise() throws Exception {
        signIn("octocat");
        LoggingPipeline p = pipeline.get();
        p.lines = 1500;
        p.burst = 500;
        p.text = i -> switch (i) {
            case 1400 -> "#5 sha256:" + "c".repeat(64);
            case 1401 -> "#5 transferring context: 1.20MB 0.3s";
            case 1402 -> "#5 transferring context: 3.00MB 0.5s done";
            default -> i % 100 == 7 ? "found the Needle " + i : "line " + i;
        };
        String sha = "beef" + "1".repeat(36);
        p.commit = java.util.List.of(sha, "Teach the log viewer\n\nbody", "Grace Hopper");
        p.beforeCommit = new CountDownLatch(1);
        p.afterCommit = new CountDownLatch(1);
        deploy();
        // The commit fills in on the open page as soon as the clone records it, before any other change.
        await().atMost(Duration.ofSeconds(30)).until(() -> "cloning".equals(badge()));
        assertThat(browser.findElement(By.id("commit")).getText()).isEqualTo("branch head");
        assertThat(browser.findElement(By.id("elapsed-label")).getText()).isEqualTo("running for");
        assertThat(browser.findElement(By.id("elapsed")).getText()).matches("\\d+ s");
        p.beforeCommit.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> browser.findElement(By.id("commit")).getText()
                .equals(sha.substring(0, 12)));
        assertThat(badge()).isEqualTo("cloning");
        assertThat(browser.findElement(By.id("commit-message")).getText()).isEqualTo("Teach the log viewer");
        assertThat(browser.findElement(By.id("commit-author")).getText()).isEqualTo("Grace Hopper");
        p.afterCommit.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> "built".equals(badge()));
        assertThat(browser.findElement(By.id("elapsed-label")).getText()).isEqualTo("took");
        assertThat(browser.findElement(By.id("elapsed")).getText()).matches("\\d+(\\.\\d)? s|\\d+ min \\d+ s");
        assertThat(browser.findElement(By.id("image-pull")).getText())
                .isEqualTo("docker pull 127.0.0.1:5000/web@sha256:" + "ab".repeat(32));
        String page = browser.getCurrentUrl();
        long id = Long.parseLong(page.substring(page.lastIndexOf('/') + 1));
        browser.navigate().refresh(); // the page now holds the last 1,000 lines: 501 .. 1500

        // BuildKit's noise is folded; its final "done" line stays; a toggle shows the rest.
        assertThat(browser.findElement(By.id("L1401")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("L1402")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("L1403")).isDisplayed()).isTrue();
        assertThat(browser.findElement(By.id("log-noise-count")).getText()).isEqualTo("2");
        browser.findElement(By.id("log-noise")).click();
        assertThat(browser.findElement(By.id("L1401")).isDisplayed()).isTrue();
        browser.findElement(By.id("log-noise")).click();
        assertThat(browser.findElement(By.id("L1401")).isDisplayed()).isFalse();

        // Search: case-insensitive, every match highlighted, next and previous.
        WebElement search = browser.findElement(By.id("log-search"));
        search.sendKeys("needle");
        WebElement count = browser.findElement(By.id("log-count"));
        await().atMost(Duration.ofSeconds(5)).until(() -> count.getText().equals("1 of 10"));
        assertThat(lineClasses(508)).contains("current-match");
        assertThat(js().executeScript("return CSS.highlights.get('log-search').size;")).isEqualTo(10L);
        assertThat(js().executeScript("return CSS.highlights.get('log-current').values().next().value.toString();"))
                .isEqualTo("Needle");
        search.sendKeys(org.openqa.selenium.Keys.ENTER);
        assertThat(count.getText()).isEqualTo("2 of 10");
        assertThat(lineClasses(608)).contains("current-match");
        assertThat(inView(608)).isTrue();
        browser.findElement(By.id("log-prev")).click();
        browser.findElement(By.id("log-prev")).click();
        assertThat(count.getText()).isEqualTo("10 of 10");
        assertThat(lineClasses(1408)).contains("current-match");
        search.clear();
        search.sendKeys("no such text");
        await().atMost(Duration.ofSeconds(5)).until(() -> count.getText().equals("no matches"));

        // A link to a line: its number is the link; the address keeps it, a reload comes back to it.
        browser.findElement(By.cssSelector("#L1200 a.ln")).click();
        await().atMost(Duration.ofSeconds(5)).until(() -> browser.getCurrentUrl().endsWith("#L1200"));
        assertThat(lineClasses(1200)).contains("target");
        browser.navigate().refresh();
        await().atMost(Duration.ofSeconds(10)).until(() -> lineClasses(1200).contains("target"));
        assertThat(inView(1200)).isTrue();
        // A line before the rendered tail: the earlier lines are fetched first.
        browser.get(page + "#L20");
        await().atMost(Duration.ofSeconds(10)).until(() -> !browser.findElements(By.id("L20")).isEmpty()
                && lineClasses(20).contains("target"));
        assertThat(browser.findElement(By.id("L20")).getText()).endsWith("line 19");
        assertThat(inView(20)).isTrue();

        // Wrap off, and it stays off on the next visit.
        WebElement log = browser.findElement(By.id("log"));
        assertThat(log.getCssValue("white-space")).isEqualTo("pre-wrap");
        browser.findElement(By.id("log-wrap")).click();
        assertThat(browser.findElement(By.id("log")).getCssValue("white-space")).isEqualTo("pre");
        browser.navigate().refresh();
        assertThat(browser.findElement(By.id("log")).getCssValue("white-space")).isEqualTo("pre");
        assertThat(browser.findElement(By.id("log-wrap")).isSelected()).isFalse();

        // Download: the whole log, as a file.
        browser.findElement(By.id("log-download")).click();
        Path file = dir.resolve("downloads").resolve("web-deployment-" + id + ".log");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(file) && Files.size(file) > 0
                && Files.readAllLines(file).size() == 1500);
        java.util.List<String> lines = Files.readAllLines(file);
        assertThat(lines.get(0)).endsWith(" line 0");
        assertThat(lines.get(1400)).endsWith(" #5 sha256:" + "c".repeat(64));
        assertThat(lines.get(1499)).endsWith(" line 1499");
        assertThat(policyViolations()).as("the log viewer").isEmpty();
    }
}
