package dev.hardmem.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a main class in a new JVM (the same java binary and class path as the tests), optionally behind a wrapper
 * command such as {@code setpriv} or {@code prlimit}. Used for everything that must not happen in Surefire's own
 * JVM: touching guard pages (SIGSEGV kills the VM), dropping capabilities, lowering limits, dumping cores.
 */
public final class ChildJvm {
    /** The result of a child run. */
    public record Result(int exitCode, String stdout, String stderr, String hsErr) {
        /** {@return stdout and stderr together, for assertion messages} */
        public String output() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    private ChildJvm() {
    }

    /** {@return the java binary this test JVM runs on} */
    public static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Runs {@code mainClass} with {@code args}. {@code wrapper} (may be empty) is prepended to the command line;
     * {@code jvmOptions} go before the class name.
     */
    public static Result run(List<String> wrapper, List<String> jvmOptions, Class<?> mainClass, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(javaBinary());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Xshare:auto");
        cmd.add("-XX:-CreateCoredumpOnCrash");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(jvmOptions);
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /**
     * Runs an arbitrary command in a fresh temporary directory, waits up to two minutes, and deletes the directory
     * afterwards. A JVM crash report written there as {@code hs_err.log} ({@code -XX:ErrorFile=hs_err.log}) is kept
     * in {@link Result#hsErr()} ({@code null} when there is none).
     */
    public static Result exec(List<String> cmd) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("hardmem-child");
        try {
            Path out = dir.resolve("stdout");
            Path err = dir.resolve("stderr");
            Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("child timed out: " + cmd);
            }
            Path hsErr = dir.resolve("hs_err.log");
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8),
                    Files.exists(hsErr) ? Files.readString(hsErr, StandardCharsets.ISO_8859_1) : null);
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** {@return the wrapper that drops CAP_IPC_LOCK and sets RLIMIT_MEMLOCK to {@code bytes}} */
    public static List<String> withoutIpcLock(long bytes) {
        return List.of("setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock",
                "prlimit", "--memlock=" + bytes + ":" + bytes, "--");
    }
}
