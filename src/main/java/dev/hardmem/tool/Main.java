package dev.hardmem.tool;

import dev.hardmem.Hardening;
import dev.hardmem.internal.os.Platform;

import java.io.PrintStream;
import java.util.List;

/**
 * The {@code hardmem} command line: {@code java -jar hardmem.jar doctor [--json] [--harden]}.
 *
 * <p>Exit status: 0 when this machine gives every protection the default policy needs, 1 when it does not (the
 * reasons are printed), 2 for a usage error, 3 when hardmem cannot run here at all (the reason is on stderr and
 * nothing is on stdout). Usage asked for with {@code --help} or {@code -h} goes to stdout, with status 0.
 */
public final class Main {
    static final int MISSING = 1;
    static final int USAGE_ERROR = 2;
    static final int CANNOT_RUN_HERE = 3;

    static final String USAGE = """
            usage: hardmem doctor [--json] [--harden]
              doctor     report which protections this machine gives secrets, and prove them live
              --json     print the report as JSON instead of a table
              --harden   apply Hardening (not dumpable, no core file) to this process first, and report on it
              --help     print this and exit (also -h)
            exit status: 0 every protection the default policy needs is there; 1 something is missing (the
            report says what); 2 usage error; 3 hardmem cannot run here (Java older than 22, an unsupported
            system, native access denied: stderr says which)""";

    private Main() {
    }

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> all = List.of(args);
        if (all.contains("--help") || all.contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        if (args.length == 0 || !args[0].equals("doctor")) {
            err.println(args.length == 0 ? "hardmem: no command given" : "hardmem: unknown command '" + args[0] + "'");
            err.println(USAGE);
            return USAGE_ERROR;
        }
        boolean json = false;
        boolean harden = false;
        for (String option : all.subList(1, all.size())) {
            switch (option) {
                case "--json" -> json = true;
                case "--harden" -> harden = true;
                default -> {
                    err.println("hardmem doctor: unknown option '" + option + "'");
                    err.println(USAGE);
                    return USAGE_ERROR;
                }
            }
        }
        String unsupported = Platform.unsupportedReason();
        if (unsupported != null) {
            return cannotRunHere(err, unsupported);
        }
        try {
            if (harden) {
                Hardening.apply();
            }
            return Doctor.run(json, out);
        } catch (UnsatisfiedLinkError e) {
            return cannotRunHere(err, e.getMessage()); // native access denied, on the first native call
        }
    }

    private static int cannotRunHere(PrintStream err, String why) {
        err.println("hardmem doctor: cannot run here: " + why);
        return CANNOT_RUN_HERE;
    }
}
