/**
 * The build pipeline and its steps: the JGit checkout, the analyzer (a repo's Dockerfile, or a
 * Railpack plan), the image builders (local Docker engine, or buildctl against rhone-builder), the
 * process runner that owns every external program, secret masking, and measuring the pushed
 * image in its registry.
 */
package com.vangoframework.rhone.build;
