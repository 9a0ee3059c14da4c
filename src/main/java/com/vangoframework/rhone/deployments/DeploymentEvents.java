package com.vangoframework.rhone.deployments;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells subscribers (the Check Run reporter, later the live log stream) that a deployment changed,
 * after the change is committed. Subscribers read the row themselves; a slow or failing one never
 * delays or fails the build that published.
 */
public final class DeploymentEvents {

    /** Must return quickly: hand the work to your own executor. */
    @FunctionalInterface
    public interface Listener {
        void deploymentChanged(long deploymentId);
    }

    public static final DeploymentEvents NONE = new DeploymentEvents();
    private static final Logger LOG = LoggerFactory.getLogger(DeploymentEvents.class);

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    public void subscribe(Listener listener) {
        if (this == NONE) {
            throw new IllegalStateException("subscribe to the application's DeploymentEvents, not NONE");
        }
        listeners.add(listener);
    }

    public void changed(long deploymentId) {
        for (Listener l : listeners) {
            try {
                l.deploymentChanged(deploymentId);
            } catch (RuntimeException e) {
                LOG.warn("A deployment listener failed for deployment {}", deploymentId, e);
            }
        }
    }
}
