package dev.hardmem.guarded;

import dev.hardmem.SecretArena;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Root holds CAP_IPC_LOCK, which hides RLIMIT_MEMLOCK; these tests run a child with the capability dropped
 * ({@code setpriv}) and the limit set low ({@code prlimit}).
 */
class MemlockLimitTest {
    static final long LIMIT = 256 * 1024;

    /** Child: allocates 32-byte secrets until the policy stops it (or 20,000), then checks all of them. */
    public static final class Filler {
        public static void main(String[] args) {
            GuardPolicy.Lock lock = GuardPolicy.Lock.valueOf(args[0]);
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults().withLock(lock));
            List<MemorySegment> held = new ArrayList<>();
            try (SecretArena arena = SecretArena.ofConfined(a)) {
                try {
                    while (held.size() < 20_000) {
                        MemorySegment s = arena.allocate(32);
                        s.set(ValueLayout.JAVA_LONG, 0, held.size() * 0x9E3779B97F4A7C15L);
                        held.add(s);
                    }
                    System.out.println("no failure");
                } catch (MemoryBudgetException e) {
                    System.out.println("failed after " + held.size() + ": " + e.getMessage());
                }
                int intact = 0;
                for (int i = 0; i < held.size(); i++) {
                    intact += held.get(i).get(ValueLayout.JAVA_LONG, 0) == i * 0x9E3779B97F4A7C15L ? 1 : 0;
                }
                System.out.println("intact " + intact + " of " + held.size());
                Stats s = a.stats();
                System.out.println("locked " + s.bytesLocked() + " unlocked " + s.bytesUnlocked());
            }
        }
    }

    private static ChildJvm.Result run(String lock) throws Exception {
        return ChildJvm.run(ChildJvm.withoutIpcLock(LIMIT), List.of("-Xmx256m"), Filler.class, lock);
    }

    @Test
    void requireFailsClearlyAtTheLimitAndLosesNothing() throws Exception {
        ChildJvm.Result r = run("REQUIRE");
        assertEquals(0, r.exitCode(), r.output());
        String out = r.stdout();
        assertTrue(out.contains("failed after "), out);
        assertTrue(out.contains("RLIMIT_MEMLOCK is " + LIMIT + " bytes"), out);
        assertTrue(out.contains("bytes locked"), out);
        assertTrue(out.contains("ulimit -l"), out);
        int n = Integer.parseInt(out.substring(out.indexOf("failed after ") + 13, out.indexOf(':')));
        assertTrue(n > 1000, "some secrets fit under 256 KiB: " + n);
        assertTrue(out.contains("intact " + n + " of " + n), out);
        assertTrue(out.contains("unlocked 0"), out);
    }

    @Test
    void bestEffortCarriesOnAndCountsTheUnlockedBytes() throws Exception {
        ChildJvm.Result r = run("BEST_EFFORT");
        assertEquals(0, r.exitCode(), r.output());
        String out = r.stdout();
        assertTrue(out.contains("no failure"), out);
        assertTrue(out.contains("intact 20000 of 20000"), out);
        long unlocked = Long.parseLong(out.substring(out.indexOf("unlocked ") + 9).strip());
        assertTrue(unlocked > 0, out);
        assertTrue(r.stderr().contains("could not be locked"), "a warning is logged: " + r.output());
        assertTrue(r.stderr().contains("ulimit -l"), "the warning says how to raise the limit: " + r.output());
        assertFalse(r.stderr().contains("use GuardPolicy.Lock.BEST_EFFORT"),
                "no advice to choose the policy already chosen: " + r.output());
    }
}
