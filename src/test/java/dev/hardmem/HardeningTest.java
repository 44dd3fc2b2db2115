package dev.hardmem;

import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where a JVM crash would write its log, as {@link Hardening} reports it. */
class HardeningTest {

    /** Child: prints where the crash log would go and whether its directory is private. */
    public static final class CrashLogProbe {
        public static void main(String[] args) {
            System.out.println(Hardening.crashLog() + " " + Hardening.crashLogIsPrivate());
        }
    }

    @Test
    void withoutErrorFileTheCrashLogGoesToTheWorkingDirectory() throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(cwd);
        boolean closed = perms.stream().noneMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"));
        assertEquals(cwd.resolve("hs_err_pid" + ProcessHandle.current().pid() + ".log").toString(),
                Hardening.crashLog());
        assertEquals(closed, Hardening.crashLogIsPrivate());
    }

    @Test
    void errorFileIsReportedExpandedAndItsDirectoryJudged() throws Exception {
        Path dir = Files.createTempDirectory("hardmem-crash");
        try {
            Path open = Files.createDirectory(dir.resolve("open"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path closed = Files.createDirectory(dir.resolve("closed"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            assertEquals(open.resolve("hs_err_%.log") + " false",
                    probe("-XX:ErrorFile=" + open.resolve("hs_err_%%.log")));
            String line = probe("-XX:ErrorFile=" + closed.resolve("hs_err_pid%p.log"));
            assertEquals(true, line.matches(java.util.regex.Pattern.quote(closed + "/hs_err_pid") + "\\d+\\.log true"),
                    line);
            assertEquals("stdout false", probe("-XX:+ErrorFileToStdout"));
            assertEquals("stderr false", probe("-XX:+ErrorFileToStderr"));
            assertEquals(closed.resolve("missing").resolve("x.log") + " false",
                    probe("-XX:ErrorFile=" + closed.resolve("missing").resolve("x.log")));
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static String probe(String option) throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(option), CrashLogProbe.class);
        assertEquals(0, r.exitCode(), r.output());
        return r.stdout().strip();
    }
}
