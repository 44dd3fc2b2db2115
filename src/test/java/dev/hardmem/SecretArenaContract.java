package dev.hardmem;

import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.FreeListeners;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every kind of {@link SecretArena} must do. Subclasses name the kind. */
abstract class SecretArenaContract {
    abstract SecretArena open();

    abstract boolean shared();

    @AfterEach
    void stopWatching() {
        FreeListeners.observe(FreeListener.NONE);
    }

    private static void fillWith(MemorySegment s, byte v) {
        s.fill(v);
    }

    @Test
    void isAnArenaAndASegmentAllocator() {
        try (SecretArena arena = open()) {
            Arena asArena = arena;
            SegmentAllocator asAllocator = arena;
            MemorySegment text = asAllocator.allocateFrom("not really secret");
            assertEquals("not really secret", text.getString(0));
            MemorySegment ints = asArena.allocate(ValueLayout.JAVA_INT, 10);
            assertEquals(40, ints.byteSize());
            assertSame(arena.scope(), text.scope());
            assertTrue(arena.scope().isAlive());
        }
    }

    @Test
    void segmentsAreZeroedAlignedAndFixedSize() {
        try (SecretArena arena = open()) {
            for (long align : new long[] {1, 2, 8, 16, 64, 4096}) {
                for (long size : new long[] {0, 1, 31, 32, 33, 4095, 4097, 100_000}) {
                    MemorySegment s = arena.allocate(size, align);
                    assertEquals(size, s.byteSize());
                    assertEquals(0, s.address() % align, "size " + size + " align " + align);
                    assertTrue(FreeWatch.isZero(s));
                    assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, size));
                    fillWith(s, (byte) 0x5A);
                }
            }
        }
    }

    @Test
    void segmentsAreOffTheHeap() {
        try (SecretArena arena = open()) {
            for (long size : new long[] {0, 1, 32, 5000}) {
                MemorySegment s = arena.allocate(size);
                assertTrue(s.isNative(), "size " + size);
                assertTrue(s.heapBase().isEmpty(), "size " + size);
            }
        }
    }

    @Test
    void closeWipesEverySegmentBeforeItIsFreed() {
        try (FreeWatch watch = FreeWatch.start()) {
            long total = 0;
            try (SecretArena arena = open()) {
                for (int i = 1; i <= 50; i++) {
                    fillWith(arena.allocate(i * 37L), (byte) 0xA5);
                    total += i * 37L;
                }
            }
            assertEquals(50, watch.blocks());
            assertEquals(total, watch.bytes());
            assertEquals(0, watch.dirtyBlocks());
        }
    }

    @Test
    void closeWhileAnExceptionUnwindsStillWipes() {
        try (FreeWatch watch = FreeWatch.start()) {
            assertThrows(ArithmeticException.class, () -> {
                try (SecretArena arena = open()) {
                    fillWith(arena.allocate(64), (byte) 1);
                    fillWith(arena.allocate(64), (byte) 2);
                    throw new ArithmeticException("boom");
                }
            });
            assertEquals(2, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
        }
    }

    @Test
    void oneFailedFreeDoesNotStopTheOthersAndTheFirstFailureIsThrown() {
        AtomicInteger seen = new AtomicInteger();
        AtomicInteger dirty = new AtomicInteger();
        FreeListeners.observe(raw -> {
            if (!FreeWatch.isZero(raw)) {
                dirty.incrementAndGet();
            }
            int n = seen.incrementAndGet();
            if (n == 2 || n == 4) {
                throw new IllegalStateException("injected free failure " + n);
            }
        });
        SecretArena arena = open();
        for (int i = 0; i < 6; i++) {
            fillWith(arena.allocate(100), (byte) 7);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, arena::close);
        assertEquals("injected free failure 2", e.getMessage());
        assertEquals(6, seen.get(), "every block was still offered for freeing");
        assertEquals(0, dirty.get(), "every block was wiped before any free");
        assertFalse(arena.scope().isAlive());
    }

    @Test
    void useAfterCloseIsIllegalState() {
        SecretArena arena = open();
        MemorySegment s = arena.allocate(16);
        arena.close();
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        assertThrows(IllegalStateException.class, () -> arena.allocate(16));
        assertThrows(IllegalStateException.class, arena::close, "closing twice");
        assertFalse(arena.scope().isAlive());
    }

    @Test
    void badSizesAndAlignments() {
        try (SecretArena arena = open()) {
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(-1));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(Long.MIN_VALUE));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 3));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 0));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, -8));
            assertThrows(NullPointerException.class, () -> arena.allocate((ValueLayout) null));
            assertThrows(NullPointerException.class, () -> arena.allocateFrom((String) null));
        }
    }

    @Test
    void otherThreads() throws Exception {
        SecretArena arena = open();
        MemorySegment s = arena.allocate(8);
        AtomicReference<Throwable> access = new AtomicReference<>();
        AtomicReference<Throwable> alloc = new AtomicReference<>();
        AtomicReference<Throwable> close = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            access.set(attempt(() -> s.set(ValueLayout.JAVA_LONG, 0, 42L)));
            alloc.set(attempt(() -> arena.allocate(8)));
            close.set(attempt(arena::close));
        });
        t.join();
        if (shared()) {
            assertEquals(null, access.get());
            assertEquals(null, alloc.get());
            assertEquals(null, close.get());
            assertFalse(arena.scope().isAlive());
        } else {
            assertTrue(access.get() instanceof WrongThreadException, String.valueOf(access.get()));
            assertTrue(alloc.get() instanceof WrongThreadException, String.valueOf(alloc.get()));
            assertTrue(close.get() instanceof WrongThreadException, String.valueOf(close.get()));
            assertTrue(arena.scope().isAlive(), "a failed close changes nothing");
            arena.close();
        }
    }

    private static Throwable attempt(Runnable r) {
        try {
            r.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    @Test
    void toStringNamesNoContentsOrAddresses() {
        try (SecretArena arena = open()) {
            MemorySegment s = arena.allocate(32);
            String text = arena.toString();
            assertTrue(text.startsWith("SecretArena[" + (shared() ? "shared" : "confined")), text);
            assertFalse(text.contains(Long.toHexString(s.address())), text);
        }
    }

    @Test
    void manySegmentsAllWiped() {
        List<Long> sizes = new ArrayList<>();
        try (FreeWatch watch = FreeWatch.start()) {
            try (SecretArena arena = open()) {
                for (int i = 0; i < 2000; i++) {
                    long size = (i * 7919L) % 3000;
                    sizes.add(size);
                    fillWith(arena.allocate(size), (byte) -1);
                }
            }
            assertEquals(sizes.size(), watch.blocks());
            assertEquals(sizes.stream().mapToLong(Long::longValue).sum(), watch.bytes());
            assertEquals(0, watch.dirtyBlocks());
        }
    }
}
