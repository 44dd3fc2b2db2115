package dev.hardmem;

import dev.hardmem.testing.FreeLog;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The confined unguarded arena takes its memory from a confined arena of its own and wipes it before closing that
 * arena; a leaked one is still wiped by the cleaner (the JDK never frees a confined arena that was not closed).
 */
class UnguardedArenaTest {
    private static long leakOne() {
        SecretArena arena = SecretArena.ofConfinedUnguarded();
        MemorySegment s = arena.allocate(48);
        s.fill((byte) 0x6B);
        return s.address();
    }

    @Test
    void aLeakedConfinedUnguardedArenaIsWipedByTheCleaner() throws Exception {
        try (FreeLog log = FreeLog.start()) {
            long address = leakOne();
            Optional<FreeLog.Freed> freed = log.awaitFreed(address, 10_000);
            assertTrue(freed.isPresent(), "the cleaner never wiped the leaked arena");
            assertTrue(freed.get().zero(), "wiped before it was let go");
        }
    }

    @Test
    void closingWipesBeforeTheMemoryIsFreed() {
        try (FreeLog log = FreeLog.start()) {
            long address;
            try (SecretArena arena = SecretArena.ofConfinedUnguarded()) {
                MemorySegment s = arena.allocate(4000);
                s.fill((byte) 1);
                address = s.address();
            }
            assertTrue(log.at(address).orElseThrow().zero());
        }
    }
}
