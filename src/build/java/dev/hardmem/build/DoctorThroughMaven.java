package dev.hardmem.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code ./mvnw -q -Pdoctor package} runs, inside Maven's own JVM (which may be older than 22): it starts
 * {@code java -jar hardmem.jar doctor ...} on the JDK the toolchain chose, with this process's stdin, stdout and
 * stderr, and ends Maven with doctor's exit status. A plugin that runs a process cannot do that: it turns every
 * status but 0 into a build failure, which exits 1 and prints its error on stdout.
 *
 * <p>Arguments: a file holding the home of that JDK (empty when Maven runs on one that is new enough, and no
 * toolchain was chosen), the jar, then doctor's own arguments.
 */
public final class DoctorThroughMaven {
    private DoctorThroughMaven() {
    }

    /**
     * Runs doctor; returns only when it exits 0.
     *
     * @param args the JDK file, the jar, doctor's arguments
     * @throws IOException          if the JDK file cannot be read or the JVM cannot start
     * @throws InterruptedException if interrupted while doctor runs
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        String home = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8).trim();
        List<String> command = new ArrayList<>();
        command.add(Paths.get(home.isEmpty() ? System.getProperty("java.home") : home, "bin", "java").toString());
        command.add("-jar");
        command.add(args[1]);
        command.add("doctor");
        command.addAll(Arrays.asList(args).subList(2, args.length));
        int status = new ProcessBuilder(command).inheritIO().start().waitFor();
        if (status != 0) {
            System.exit(status);
        }
    }
}
