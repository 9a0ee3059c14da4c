package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.apps.App;
import java.util.Optional;

/**
 * The token a clone presents for an app, if any: for GitHub apps the App's installation token,
 * for plain git URLs nothing. The composition root answers it with the github package's installation
 * tokens; the pipeline never calls GitHub.
 */
@FunctionalInterface
public interface RepoCredentials {

    Optional<String> tokenFor(App app) throws Exception;

    RepoCredentials NONE = app -> Optional.empty();
}
