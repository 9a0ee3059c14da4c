/**
 * The build pipeline and its steps: the JGit checkout, the analyzer (a repo's Dockerfile, or a
 * Railpack plan), the image builders (local Docker engine, or buildctl against rhone-builder), the
 * process runner that owns every external program, the steps read from BuildKit's progress output and the recorder that writes them and the
 * build's phases ({@code logs.StepDao}) as the build runs, the builds' work directories (locked while a
 * build runs; what a killed node left is swept), secret masking, what a build may touch (a pull
 * request's build: no env vars, its own image repository, no cache export; one app's registry
 * credentials), retrying a push that failed for now, and asking the registry itself (the pushed
 * image's size, the registry health check) with its credentials. It implements the queue's port {@code deployments.BuildPipeline} (with its
 * {@code BuildContext} and {@code BuildFailure}): the queue owns the port and this package plugs
 * into it, on purpose. It may use {@code deployments}, {@code logs}, {@code apps} and the shared
 * packages. Named {@code pipeline}, not {@code build}: many tools ignore a folder called build/.
 */
package com.vangoframework.rhone.pipeline;
