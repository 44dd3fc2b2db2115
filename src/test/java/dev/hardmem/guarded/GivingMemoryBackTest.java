package dev.hardmem.guarded;

import dev.hardmem.SecretArena;
import dev.hardmem.internal.alloc.isolated.IsolatedTier;
import dev.hardmem.internal.alloc.region.Layout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Freed memory goes back to the kernel instead of staying mapped and locked at the high-water mark: otherwise
 * anyone who can make the process allocate secrets of many sizes (forged ciphertexts of many lengths) could use up
 * the memlock budget.
 */
class GivingMemoryBackTest {
    @Test
    void isolatedPoolsKeepAtMostTheirCapOfFreeMemory() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        long floor = a.stats().bytesLocked();
        // Large secrets of many sizes, as forged ciphertexts of many lengths would make open() allocate.
        for (int round = 0; round < 3; round++) {
            try (SecretArena arena = SecretArena.ofConfined(a)) {
                for (int i = 1; i <= 40; i++) {
                    arena.allocate(i * 37_000L);
                }
            }
        }
        long afterIsolated = a.stats().bytesLocked();
        assertTrue(afterIsolated - floor <= IsolatedTier.POOL_CAP + 64L * Layout.PAGE,
                "isolated pools still hold " + (afterIsolated - floor) + " locked bytes");
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }

    @Test
    void emptySlabsAreUnmappedButOne() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        // Many slabs of one class, then all freed: at most one empty slab stays.
        try (SecretArena arena = SecretArena.ofConfined(a)) {
            for (int i = 0; i < 5 * Layout.slabSlots(64); i++) {
                arena.allocate(64);
            }
            assertTrue(a.stats().slabs() >= 5);
        }
        assertTrue(a.stats().slabs() <= 2, "slabs left: " + a.stats().slabs());
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }
}
