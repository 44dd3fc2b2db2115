package dev.hardmem.guarded;

import dev.hardmem.SecretArena;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code RLIMIT_MEMLOCK} is one limit for the whole process, so hardmem counts locked bytes for the whole process,
 * and memory one allocator's pools keep free goes back to the kernel when another allocator needs it. Run in a
 * child with {@code CAP_IPC_LOCK} dropped and the limit set low (see {@link MemlockLimitTest}).
 */
class ProcessWideBudgetTest {
    static final long LIMIT = 256 * 1024;
    static final long SIZE = 20_000;

    /** Child: fills the limit from one allocator, frees it all, then allocates from another, and back. */
    public static final class Sharing {
        /** {@return how many secrets of SIZE bytes {@code arena} took before the budget stopped it} */
        static int fill(SecretArena arena) {
            int n = 0;
            try {
                while (n < 1000) {
                    arena.allocate(SIZE).fill((byte) 1);
                    n++;
                }
            } catch (MemoryBudgetException e) {
                return n;
            }
            throw new AssertionError("no budget stopped 1000 secrets of " + SIZE + " bytes");
        }

        static String attempt(GuardedAllocator a, int n) {
            try (SecretArena arena = SecretArena.ofConfined(a)) {
                arena.allocate(32).fill((byte) 2);
                for (int i = 0; i < n; i++) {
                    arena.allocate(SIZE).fill((byte) 3);
                }
                return "ok";
            } catch (MemoryBudgetException e) {
                return "failed: " + e.getMessage();
            }
        }

        public static void main(String[] args) {
            GuardedAllocator other = GuardedAllocator.create(GuardPolicy.defaults());
            int n;
            try (SecretArena arena = SecretArena.ofConfined()) {
                n = fill(arena);
                System.out.println("filled " + n);
                System.out.println("while full: " + attempt(other, 0));
            }
            // Every secret of the default allocator is freed; its pools keep the memory for reuse.
            System.out.println("other after: " + attempt(other, n - 4));
            System.out.println("default after: " + attempt(GuardedAllocator.shared(), n - 4));
            System.out.println("other again: " + attempt(other, n - 4));
        }
    }

    @Test
    void freedMemoryOfOneAllocatorServesAnotherAndTheMessageCountsTheProcess() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.withoutIpcLock(LIMIT), List.of("-Xmx256m"), Sharing.class);
        assertEquals(0, r.exitCode(), r.output());
        List<String> lines = r.stdout().lines().toList();
        int n = Integer.parseInt(lines.get(0).substring("filled ".length()));
        assertTrue(n * SIZE > LIMIT / 2, "the limit is what stopped the fill: " + r.output());
        // The default allocator holds the limit in live secrets: the other one cannot lock, and says how much the
        // process has locked, not how much it has itself.
        String whileFull = lines.get(1);
        assertTrue(whileFull.startsWith("while full: failed: "), r.output());
        String has = whileFull.substring(whileFull.indexOf("hardmem has ") + 12);
        long locked = Long.parseLong(has.substring(0, has.indexOf(' ')));
        assertTrue(locked >= n * SIZE, "the message counts every allocator's locked bytes: " + r.output());
        assertEquals("other after: ok", lines.get(2), r.output());
        assertEquals("default after: ok", lines.get(3), r.output());
        assertEquals("other again: ok", lines.get(4), r.output());
    }
}
