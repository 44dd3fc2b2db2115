package dev.hardmem.sealed;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where libsodium is missing (a child JVM told to load it from a path that does not exist), every way to make a
 * sealed secret, {@code rekey} and {@code rekeyEvery} refuse with {@link UnsupportedOperationException} naming the
 * package to install, {@code isAvailable()} says so first, a source given to {@code from} is left as it was, and a
 * plain {@link Secret} still works. The control: the same child with the real library makes them all.
 */
class MissingLibsodiumSealedTest {
    private static final String LIBRARY = "-Ddev.hardmem.libsodium=/nonexistent/libsodium.so";

    private interface Call {
        Object run();
    }

    /** Runs in the child: prints one line per check. */
    public static void main(String[] args) {
        System.out.println("isAvailable " + SealedSecret.isAvailable());
        for (SealingMode mode : SealingMode.values()) {
            report("random " + mode, () -> SealedSecret.random(SecretKind.Key.class, 32, mode));
            report("withContents " + mode, () -> SealedSecret.withContents(SecretKind.Key.class, 32, mode,
                    m -> m.fill((byte) 1)));
            Secret<SecretKind.Key> source = Secret.random(SecretKind.Key.class, 32);
            byte[] before = source.insecureCopyToHeap();
            report("from " + mode, () -> SealedSecret.from(source, mode));
            if (!source.isDestroyed()) {
                System.out.println("from " + mode + " source " + (java.util.Arrays.equals(before,
                        source.insecureCopyToHeap()) ? "intact" : "CHANGED"));
                source.close();
            }
        }
        report("random", () -> SealedSecret.random(SecretKind.Key.class, 32));
        report("withContents", () -> SealedSecret.withContents(SecretKind.Key.class, 32, m -> { }));
        report("from", () -> SealedSecret.from(Secret.random(SecretKind.Key.class, 32)));
        report("rekey", SealedSecret::rekey);
        report("rekeyEvery", () -> SealedSecret.rekeyEvery(Duration.ofHours(1)));
        try (Secret<SecretKind.Key> plain = Secret.withContents(SecretKind.Key.class, 8, m -> m.fill((byte) 9))) {
            System.out.println("secret " + (plain.read(m -> m.get(ValueLayout.JAVA_BYTE, 7)) == 9 ? "works"
                    : "BROKEN"));
        }
    }

    private static void report(String what, Call call) {
        try {
            Object made = call.run();
            System.out.println(what + " made");
            if (made instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        } catch (UnsupportedOperationException e) {
            System.out.println(what + " refused: " + e.getMessage());
        }
    }

    private static final List<String> CALLS = List.of("random COFFER", "withContents COFFER", "from COFFER",
            "random SHIELDED", "withContents SHIELDED", "from SHIELDED", "random", "withContents", "from", "rekey",
            "rekeyEvery");

    @Test
    void withoutLibsodiumEverySealedCallRefusesNamingThePackageAndSecretStillWorks() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(LIBRARY), MissingLibsodiumSealedTest.class);
        assertEquals(0, r.exitCode(), r.output());
        List<String> lines = r.stdout().lines().toList();
        assertTrue(lines.contains("isAvailable false"), r.output());
        for (String call : CALLS) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(call + " refused: ")
                    && l.contains("/nonexistent/libsodium.so names no loadable library")
                    && l.contains("apt-get install libsodium23")), call + "\n" + r.output());
        }
        for (SealingMode mode : SealingMode.values()) {
            assertTrue(lines.contains("from " + mode + " source intact"), r.output());
        }
        assertTrue(lines.contains("secret works"), r.output());
        assertTrue(r.stderr().isEmpty(), r.output());
    }

    @Test
    void theControlWithLibsodiumMakesThemAll() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(), MissingLibsodiumSealedTest.class);
        assertEquals(0, r.exitCode(), r.output());
        List<String> lines = r.stdout().lines().toList();
        assertTrue(lines.contains("isAvailable true"), r.output());
        for (String call : CALLS) {
            assertTrue(lines.contains(call + " made"), call + "\n" + r.output());
        }
        assertTrue(lines.contains("secret works"), r.output());
    }
}
