package com.vangoframework.rhone.deployments;

/**
 * Turns a claimed deployment into an image. The queue calls it on a worker thread with a context
 * that is already in {@code cloning}; the pipeline reports each further phase through
 * {@link BuildContext#advance} and returns the pushed image. It must stop promptly when the
 * context is aborted (the worker thread is interrupted and abort callbacks run).
 */
public interface BuildPipeline {

    BuildResult build(BuildContext context) throws Exception;

    /** {@code imageSizeBytes}: null when it could not be measured (never a reason to fail a build). */
    record BuildResult(String imageTag, String imageDigest, Long imageSizeBytes) {
        public BuildResult(String imageTag, String imageDigest) {
            this(imageTag, imageDigest, null);
        }
    }
}
