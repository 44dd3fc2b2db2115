package dev.hardmem.crypto;

import dev.hardmem.Capabilities;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where libsodium is missing (a child JVM told to load it from a path that does not exist), every native type
 * refuses with {@link UnsupportedOperationException} naming the package to install, the algorithms say they are
 * unavailable without throwing, {@link Capabilities} says why, and the JCA path of {@code dev.hardmem.aead} still
 * seals and opens. The control: the same child with the real library runs everything.
 */
class MissingLibsodiumTest {
    /** Runs in the child: prints one line per check, {@code ok} or what went wrong. */
    public static void main(String[] args) throws Exception {
        boolean missing = args[0].equals("missing");
        for (AeadAlgorithm a : AeadAlgorithm.values()) {
            try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) { // a secret serves one algorithm
                System.out.println(a + ".isAvailable " + a.isAvailable());
                report(a + " sealing", () -> AeadSealingKey.of(a, k));
                report(a + " opening", () -> AeadOpeningKey.of(a, k));
                report(a + " max", a::maxPlaintextLength);
            }
        }
        Capabilities c = Capabilities.probe();
        System.out.println("capabilities " + c.libsodiumWorks() + " " + c.libsodium());
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
            Sealed s = SealingKey.of(Algorithm.CHACHA20_POLY1305, k).seal(MemorySegment.ofArray(new byte[] {7}),
                    MemorySegment.NULL);
            byte[] back = new byte[1];
            OpeningKey.of(Algorithm.CHACHA20_POLY1305, k).open(s.nonce(), MemorySegment.ofArray(s.ciphertext()),
                    MemorySegment.NULL, MemorySegment.ofArray(back));
            System.out.println("jca " + (back[0] == 7 ? "works" : "BROKEN"));
        }
        System.out.println(missing ? "child: missing" : "child: present");
    }

    private interface Call {
        Object run();
    }

    private static void report(String what, Call call) {
        try {
            call.run();
            System.out.println(what + " made");
        } catch (UnsupportedOperationException e) {
            System.out.println(what + " refused: " + e.getMessage());
        }
    }

    @Test
    void withoutLibsodiumTheNativeTypesRefuseNamingThePackageAndJcaStillWorks() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Ddev.hardmem.libsodium=/nonexistent/libsodium.so"),
                MissingLibsodiumTest.class, "missing");
        assertEquals(0, r.exitCode(), r.output());
        String out = r.stdout();
        for (AeadAlgorithm a : AeadAlgorithm.values()) {
            assertTrue(out.contains(a + ".isAvailable false"), r.output());
            for (String what : List.of(" sealing", " opening", " max")) {
                assertTrue(out.contains(a + what + " refused: hardmem's native crypto (dev.hardmem.crypto) and"
                        + " sealed secrets (dev.hardmem.sealed) need libsodium, which is missing:"
                        + " -Ddev.hardmem.libsodium=/nonexistent/libsodium.so names no loadable library. Install it"
                        + " (Debian and Ubuntu: apt-get install libsodium23"), a + what + "\n"
                        + r.output());
            }
        }
        assertTrue(out.contains("capabilities false -Ddev.hardmem.libsodium=/nonexistent/libsodium.so names no"
                + " loadable library"), r.output());
        assertTrue(out.contains("jca works"), r.output());
        assertTrue(r.stderr().isEmpty(), r.output());
    }

    @Test
    void theControlWithLibsodiumMakesEveryKey() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(), MissingLibsodiumTest.class, "present");
        assertEquals(0, r.exitCode(), r.output());
        for (AeadAlgorithm a : AeadAlgorithm.values()) {
            if (a.isAvailable()) {
                assertTrue(r.stdout().contains(a + " sealing made") && r.stdout().contains(a + " opening made"),
                        r.output());
            }
        }
        assertTrue(r.stdout().contains("capabilities true 1."), r.output());
        assertTrue(r.stdout().contains("jca works"), r.output());
    }
}
