package dev.hardmem.tool;

import java.io.PrintStream;

/**
 * The {@code hardmem} command line: {@code java -jar hardmem.jar doctor [--json]}.
 *
 * <p>Exit status: 0 when this machine gives every protection the default policy needs, 1 when it does not (the
 * reasons are printed), 2 for a usage error.
 */
public final class Main {
    static final String USAGE = """
            usage: hardmem doctor [--json] [--harden]
              doctor     report which protections this machine gives secrets, and prove them live
              --json     print the report as JSON instead of a table
              --harden   apply Hardening (not dumpable, no core file) to this process first, and report on it""";

    private Main() {
    }

    /**
     * Runs the command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !args[0].equals("doctor")) {
            err.println(args.length == 0 ? "hardmem: no command given" : "hardmem: unknown command '" + args[0] + "'");
            err.println(USAGE);
            return 2;
        }
        boolean json = false;
        boolean harden = false;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--json")) {
                json = true;
            } else if (args[i].equals("--harden")) {
                harden = true;
            } else {
                err.println("hardmem doctor: unknown option '" + args[i] + "'");
                err.println(USAGE);
                return 2;
            }
        }
        if (harden) {
            dev.hardmem.Hardening.apply();
        }
        return Doctor.run(json, out);
    }
}
