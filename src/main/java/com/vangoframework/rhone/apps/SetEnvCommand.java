package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.io.Console;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code set-env --app A NAME config.yml} with the value on stdin (or {@code --from-file PATH}),
 * or {@code set-env --app A NAME=VALUE... config.yml} for values that may show in {@code ps} and
 * shell history. Values are stored AES-256-GCM encrypted. A value too short for build logs to
 * mask ({@link MaskingMinimum#PLAIN}) is refused unless {@code --not-secret} says it is not a
 * secret. No error or output line ever contains a value.
 */
public final class SetEnvCommand extends RhoneCommand {

    private static final String VALUES = "env-values";

    private final InputStream stdin;
    private final Console console;

    public SetEnvCommand() {
        this(System.in, System.console());
    }

    SetEnvCommand(InputStream stdin, Console console) {
        super("set-env", "Set an app's build env vars (encrypted at rest); a value is read from stdin");
        this.stdin = stdin;
        this.console = console;
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("--app").required(true).help("app slug");
        subparser.addArgument("--from-file").metavar("PATH").help("read the value of the one NAME from this file");
        subparser.addArgument("--not-secret").action(Arguments.storeTrue())
                .help("allow values shorter than " + MaskingMinimum.PLAIN + " characters, which build logs do not mask");
        // Before the config file positional that super.configure adds; see takeConfigFile.
        subparser.addArgument("vars").nargs("+").metavar("NAME|NAME=VALUE")
                .help("one NAME, its value on stdin or in --from-file; or NAME=VALUE pairs (seen by ps and shell history)");
        super.configure(subparser);
    }

    @Override
    public void run(io.dropwizard.core.setup.Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
        takeConfigFile(namespace);
        super.run(bootstrap, namespace);
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--app", args.getString("app")));
        Words words = Words.of(args.getList("vars"));
        Map<String, String> values;
        String fromFile = args.getString("from_file");
        if (words.bare().isEmpty()) {
            if (fromFile != null) {
                throw new UsageError("--from-file reads the value of one NAME: give the NAME without '='");
            }
            values = words.pairs();
            if (!args.getBoolean("not_secret")) {
                System.err.println("warning: a value on the command line shows in ps and in shell history;"
                        + " give only NAME and pipe the value in (printf '%s' \"$VALUE\" | … set-env --app A NAME)");
            }
        } else {
            String name = words.bare().get(0);
            values = Map.of(name, fromFile != null ? SecretInput.readFile(fromFile) : readStdin(name));
            if (values.get(name).isEmpty()) {
                throw new UsageError((fromFile != null ? "--from-file " + fromFile + " is empty" : "no value on stdin")
                        + ": the value of " + name + " must not be empty");
            }
        }
        for (Map.Entry<String, String> v : values.entrySet()) {
            if (v.getValue().length() < MaskingMinimum.PLAIN && !args.getBoolean("not_secret")) {
                throw new UsageError("the value of " + v.getKey() + " has " + v.getValue().length() + " characters:"
                        + " build logs mask values of " + MaskingMinimum.PLAIN + " or more only;"
                        + " give --not-secret to store it anyway");
            }
        }
        args.getAttrs().put(VALUES, values);
    }

    /** On a terminal, a prompt that does not echo (one line); otherwise the whole of stdin. */
    private String readStdin(String name) throws UsageError {
        if (console != null) {
            char[] typed = console.readPassword("value of %s (not shown): ", name);
            return typed == null ? "" : new String(typed);
        }
        return SecretInput.read(stdin, "the value on stdin");
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        @SuppressWarnings("unchecked")
        Map<String, String> vars = (Map<String, String>) args.getAttrs().get(VALUES);
        SecretBox box = SecretKeys.forCommand(context);
        String slug = args.getString("app");
        return context.jdbi().inTransaction(handle -> {
            App app = AppsCli.app(handle.attach(AppDao.class), slug);
            EnvVarDao env = handle.attach(EnvVarDao.class);
            vars.forEach((name, value) -> env.upsert(app.id(), name, box.encrypt(app.id(), name, value)));
            // Never echo values back: a terminal's scrollback is not a secret store.
            List<String> out = new ArrayList<>();
            vars.forEach((name, value) -> {
                if (value.length() >= MaskingMinimum.PLAIN && value.length() < MaskingMinimum.ENCODED) {
                    out.add("note: the value of " + name + " has fewer than " + MaskingMinimum.ENCODED
                            + " characters: build logs mask it as it is, not its base64, URL or JSON forms");
                }
            });
            out.add("set " + String.join(", ", vars.keySet()) + " on app " + app.slug());
            return out;
        });
    }

    /**
     * The variable words: NAME=VALUE pairs, or one bare NAME whose value comes from elsewhere.
     * Errors name a word by its position or by the text before its '=', never by what follows.
     */
    record Words(Map<String, String> pairs, List<String> bare) {

        static Words of(List<Object> items) throws UsageError {
            Map<String, String> pairs = new LinkedHashMap<>();
            List<String> bare = new ArrayList<>();
            int position = 0;
            for (Object item : items == null ? List.of() : items) {
                position++;
                String s = String.valueOf(item);
                int eq = s.indexOf('=');
                if (eq == 0) {
                    throw new UsageError("variable " + position + " has no name before '=': give NAME=VALUE,"
                            + " or NAME alone with the value on stdin");
                }
                if (eq < 0) {
                    // A word meant as a value but typed without its name would be echoed here: don't.
                    if (Names.checkEnvName("", s).isPresent()) {
                        throw new UsageError("variable " + position + " is neither NAME=VALUE nor a NAME"
                                + " (letters, digits and '_', not starting with a digit)");
                    }
                    bare.add(s);
                    continue;
                }
                String name = s.substring(0, eq);
                require(Names.checkEnvName("variable " + name, name));
                pairs.put(name, s.substring(eq + 1));
            }
            if (bare.size() > 1) {
                throw new UsageError("give one NAME to read from stdin or --from-file, not " + bare.size());
            }
            if (!bare.isEmpty() && !pairs.isEmpty()) {
                throw new UsageError("give either one NAME (its value on stdin or in --from-file) or NAME=VALUE"
                        + " pairs, not both");
            }
            return new Words(pairs, bare);
        }
    }
}
