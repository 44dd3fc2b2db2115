package dev.hardmem.guarded;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.SecretArena;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.FreeLog;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Alignments above the page size, as the JDK's {@code TestMemoryAlignment} asks of any {@code Arena}: served by the
 * isolated tier, aligned as asked up to {@link GuardedAllocator#MAX_ALIGNMENT}, with the same guard pages, canary
 * and wipe as any isolated secret; above the limit a clear {@link IllegalArgumentException}.
 */
class OverAlignedTest {
    private static final long PAGE = Memory.pageSize();
    private static final int MAX_SHIFT = Long.numberOfTrailingZeros(GuardedAllocator.MAX_ALIGNMENT);

    /** Every kind of guarded arena, by name; each call opens a new one. */
    private static Map<String, Supplier<SecretArena>> guardedKinds() {
        GuardedAllocator isolatedOnly = GuardedAllocator.create(GuardPolicy.defaults().withIsolatedOnly(true));
        GuardedAllocator protectedSecrets = GuardedAllocator.create(GuardPolicy.defaults()
                .withAccessProtection(true));
        return Map.of("ofConfined()", SecretArena::ofConfined,
                "ofShared()", SecretArena::ofShared,
                "ofConfined(isolated only)", () -> SecretArena.ofConfined(isolatedOnly),
                "ofShared(access protection)", () -> SecretArena.ofShared(protectedSecrets));
    }

    @Test
    void theLimitIsAtLeastOneMebibyte() {
        assertTrue(GuardedAllocator.MAX_ALIGNMENT >= 1 << 20);
        assertEquals(1, Long.bitCount(GuardedAllocator.MAX_ALIGNMENT));
    }

    @Test
    void everyGuardedArenaAlignsAsAskedUpToTheLimitAndWipes() {
        for (Map.Entry<String, Supplier<SecretArena>> kind : guardedKinds().entrySet()) {
            try (FreeLog log = FreeLog.start()) {
                List<Long> addresses = new ArrayList<>();
                try (SecretArena arena = kind.getValue().get()) {
                    for (int shift = 0; shift <= MAX_SHIFT; shift++) {
                        long alignment = 1L << shift;
                        String what = kind.getKey() + ", alignment 2^" + shift;
                        MemorySegment a = arena.allocate(ValueLayout.JAVA_LONG.withByteAlignment(alignment));
                        MemorySegment b = arena.allocate(100, alignment);
                        MemorySegment c = arena.allocate(alignment, alignment);
                        for (MemorySegment s : List.of(a, b, c)) {
                            assertEquals(0, s.address() % alignment, what);
                            fillAndCheck(s, (byte) (shift + 1), what);
                            addresses.add(s.address());
                        }
                    }
                }
                List<FreeLog.Freed> freed = log.at(addresses);
                assertEquals(addresses.size(), freed.size(), kind.getKey());
                assertTrue(freed.stream().allMatch(FreeLog.Freed::zero), "every segment wiped: " + kind.getKey());
            }
        }
    }

    private static void fillAndCheck(MemorySegment s, byte value, String what) {
        s.fill(value);
        for (long i = 0; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != value) {
                throw new AssertionError("byte " + i + " of " + what);
            }
        }
    }

    @Test
    void aboveTheLimitIsRefusedNamingTheLimit() {
        long tooMuch = GuardedAllocator.MAX_ALIGNMENT * 2;
        for (Map.Entry<String, Supplier<SecretArena>> kind : guardedKinds().entrySet()) {
            try (SecretArena arena = kind.getValue().get()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> arena.allocate(16, tooMuch), kind.getKey());
                assertTrue(e.getMessage().contains(Long.toString(GuardedAllocator.MAX_ALIGNMENT)), e.getMessage());
                assertTrue(e.getMessage().contains(Long.toString(tooMuch)), e.getMessage());
            }
        }
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.allocate(16, tooMuch, Tier.ISOLATED));
        assertTrue(e.getMessage().contains(Long.toString(GuardedAllocator.MAX_ALIGNMENT)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.allocate(16, 2 * PAGE, Tier.SLAB));
        a.close();
    }

    @Test
    void anOverAlignedSecretKeepsItsGuardPagesAndCanary() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        for (long alignment = 2 * PAGE; alignment <= GuardedAllocator.MAX_ALIGNMENT; alignment *= 4) {
            for (long size : new long[] {1, 100, alignment}) {
                try (Allocation x = a.allocate(size, alignment)) {
                    assertEquals(Tier.ISOLATED, x.tier());
                    long start = x.segment().address();
                    assertEquals(0, start % alignment);
                    long dataEnd = start + Layout.roundUpToPage(Math.max(size, 1));
                    assertEquals(0, GuardProbe.probe(dataEnd - 1), "last data byte readable");
                    assertEquals(Errno.EFAULT, GuardProbe.probe(dataEnd), "the trailing guard, size " + size);
                    // The canary's page lies just before the secret, and the leading guard page just before it.
                    assertEquals(0, GuardProbe.probe(start - Layout.CANARY));
                    assertEquals(0, GuardProbe.probe(start - PAGE));
                    assertEquals(Errno.EFAULT, GuardProbe.probe(start - PAGE - 1), "the leading guard");
                }
            }
        }
        // A size that is a multiple of the alignment ends exactly at the trailing guard page.
        try (Allocation x = a.allocate(4 * PAGE, 4 * PAGE)) {
            assertEquals(Errno.EFAULT, GuardProbe.probe(x.segment().address() + 4 * PAGE));
        }
        // An underrun into the canary is caught when the secret is freed.
        Allocation x = a.allocate(64, 16 * PAGE);
        Memory.at(x.segment().address() - 1, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        assertThrows(MemoryCorruptionError.class, x::close);
        assertEquals(1, a.stats().quarantinedSlots());
        a.close();
    }
}
