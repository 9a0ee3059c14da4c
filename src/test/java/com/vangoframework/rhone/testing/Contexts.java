package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import org.jdbi.v3.core.Jdbi;

/** Build contexts for testing one pipeline step against a real claimed row. */
public final class Contexts {

    private Contexts() {
    }

    /** Claims {@code d} for node "step-test" and wraps it like the queue would. */
    public static BuildContext claimed(Jdbi jdbi, App app, Deployment d) {
        DeploymentDao dao = jdbi.onDemand(DeploymentDao.class);
        Deployment claimed = dao.claimNext(new DeploymentDao.ClaimRequest("step-test", 60_000)).orElseThrow();
        if (claimed.id() != d.id() || claimed.status() != DeploymentStatus.CLONING) {
            throw new IllegalStateException("expected to claim deployment " + d.id() + ", got " + claimed.id());
        }
        return new BuildContext(claimed, app, dao);
    }
}
