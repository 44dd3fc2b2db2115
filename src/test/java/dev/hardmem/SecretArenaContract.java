package dev.hardmem;

import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.FreeListeners;
import dev.hardmem.internal.os.UserCalls;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    // ---------------------------------------------------------------- a close that fails, a cleanup that throws

    /** {@return {@code n} ints from {@code n} down to 1, in a segment of {@code arena}} */
    private static MemorySegment descendingInts(SecretArena arena, int n) {
        MemorySegment ints = arena.allocate(ValueLayout.JAVA_INT, n);
        for (int i = 0; i < n; i++) {
            ints.setAtIndex(ValueLayout.JAVA_INT, i, n - i);
        }
        return ints;
    }

    private static void assertSorted(MemorySegment ints) {
        for (int i = 0; i < ints.byteSize() / 4; i++) {
            assertEquals(i + 1, ints.getAtIndex(ValueLayout.JAVA_INT, i), "int " + i);
        }
    }

    private static boolean allBytesAre(MemorySegment s, byte v) {
        for (long i = 0; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != v) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aCloseRefusedWhileANativeCallHoldsASegmentChangesNothing() throws Throwable {
        // After the JDK's TestMemorySession: an upcall from qsort closes the arena whose segment qsort is sorting.
        try (FreeWatch watch = FreeWatch.start()) {
            SecretArena arena = open();
            MemorySegment ints = descendingInts(arena, 64);
            MemorySegment key = arena.allocate(32).fill((byte) 0x5A);
            AtomicReference<Throwable> refused = new AtomicReference<>();
            UserCalls.qsortInts(ints, () -> {
                refused.set(attempt(arena::close));
                assertTrue(arena.scope().isAlive(), "the arena is still open");
                assertEquals(0, watch.blocks(), "nothing was wiped or freed while qsort holds a segment");
                assertTrue(allBytesAre(key, (byte) 0x5A), "the other segments are untouched");
                fillWith(arena.allocate(16), (byte) 3);
            });
            assertTrue(refused.get() instanceof IllegalStateException, String.valueOf(refused.get()));
            assertSorted(ints);
            assertTrue(allBytesAre(key, (byte) 0x5A));
            key.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);

            arena.close(); // the call has returned: this close succeeds and wipes
            assertFalse(arena.scope().isAlive());
            assertThrows(IllegalStateException.class, () -> key.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(3, watch.blocks(), "every segment freed once the close succeeded");
            assertEquals(64 * 4 + 32 + 16, watch.bytes());
            assertEquals(0, watch.dirtyBlocks());
            assertThrows(IllegalStateException.class, arena::close, "closing twice");
            assertEquals(3, watch.blocks(), "and only once");
        }
    }

    @Test
    void aCloseFromAnotherThreadRefusedWhileANativeCallHoldsASegmentChangesNothing() throws Throwable {
        assumeTrue(shared(), "only a shared arena can be closed from another thread");
        try (FreeWatch watch = FreeWatch.start()) {
            SecretArena arena = open();
            MemorySegment ints = descendingInts(arena, 64);
            CountDownLatch inTheCall = new CountDownLatch(1);
            CountDownLatch closeTried = new CountDownLatch(1);
            AtomicReference<Throwable> sorter = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    UserCalls.qsortInts(ints, () -> {
                        inTheCall.countDown();
                        try {
                            closeTried.await();
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    });
                } catch (Throwable e) {
                    sorter.set(e);
                }
            });
            inTheCall.await();
            assertThrows(IllegalStateException.class, arena::close);
            assertTrue(arena.scope().isAlive());
            assertEquals(0, watch.blocks(), "nothing was wiped or freed while qsort holds a segment");
            closeTried.countDown();
            t.join();
            assertEquals(null, sorter.get());
            assertSorted(ints);

            arena.close();
            assertFalse(arena.scope().isAlive());
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
        }
    }

    @Test
    void aCleanupThatThrowsIsThrownAfterEverySegmentIsWipedAndFreed() {
        IllegalStateException thrown = new IllegalStateException("a user cleanup failed");
        assertSame(thrown, closeWithAFailingCleanup(() -> {
            throw thrown;
        }));
    }

    @Test
    void aCleanupThatThrowsAnErrorIsThrownAfterEverySegmentIsWipedAndFreed() {
        // The JDK stops running cleanups at an Error; the arena's own wipe and free must not stop.
        AssertionError thrown = new AssertionError("a user cleanup failed");
        assertSame(thrown, closeWithAFailingCleanup(() -> {
            throw thrown;
        }));
    }

    /** {@return what close() threw} after checking that it wiped and freed every segment, once. */
    private Throwable closeWithAFailingCleanup(Runnable cleanup) {
        // After the JDK's TestSegments.testThrowInCleanup.
        try (FreeWatch watch = FreeWatch.start()) {
            SecretArena arena = open();
            UserCalls.addCleanup(arena, cleanup);
            for (int i = 0; i < 3; i++) {
                fillWith(arena.allocate(100), (byte) 0x77);
            }
            Throwable e = assertThrows(Throwable.class, arena::close);
            assertFalse(arena.scope().isAlive());
            assertEquals(3, watch.blocks(), "every segment was freed");
            assertEquals(0, watch.dirtyBlocks(), "and wiped first");
            IllegalStateException twice = assertThrows(IllegalStateException.class, arena::close);
            assertEquals("Already closed", twice.getMessage());
            assertThrows(IllegalStateException.class, () -> arena.allocate(8));
            assertEquals(3, watch.blocks(), "freed only once");
            return e;
        }
    }

    @Test
    void aCleanupThatThrowsComesFirstAndAFailedFreeIsSuppressed() {
        AtomicInteger dirty = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger();
        FreeListeners.observe(raw -> {
            if (!FreeWatch.isZero(raw)) {
                dirty.incrementAndGet();
            }
            if (seen.incrementAndGet() == 1) {
                throw new IllegalStateException("injected free failure");
            }
        });
        SecretArena arena = open();
        UserCalls.addCleanup(arena, () -> {
            throw new IllegalArgumentException("a user cleanup failed");
        });
        fillWith(arena.allocate(100), (byte) 7);
        fillWith(arena.allocate(100), (byte) 7);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, arena::close);
        assertEquals("a user cleanup failed", e.getMessage());
        assertEquals(1, e.getSuppressed().length);
        assertEquals("injected free failure", e.getSuppressed()[0].getMessage());
        assertEquals(2, seen.get());
        assertEquals(0, dirty.get());
    }

    @Test
    void aCleanupThatClosesTheArenaIsToldItIsClosedAndTheMemoryIsFreedOnce() {
        try (FreeWatch watch = FreeWatch.start()) {
            SecretArena arena = open();
            AtomicReference<Throwable> nested = new AtomicReference<>();
            UserCalls.addCleanup(arena, () -> nested.set(attempt(arena::close)));
            fillWith(arena.allocate(100), (byte) 9);
            arena.close();
            assertTrue(nested.get() instanceof IllegalStateException, String.valueOf(nested.get()));
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
        }
    }
}
