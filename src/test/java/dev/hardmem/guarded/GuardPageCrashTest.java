package dev.hardmem.guarded;

import dev.hardmem.Hardening;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.slab.SlabProbe;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Touching a guard page kills the JVM with SIGSEGV (HotSpot does not turn a fault in native code into an
 * exception), so every write here happens in a child JVM, through native {@code memset}, never in Surefire's.
 */
class GuardPageCrashTest {

    /** Child: allocates an isolated secret and writes one byte with memset at an offset from it. */
    public static final class Writer {
        public static void main(String[] args) {
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
            long size = Long.parseLong(args[1]);
            Allocation x = a.allocate(size, 1, Tier.valueOf(args[2]));
            long address = switch (args[0]) {
                case "past-end" -> x.segment().address() + size;
                case "last-byte" -> x.segment().address() + size - 1;
                case "first-byte" -> x.segment().address();
                case "before-run" -> x.segment().address() + size - Layout.isolatedPages(size, 1) * Memory.pageSize()
                        - 1;
                case "before-slab" -> SlabProbe.slabData(x.block).address() - 1;
                case "after-slab" -> {
                    var data = SlabProbe.slabData(x.block);
                    yield data.address() + data.byteSize();
                }
                default -> throw new IllegalArgumentException(args[0]);
            };
            System.out.println("writing");
            System.out.flush();
            Libc.memset(Memory.at(address, 1), 0x41, 1);
            System.out.println("survived");
            // a write inside the secret is no corruption; one byte past a slab secret is (the canary)
            x.segment().fill((byte) 0);
            x.close();
            System.out.println("freed");
        }
    }

    /**
     * Child: fills a 32-byte isolated secret with the pattern given in hex, optionally applies {@link Hardening},
     * then copies the secret and the page after it (the guard) with {@link MemorySegment#copy}: the copy faults
     * with the secret's bytes in the registers it copies through.
     */
    public static final class Copier {
        public static void main(String[] args) {
            byte[] pattern = HexFormat.of().parseHex(args[0]);
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
            Allocation x = a.allocate(pattern.length, 1, Tier.ISOLATED);
            MemorySegment.copy(pattern, 0, x.segment(), ValueLayout.JAVA_BYTE, 0, pattern.length);
            Arrays.fill(pattern, (byte) 0);
            if (args[1].equals("harden")) {
                Hardening.apply();
            }
            long length = x.segment().byteSize() + Memory.pageSize();
            MemorySegment target = Arena.global().allocate(length);
            System.out.println("writing");
            System.out.flush();
            MemorySegment.copy(Memory.at(x.segment().address(), length), 0, target, 0, length);
            System.out.println("survived");
        }
    }

    /** {@return how many of the 8-byte words of {@code secret} appear in {@code log}, in any way hs_err prints one} */
    private static int wordsFound(byte[] secret, String log) {
        String text = log.toLowerCase(Locale.ROOT);
        HexFormat spaced = HexFormat.ofDelimiter(" ");
        int found = 0;
        for (int i = 0; i + 8 <= secret.length; i += 8) {
            byte[] word = Arrays.copyOfRange(secret, i, i + 8);
            byte[] reversed = new byte[8];
            for (int j = 0; j < 8; j++) {
                reversed[j] = word[7 - j];
            }
            // registers and stack words print as little-endian 64-bit numbers; memory dumps as bytes in order
            if (text.contains(HexFormat.of().formatHex(reversed)) || text.contains(spaced.formatHex(word))) {
                found++;
            }
        }
        return found;
    }

    /**
     * The JVM's crash log is written outside hardmem's protections: a fault while secret bytes pass through the
     * registers puts them in its register dump ("Registers", the XMM registers, "Register to memory mapping").
     * {@link Hardening#apply()} does not stop it (it governs core files, not the hs_err file). This test records
     * that, and fails if a JVM ever stops doing it, so that the threat model is updated.
     */
    @Test
    void theCrashLogOfAFaultingCopyHoldsSecretBytesEvenAfterHardening() throws Exception {
        for (String mode : List.of("plain", "harden")) {
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-XX:ErrorFile=hs_err.log", "-Xmx256m"),
                    Copier.class, HexFormat.of().formatHex(secret), mode);
            assertDiedOnTheGuard(r);
            int words = wordsFound(secret, r.hsErr());
            assertTrue(words > 0, mode + ": no word of the secret in the crash log; if the JVM no longer dumps"
                    + " them, update docs/threat-model.md");
            System.out.println(mode + ": " + words + " of " + secret.length / 8 + " 8-byte words of the secret are"
                    + " in the crash log");
            byte[] other = new byte[32];
            new SecureRandom().nextBytes(other);
            assertEquals(0, wordsFound(other, r.hsErr()), "control: bytes the child never had are not found");
        }
    }

    private static ChildJvm.Result write(String where, long size, Tier tier) throws Exception {
        return ChildJvm.run(List.of(), List.of("-XX:ErrorFile=hs_err.log", "-Xmx256m"), Writer.class,
                where, Long.toString(size), tier.name());
    }

    private static void assertDiedOnTheGuard(ChildJvm.Result r) throws Exception {
        assertNotEquals(0, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("writing"), r.output());
        assertTrue(!r.stdout().contains("survived"), r.output());
        assertNotNull(r.hsErr(), "no hs_err file: " + r.output());
        assertTrue(r.hsErr().contains("SIGSEGV"), "hs_err does not name SIGSEGV");
    }

    @Test
    void oneBytePastTheEndOfAnIsolatedSecretKillsTheJvm() throws Exception {
        assertDiedOnTheGuard(write("past-end", 32, Tier.ISOLATED));
        assertDiedOnTheGuard(write("past-end", 4096, Tier.ISOLATED));
    }

    @Test
    void oneByteBeforeTheDataPagesOfAnIsolatedSecretKillsTheJvm() throws Exception {
        assertDiedOnTheGuard(write("before-run", 32, Tier.ISOLATED));
    }

    @Test
    void oneByteShortOfTheGuardSurvives() throws Exception {
        ChildJvm.Result last = write("last-byte", 32, Tier.ISOLATED);
        assertEquals(0, last.exitCode(), last.output());
        assertTrue(last.stdout().contains("survived") && last.stdout().contains("freed"), last.output());
        ChildJvm.Result first = write("first-byte", 4096, Tier.ISOLATED);
        assertEquals(0, first.exitCode(), first.output());
    }

    @Test
    void theGuardPagesAroundASlabKillTheJvm() throws Exception {
        assertDiedOnTheGuard(write("before-slab", 32, Tier.SLAB));
        assertDiedOnTheGuard(write("after-slab", 32, Tier.SLAB));
    }
}
