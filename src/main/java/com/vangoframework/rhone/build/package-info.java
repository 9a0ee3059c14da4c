/**
 * The build pipeline and its steps: the JGit checkout, the analyzer (a repo's Dockerfile, or a
 * Railpack plan), the image builders (local Docker engine, or buildctl against rhone-builder), the
 * process runner that owns every external program, and secret masking.
 */
package com.vangoframework.rhone.build;
