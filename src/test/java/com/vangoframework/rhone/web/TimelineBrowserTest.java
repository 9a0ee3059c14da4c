package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.LoggingPipeline;
import com.vangoframework.rhone.testing.NeedsBrowser;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
 * The deployment page's timeline in a real browser (Debian's headless Chromium, as in
 * {@link BrowserTest}): while a build runs, step rows written with {@link StepDao} (as the
 * building node's recorder writes them) make the timeline grow without a reload; after the build
 * the bars are there, cached and failed steps marked, and clicking a step shows its lines. A
 * step name that is markup stays text.
 */
@NeedsBrowser
class TimelineBrowserTest {

    private static final String HOSTILE = "<img src=x onerror=alert(1)></script>";

    @TempDir
    Path dir;

    private Jdbi jdbi;
    private Fixtures fx;
    private StepDao steps;
    private TestService service;
    private WebDriver browser;
    private final AtomicReference<LoggingPipeline> pipeline = new AtomicReference<>();

    @BeforeEach
    void setUp() throws Exception {
        assertThat(Files.isExecutable(BrowserTest.CHROMIUM)).as(BrowserTest.CHROMIUM + " (ops/prepare-test-host)")
                .isTrue();
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        steps = jdbi.onDemand(StepDao.class);
        service = TestService.withPipelineFrom(db, dir.resolve("data"), parts -> {
            LoggingPipeline p = new LoggingPipeline(parts.logs());
            pipeline.set(p);
            return p;
        }).start();
        ChromeOptions options = new ChromeOptions().setBinary(BrowserTest.CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--window-size=1280,900");
        options.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
        browser = new ChromeDriver(new ChromeDriverService.Builder()
                .usingDriverExecutable(BrowserTest.CHROMEDRIVER.toFile()).usingAnyFreePort().build(), options);
        browser.manage().timeouts().implicitlyWait(Duration.ZERO);
    }

    @AfterEach
    void tearDown() {
        if (browser != null) {
            browser.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER).getAll()
                    .forEach(e -> System.out.println("browser console: " + e.getMessage()));
            browser.quit();
        }
        if (service != null) {
            service.stop();
        }
    }

    private JavascriptExecutor js() {
        return (JavascriptExecutor) browser;
    }

    private void signIn() {
        Team team = fx.team("acme");
        fx.app(team, "web");
        long userId = jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User u = dao.upsertUser("octocat");
            dao.addMember(team.id(), u.id());
            return u.id();
        });
        String token = new Sessions(jdbi, Clock.systemUTC()).createLoginLink(userId);
        browser.get(service.url() + "/login/link#" + token);
        browser.findElement(By.id("sign-in")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> browser.getCurrentUrl().endsWith("/apps"));
    }

    private long stepRows() {
        return (Long) js().executeScript("return document.querySelectorAll('#tl-steps li.tl-row').length;");
    }

    private StepDao.StoredStep step(Deployment d, int vertex, String name, String status, Instant start,
                                    Instant end, String lastLines) {
        return new StepDao.StoredStep(d.id(), d.attempt(), vertex, name, "", false, status, start, end,
                end == null ? null : Duration.between(start, end).toMillis(), "error".equals(status) ? 2 : null,
                "error".equals(status) ? "exit code: 2" : null, lastLines, lastLines.lines().count(), 0);
    }

    private String text(String selector) {
        return (String) js().executeScript("var e = document.querySelector(arguments[0]);"
                + "return e ? e.textContent : null;", selector);
    }

    @Test
    void theTimelineGrowsLiveFromStepRows_marksCachedAndFailedSteps_showsAStepsLines_andKeepsMarkupAsText() {
        signIn();
        LoggingPipeline p = pipeline.get();
        p.lines = 30;
        p.holdAfter = 20;
        p.fail = true;
        p.text = i -> i < 10 ? "#3 cc part " + i : "line " + i;
        browser.get(service.url() + "/apps/web");
        browser.findElement(By.cssSelector("#deploy button")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> browser.getCurrentUrl().matches(".*/deployments/\\d+$"));
        js().executeScript("window.__samePage = true;");
        String url = browser.getCurrentUrl();
        long id = Long.parseLong(url.substring(url.lastIndexOf('/') + 1));
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.get().holding.getCount() == 0);
        Deployment d = jdbi.onDemand(com.vangoframework.rhone.deployments.DeploymentDao.class).findById(id)
                .orElseThrow();
        await().atMost(Duration.ofSeconds(30)).until(() -> browser.findElements(By.cssSelector("#log .line")).size()
                >= 20);

        Instant t0 = Instant.now().minusSeconds(20);
        steps.upsertPhases(List.of(new StepDao.StoredPhase(d.id(), d.attempt(), "queued", t0, t0.plusSeconds(1)),
                new StepDao.StoredPhase(d.id(), d.attempt(), "clone", t0.plusSeconds(1), t0.plusSeconds(2)),
                new StepDao.StoredPhase(d.id(), d.attempt(), "build", t0.plusSeconds(2), null)));
        // A first BuildKit run that failed on the registry: its rows are deleted when BuildKit runs
        // again, and the page drops them, its failed step's lines with them.
        steps.upsertSteps(List.of(step(d, 1, "[1/4] FROM local/busybox:1", "cached", t0.plusSeconds(2),
                        t0.plusSeconds(2), ""),
                step(d, 7, "[old run] RUN fetch", "error", t0.plusSeconds(2), t0.plusSeconds(3), "stale failure")));
        await().atMost(Duration.ofSeconds(20)).until(() -> stepRows() == 2
                && browser.findElement(By.id("error-step")).isDisplayed());
        assertThat(text("#error-step-lines")).isEqualTo("stale failure");
        steps.deleteSteps(d.id(), d.attempt());
        await().atMost(Duration.ofSeconds(20)).until(() -> stepRows() == 0);
        assertThat(browser.findElement(By.id("error-step")).isDisplayed()).as("nothing failed now").isFalse();

        steps.upsertSteps(List.of(step(d, 1, "[1/4] FROM local/busybox:1", "running", t0.plusSeconds(2), null, "")));
        await().atMost(Duration.ofSeconds(20)).until(() -> stepRows() == 1);

        steps.upsertSteps(List.of(
                step(d, 1, "[1/4] FROM local/busybox:1", "cached", t0.plusSeconds(2), t0.plusSeconds(2), ""),
                step(d, 2, HOSTILE, "cached", t0.plusSeconds(2), t0.plusSeconds(2), ""),
                step(d, 3, "[3/4] RUN cc -c main.c", "running", t0.plusSeconds(3), null, "")));
        await().atMost(Duration.ofSeconds(20)).until(() -> stepRows() == 3);
        steps.upsertSteps(List.of(
                step(d, 3, "[3/4] RUN cc -c main.c", "done", t0.plusSeconds(3), t0.plusSeconds(9),
                        "compiling\nlinked main.o"),
                step(d, 4, "[4/4] RUN make", "error", t0.plusSeconds(9), t0.plusSeconds(10),
                        "main.c:42: error: missing semicolon\nmake: *** [all] Error 2")));
        await().atMost(Duration.ofSeconds(20)).until(() -> stepRows() == 4
                && "error".equals(browser.findElement(By.cssSelector("#tl-steps li[data-key='step-4']"))
                .getAttribute("data-status")));
        assertThat(js().executeScript("return window.__samePage === true;")).as("grown without a reload")
                .isEqualTo(true);
        assertThat(browser.findElement(By.id("error-step")).isDisplayed()).isTrue();
        assertThat(text("#error-step-lines")).isEqualTo("main.c:42: error: missing semicolon\nmake: *** [all] Error 2");

        steps.upsertPhases(List.of(new StepDao.StoredPhase(d.id(), d.attempt(), "build", t0.plusSeconds(2),
                t0.plusSeconds(10))));
        p.release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> "build_failed".equals(
                browser.findElement(By.id("status")).getAttribute("data-status")));
        // After the end the page reads the timeline once more: the build phase has its end now.
        await().atMost(Duration.ofSeconds(10)).until(() -> "8.0 s".equals(
                text("#tl-phases li[data-key='phase-build'] .tl-dur")));
        assertThat(browser.findElement(By.id("error")).getText()).contains("failed on purpose");
        checkTimeline("live");

        browser.navigate().refresh();
        checkTimeline("rendered by the server");
        assertThat(text("#timeline-summary")).isEqualTo("2 of 4 steps cached \u00b7 build 8.0 s \u00b7 queued 1.0 s");

        // An older state of a step (a /steps answer read before the stream's last change) is dropped.
        js().executeScript("var s3 = document.querySelector(\"#tl-steps li[data-key='step-3']\");"
                + "window.RhoneTimeline.step({attempt: " + d.attempt() + ", vertex: 3, name: 'stale', stage: '',"
                + " internal: false, status: 'running', cached: false, started_at: null, ended_at: null,"
                + " last_lines: [], line_count: 0, change_seq: Number(s3.dataset.seq) - 1});");
        assertThat(browser.findElement(By.cssSelector("#tl-steps li[data-key='step-3']")).getAttribute("data-status"))
                .isEqualTo("done");
        // A later claim's answer without steps yet: the earlier claim's steps and failure go.
        js().executeScript("window.fetch = function () { return Promise.resolve({ ok: true, json: function () {"
                + " return { attempt: " + (d.attempt() + 1) + ", phases: [], steps: [] }; } }); };"
                + "window.RhoneTimeline.refresh();");
        await().atMost(Duration.ofSeconds(10)).until(() -> stepRows() == 0);
        assertThat(browser.findElement(By.id("error-step")).isDisplayed()).isFalse();
        List<String> console = browser.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER).getAll()
                .stream().map(org.openqa.selenium.logging.LogEntry::getMessage).toList();
        console.forEach(m -> System.out.println("browser console: " + m));
        assertThat(console).as("nothing refused under the page's Content-Security-Policy, no script error")
                .noneMatch(m -> m.contains("Content Security Policy") || m.contains("Uncaught"));
    }

    /**
     * Four bars and two phases (the queue is a figure in the summary, not a bar); the cached and
     * failed ones marked; a click shows a step's lines.
     */
    private void checkTimeline(String when) {
        assertThat(stepRows()).as(when).isEqualTo(4);
        assertThat(browser.findElements(By.cssSelector("#tl-phases li.tl-row"))).as(when)
                .extracting(e -> e.getAttribute("data-key")).containsExactly("phase-clone", "phase-build");
        assertThat(text("#timeline-summary")).as(when).endsWith("queued 1.0 s");
        List<WebElement> cached = browser.findElements(By.cssSelector("#tl-steps li.cached"));
        assertThat(cached).as(when).extracting(e -> e.getAttribute("data-key")).containsExactly("step-1", "step-2");
        assertThat(cached).allSatisfy(e -> assertThat(e.findElement(By.cssSelector(".tl-tag")).getText())
                .isEqualTo("cached"));
        WebElement failed = browser.findElement(By.cssSelector("#tl-steps li.error"));
        assertThat(failed.getAttribute("data-key")).as(when).isEqualTo("step-4");
        assertThat(failed.findElement(By.tagName("rect")).getCssValue("fill")).isEqualTo("rgb(214, 40, 40)");
        assertThat(browser.findElement(By.cssSelector("#tl-steps li[data-key='step-3']")).getAttribute("class"))
                .as("the slowest step").contains("slow");
        // The markup in a step's name is text: shown as written, no element made of it.
        assertThat(text("#tl-steps li[data-key='step-2'] .tl-name")).isEqualTo(HOSTILE);
        assertThat(js().executeScript("return document.querySelectorAll('#timeline img, main img').length;"))
                .isEqualTo(0L);

        browser.findElement(By.cssSelector("#tl-steps li[data-key='step-3'] button.tl-name")).click();
        assertThat(browser.findElement(By.id("step-detail")).isDisplayed()).isTrue();
        assertThat(text("#step-detail-name")).isEqualTo("[3/4] RUN cc -c main.c");
        assertThat(text("#step-detail-last")).isEqualTo("compiling\nlinked main.o");
        assertThat(text("#step-detail-count")).isEqualTo("10");
        assertThat(text("#step-detail-log")).startsWith("#3 cc part 0\n#3 cc part 1").endsWith("#3 cc part 9");
    }
}
