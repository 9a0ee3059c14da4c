package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.LoggingPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.jdbi.v3.core.Jdbi;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/** Makes the README's dashboard screenshots (docs/images) with the real service and Chromium. */
public final class DashboardScreenshots {

    public static void main(String[] args) throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        Team team = fx.team("acme");
        jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(), "web", "acme/web", 4242L, null, "main", 1800));
        fx.app(team, "docs");
        long user = jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User u = dao.upsertUser("octocat");
            dao.addMember(team.id(), u.id());
            return u.id();
        });
        AtomicReference<LoggingPipeline> pipeline = new AtomicReference<>();
        TestService service = TestService.withPipelineFrom(db, Files.createTempDirectory("shots"), parts -> {
            LoggingPipeline p = new LoggingPipeline(parts.logs());
            p.lines = 60;
            p.burst = 5;
            p.pauseMillis = 300;
            p.text = i -> switch (i % 12) {
                case 0 -> "#" + (i / 12 + 4) + " [build " + (i / 12 + 2) + "/7] RUN npm ci";
                case 5 -> "\u001b[32m#" + (i / 12 + 4) + " DONE 1." + i % 7 + "s\u001b[0m";
                case 9 -> "\u001b[33mnpm WARN deprecated inflight@1.0.6\u001b[0m";
                default -> "#" + (i / 12 + 4) + " 0." + i + " added " + (i * 7) + " packages in " + (i % 5) + "s";
            };
            p.commit = java.util.List.of("3f9c2a1d7be04c58a6e1f02b9d4c7a8e5f6b1c20", "Add the pricing page",
                    "Ada Lovelace");
            pipeline.set(p);
            return p;
        }).start();
        ChromeDriver browser = new ChromeDriver(new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build(),
                new ChromeOptions().setBinary("/usr/bin/chromium").addArguments("--headless=new", "--no-sandbox",
                        "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,800"));
        try {
            Path out = Path.of("docs/images");
            Files.createDirectories(out);
            browser.get(service.url() + "/login/link#" + new Sessions(jdbi, Clock.systemUTC()).createLoginLink(user));
            browser.findElement(By.id("sign-in")).click();
            browser.get(service.url() + "/apps/web");
            browser.findElement(By.cssSelector("#deploy button")).click();
            Thread.sleep(1500);
            shot(browser, out.resolve("deployment-live.png"));
            while (!"built".equals(browser.findElement(By.id("status")).getAttribute("data-status"))) {
                Thread.sleep(100);
            }
            browser.get(service.url() + "/apps/web");
            shot(browser, out.resolve("app.png"));
        } finally {
            browser.quit();
            service.stop();
        }
        System.exit(0);
    }

    private static void shot(TakesScreenshot browser, Path to) throws Exception {
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), to, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("wrote " + to);
    }
}
