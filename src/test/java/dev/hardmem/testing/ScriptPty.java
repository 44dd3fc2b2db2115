package dev.hardmem.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM with a pseudo-terminal as its controlling terminal, made by {@code script(1)}: what this test writes
 * goes to the pty's master, as if typed, and everything the pty shows (the child's output and the terminal's echo)
 * is collected. The child runs under {@code sh}, which catches SIGINT (so that after a Ctrl-C has ended the JVM it
 * still prints the JVM's exit status and runs {@code stty -a} on the same terminal); a caught signal is reset to its
 * default in the JVM, which gets SIGINT as from any terminal.
 */
public final class ScriptPty implements AutoCloseable {
    private final Process process;
    private final ByteArrayOutputStream shown = new ByteArrayOutputStream();
    private final Thread pump;

    /** Starts {@code mainClass} with {@code args}, with {@code environment} added to the child's. */
    public ScriptPty(Map<String, String> environment, List<String> jvmOptions, Class<?> mainClass, String... args)
            throws IOException {
        List<String> java = new ArrayList<>(List.of(ChildJvm.javaBinary(), "--enable-native-access=ALL-UNNAMED",
                "-Xshare:auto", "-XX:-CreateCoredumpOnCrash", "-cp", System.getProperty("java.class.path")));
        java.addAll(jvmOptions);
        java.add(mainClass.getName());
        java.addAll(Arrays.asList(args));
        String cmd = "trap true INT; " + String.join(" ", java.stream().map(ScriptPty::quote).toList())
                + "; echo EXIT=$?; stty -a";
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", "sh -c " + quote(cmd), "/dev/null")
                .redirectErrorStream(true);
        pb.environment().putAll(environment);
        process = pb.start();
        pump = Thread.ofPlatform().daemon().start(() -> {
            try (InputStream in = process.getInputStream()) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (shown) {
                        shown.write(buf, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // the process has gone
            }
        });
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** {@return everything the terminal has shown so far} */
    public String shown() {
        synchronized (shown) {
            return shown.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits (up to two minutes) until the terminal has shown {@code text}. */
    public void waitFor(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!shown().contains(text)) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                pump.join(5000); // the last output may still be in the pump
                if (shown().contains(text)) {
                    return;
                }
                throw new AssertionError("'" + text + "' never showed; the terminal showed:\n" + shown());
            }
            Thread.sleep(20);
        }
    }

    /** Types {@code text} at the terminal. */
    public void type(String text) throws IOException {
        OutputStream out = process.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** {@return everything the terminal showed, once the child, {@code echo} and {@code stty} have ended} */
    public String finish() throws InterruptedException {
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            throw new AssertionError("script did not end; the terminal showed:\n" + shown());
        }
        pump.join(5000);
        return shown();
    }

    /** {@return whether {@code stty -a}, the last thing the terminal showed, says echo is on} */
    public static boolean echoOnAtTheEnd(String shown) {
        int exit = shown.lastIndexOf("EXIT=");
        if (exit < 0) {
            throw new AssertionError("no exit status and stty output:\n" + shown);
        }
        List<String> words = Arrays.asList(shown.substring(exit).split("[\\s;]+"));
        if (!words.contains("echo") && !words.contains("-echo")) {
            throw new AssertionError("no stty output:\n" + shown);
        }
        return words.contains("echo");
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
