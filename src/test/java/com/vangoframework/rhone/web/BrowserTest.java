package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.LoggingPipeline;
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
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in a real browser (Debian's headless Chromium through Selenium) against a running
 * service whose builds print into the real log store: sign in with a login link, deploy, watch the
 * log and the badge move without reloading, retry a failure, cancel, and a form without its CSRF
 * token refused.
 */
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
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build(), options);
        browser.manage().timeouts().implicitlyWait(Duration.ZERO);
    }

    @AfterEach
    void tearDown() {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.stop();
        }
    }

    private void signIn(String login) {
        Team team = fx.team("acme");
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
        assertThat(browser.findElement(By.id("image-tag")).getText()).isEqualTo("127.0.0.1:5000/web:test");
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
}
