package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.Contexts;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestThreads;
import java.time.Clock;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/** A claimed deployment on real PostgreSQL, its context and its log, for testing one step. */
final class StepFixture {

    final Jdbi jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
    final Fixtures fx = new Fixtures(jdbi);
    final App app = fx.app(fx.team("acme"), "web");
    final Deployment deployment = fx.pending(app);
    final BuildContext ctx = Contexts.claimed(jdbi, app, deployment);
    final LogStore logs;

    /** {@code threads} gives the log its flusher and stops it after the test. */
    StepFixture(TestThreads threads) {
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("rhone-log-flusher"));
    }

    BuildLog log(List<String> secrets) {
        return logs.open(deployment.id(), new SecretMasker(secrets));
    }

    String storedLog() {
        return logs.read(deployment.id());
    }
}
