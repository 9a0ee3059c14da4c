package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.io.InputStream;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code set-registry-credentials --app A --username U config.yml}, the password on stdin: the
 * registry user and password the app's builds push, pull and read its cache with, instead of the
 * global ones. The password never goes on the command line, where {@code ps} and shell history
 * would show it; it is stored AES-256-GCM encrypted, bound to the app.
 */
public final class SetRegistryCredentialsCommand extends RhoneCommand {

    private static final String PASSWORD = "registry-password";

    private final InputStream stdin;

    public SetRegistryCredentialsCommand() {
        this(System.in);
    }

    SetRegistryCredentialsCommand(InputStream stdin) {
        super("set-registry-credentials", "Set the registry user and password (read from stdin) of an app's builds");
        this.stdin = stdin;
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("--app").required(true).help("app slug");
        subparser.addArgument("--username").required(true).help("registry user (for registry.fly.io: x)");
        super.configure(subparser);
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--app", args.getString("app")));
        String user = args.getString("username");
        if (user.isEmpty() || user.length() > 255 || !user.chars().allMatch(c -> c > ' ' && c != ':' && c != 0x7f)) {
            throw new UsageError("--username must be 1-255 characters without spaces, control characters or ':'");
        }
        args.getAttrs().put(PASSWORD, readPassword(stdin));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String slug = args.getString("app");
        String user = args.getString("username");
        String password = args.getString(PASSWORD);
        SecretBox box = SecretKeys.forCommand(context);
        return context.jdbi().inTransaction(handle -> {
            App app = AppsCli.app(handle.attach(AppDao.class), slug);
            handle.attach(RegistryCredentialsDao.class).upsert(app.id(), user, box.encryptRegistryPassword(app.id(), password));
            // Never echo the password back.
            return List.of("set the registry credentials of app " + app.slug() + " (user " + user
                    + "): its builds use them instead of the global ones");
        });
    }

    /** The whole of stdin, one trailing line break removed; UTF-8 of printable characters only. */
    static String readPassword(InputStream in) throws UsageError {
        String text = SecretInput.read(in, "the password on stdin");
        if (text.isEmpty()) {
            throw new UsageError("no password on stdin: pipe it in, e.g. printf '%s' \"$TOKEN\" | … set-registry-credentials …");
        }
        if (text.chars().anyMatch(Character::isISOControl)) {
            throw new UsageError("the password on stdin must be one line without control characters");
        }
        return text;
    }
}
