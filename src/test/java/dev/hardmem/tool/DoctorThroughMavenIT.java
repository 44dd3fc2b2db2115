package dev.hardmem.tool;

import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.MiniJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@code doctor} the way the README tells a user to, through Maven ({@code ./mvnw -q -Pdoctor package}), and
 * holds it to what the jar does: the same exit status and the same stdout. Maven runs offline on a copy of the
 * project (its sources, pom and wrapper), so it never rewrites the jar this build is testing.
 */
class DoctorThroughMavenIT {
    private static Path project;

    @BeforeAll
    static void copyTheProject() throws IOException {
        Path here = Path.of("").toAbsolutePath();
        project = Files.createTempDirectory("hardmem-doctor-maven");
        for (String top : List.of("pom.xml", "mvnw", ".mvn", "src/main", "src/launcher", "src/build")) {
            Path from = here.resolve(top);
            if (!Files.exists(from)) {
                continue;
            }
            try (Stream<Path> all = Files.walk(from)) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    Path to = project.resolve(here.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else {
                        Files.createDirectories(to.getParent());
                        Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
    }

    @AfterAll
    static void deleteTheCopy() throws IOException {
        try (Stream<Path> all = Files.walk(project)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** {@code ./mvnw -B -o -q -Pdoctor package -Ddoctor.args=ARGS}, behind {@code wrapper}, in the copy. */
    private static ChildJvm.Result maven(List<String> wrapper, String args) throws Exception {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of("./mvnw", "-B", "-o", "-q", "-Pdoctor", "package", "-Ddoctor.args=" + args));
        Path out = Files.createTempFile(project, "stdout", ".txt");
        Path err = Files.createTempFile(project, "stderr", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(project.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        // Failsafe points JAVA_HOME at the toolchain's JDK for this JVM; a user's shell need not, and Maven then
        // runs on the java of the PATH, as the README describes.
        pb.environment().remove("JAVA_HOME");
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("maven timed out: " + cmd);
        }
        return new ChildJvm.Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), null);
    }

    private static ChildJvm.Result jar(List<String> wrapper, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(ChildJvm.javaBinary(), "-jar", System.getProperty("hardmem.jar")));
        cmd.addAll(List.of(args));
        return ChildJvm.exec(cmd);
    }

    @Test
    void aBadOptionExitsTwoWithTheUsageAndNothingOnStdout() throws Exception {
        ChildJvm.Result viaMaven = maven(List.of(), "--bogus");
        ChildJvm.Result viaJar = jar(List.of(), "doctor", "--bogus");
        assertEquals(2, viaJar.exitCode(), viaJar.output());
        assertEquals(viaJar.exitCode(), viaMaven.exitCode(), viaMaven.output());
        assertEquals(viaJar.stdout(), viaMaven.stdout(), viaMaven.output());
        assertTrue(viaMaven.stderr().contains("unknown option '--bogus'"), viaMaven.output());
        assertFalse(viaMaven.output().contains("ExecuteException"), viaMaven.output());
    }

    @Test
    void helpIsTheJarsHelp() throws Exception {
        ChildJvm.Result viaMaven = maven(List.of(), "--help");
        ChildJvm.Result viaJar = jar(List.of(), "doctor", "--help");
        assertEquals(0, viaMaven.exitCode(), viaMaven.output());
        assertEquals(viaJar.stdout(), viaMaven.stdout(), viaMaven.output());
    }

    @Test
    void aMachineThatCannotLockMemoryExitsOneWithOnlyJsonOnStdout() throws Exception {
        ChildJvm.Result r = maven(ChildJvm.withoutIpcLock(4096), "--json");
        assertEquals(1, r.exitCode(), r.output());
        Map<?, ?> doc = assertInstanceOf(Map.class, MiniJson.parse(r.stdout()), r.output());
        assertEquals(Boolean.FALSE, doc.get("ok"));
        assertFalse(r.output().contains("[ERROR]"), r.output());
    }
}
