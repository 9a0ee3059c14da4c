package com.vangoframework.rhone;

import com.vangoframework.rhone.apps.CreateAppCommand;
import com.vangoframework.rhone.apps.CreateTeamCommand;
import com.vangoframework.rhone.apps.CreateTokenCommand;
import com.vangoframework.rhone.apps.ListTeamsCommand;
import com.vangoframework.rhone.apps.ListTokensCommand;
import com.vangoframework.rhone.apps.RevokeTokenCommand;
import com.vangoframework.rhone.apps.SetEnvCommand;
import com.vangoframework.rhone.apps.SetRegistryCredentialsCommand;
import com.vangoframework.rhone.apps.UnsetEnvCommand;
import com.vangoframework.rhone.apps.UnsetRegistryCredentialsCommand;
import com.vangoframework.rhone.apps.UpdateAppCommand;
import com.vangoframework.rhone.apps.UpdateTeamCommand;
import com.vangoframework.rhone.cli.CommandConfiguration;
import com.vangoframework.rhone.cli.DbCommand;
import com.vangoframework.rhone.deployments.DeleteAppCommand;
import com.vangoframework.rhone.deployments.ListAppsCommand;
import com.vangoframework.rhone.deployments.ShowAppCommand;
import com.vangoframework.rhone.github.GitHubUsers;
import com.vangoframework.rhone.web.AddMemberCommand;
import com.vangoframework.rhone.web.ListMembersCommand;
import com.vangoframework.rhone.web.LoginLinkCommand;
import com.vangoframework.rhone.web.RemoveMemberCommand;
import io.dropwizard.core.cli.Command;
import java.util.List;
import java.util.Optional;

/** The admin commands, each written on the {@code cli} base by the feature it belongs to. */
final class AdminCommands {

    private AdminCommands() {
    }

    static List<Command> all() {
        return List.of(
                new DbCommand(),
                new CreateTeamCommand(),
                new CreateAppCommand(),
                new SetEnvCommand(),
                new UnsetEnvCommand(),
                new SetRegistryCredentialsCommand(),
                new UnsetRegistryCredentialsCommand(),
                new CreateTokenCommand(),
                new AddMemberCommand(AdminCommands::gitHubUsers),
                new LoginLinkCommand(),
                new UpdateTeamCommand(),
                new ListTeamsCommand(),
                new ListAppsCommand(),
                new ShowAppCommand(),
                new UpdateAppCommand(),
                new DeleteAppCommand(),
                new ListTokensCommand(),
                new RevokeTokenCommand(),
                new ListMembersCommand(),
                new RemoveMemberCommand());
    }

    /**
     * {@code add-member} asks GitHub for account ids only where people sign in with GitHub; the
     * commands run under this application's configuration class (see {@code ServiceCommand}).
     */
    private static Optional<GitHubUsers> gitHubUsers(CommandConfiguration config) {
        RhoneConfiguration rhone = (RhoneConfiguration) config;
        return rhone.getDashboard().oauthEnabled()
                ? Optional.of(new GitHubUsers(rhone.getGithub().getApiUrl())) : Optional.empty();
    }
}
