package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand.UsageError;

/**
 * The lookups the admin commands of every feature share, so a missing team or app is the same
 * sentence whichever command was typed.
 */
public final class AppsCli {

    private AppsCli() {
    }

    /** The team a {@code --team} argument names, or the one error every command gives for a missing one. */
    public static Team team(TeamDao teams, String slug) throws UsageError {
        return teams.findBySlug(slug).orElseThrow(() -> new UsageError("--team: no team named '" + slug + "'"));
    }

    /** The app an {@code --app} argument names, or the one error every command gives for a missing one. */
    public static App app(AppDao apps, String slug) throws UsageError {
        return apps.findBySlug(slug).orElseThrow(() -> new UsageError("--app: no app named '" + slug + "'"));
    }
}
