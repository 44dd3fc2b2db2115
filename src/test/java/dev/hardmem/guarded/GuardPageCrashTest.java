package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.slab.SlabProbe;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

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
