package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import com.vangoframework.rhone.cli.Table;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code revoke-token --id N config.yml}: the API refuses the token from the next request on. */
public final class RevokeTokenCommand extends RhoneCommand {

    public RevokeTokenCommand() {
        super("revoke-token", "Revoke an API token (see list-tokens for ids)");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--id").required(true).help("the token's id, from list-tokens");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        id(args);
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        long id = id(args);
        return context.jdbi().inTransaction(h -> {
            ApiTokenDao tokens = h.attach(ApiTokenDao.class);
            ApiTokenDao.TokenInfo token = tokens.find(id)
                    .orElseThrow(() -> new UsageError("--id: there is no API token with id " + id));
            if (tokens.revoke(id) == 0) {
                throw new UsageError("--id: token " + id + " of team " + token.teamSlug()
                        + " was already revoked at " + Table.time(token.revokedAt()));
            }
            return List.of("revoked token " + id + (token.name() == null ? "" : " (" + token.name() + ")")
                    + " of team " + token.teamSlug() + "; the API refuses it from now on");
        });
    }

    private static long id(Namespace args) throws UsageError {
        try {
            long id = Long.parseLong(args.getString("id"));
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the error below
        }
        throw new UsageError("--id must be a token id (a positive number, see list-tokens)");
    }
}
