package dev.hardmem;

import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.FreeListeners;
import dev.hardmem.testing.FreeLog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.api.Pair.of;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * Random sequences of allocate / write / read / read from another thread / close / use after close, run against a
 * confined and a shared arena and checked against a model: a list of what each segment must hold. Sizes go from 0
 * to 1 MiB, alignments from 1 to 4096; at the end, every block must have been freed, and freed wiped.
 */
class SecretArenaModelTest {
    private static final long MIB = 1 << 20;
    /** Live bytes per sequence are kept under this, so a sequence makes at most a few 1 MiB segments. */
    private static final long BUDGET = 4 * MIB;

    private static final ExecutorService OTHER_THREAD = Executors.newSingleThreadExecutor();

    @AfterAll
    static void stopTheOtherThread() {
        OTHER_THREAD.shutdownNow();
    }

    @AfterEach
    void stopWatching() {
        FreeListeners.observe(FreeListener.NONE);
    }

    // ---------------------------------------------------------------- operations

    sealed interface Op permits Allocate, Write, Read, ReadFromOtherThread, Close {
    }

    record Allocate(long size, long alignment) implements Op {
    }

    /** Writes a pattern derived from {@code seed} over a whole segment (the pick is taken modulo the count). */
    record Write(int pick, int seed) implements Op {
    }

    record Read(int pick) implements Op {
    }

    record ReadFromOtherThread(int pick) implements Op {
    }

    record Close() implements Op {
    }

    private static Gen<Long> sizes() {
        // Mostly small, as secrets are, with the edges and some large ones up to 1 MiB.
        return Generate.frequency(
                of(2, Generate.pick(List.of(0L, 1L, 7L, 8L, 9L, 4095L, 4096L, 4097L, MIB - 1, MIB))),
                of(5, Generate.longRange(0, 64)),
                of(2, Generate.longRange(0, 16 * 1024)),
                of(1, Generate.longRange(0, MIB)));
    }

    private static Gen<Op> ops() {
        Gen<Op> allocate = sizes().zip(Generate.range(0, 12), (s, a) -> new Allocate(s, 1L << a));
        Gen<Integer> pick = Generate.range(0, 1000);
        Gen<Op> write = pick.zip(Generate.range(0, 255), Write::new);
        Gen<Op> read = pick.map(Read::new);
        Gen<Op> other = pick.map(ReadFromOtherThread::new);
        return Generate.frequency(of(6, allocate), of(4, write), of(4, read), of(1, other),
                of(1, Generate.constant(new Close())));
    }

    // ---------------------------------------------------------------- model

    /** What a segment must hold: all zeros (never written) or the pattern of one seed. */
    private static final class Expected {
        final MemorySegment segment;
        int seed = -1;

        Expected(MemorySegment segment) {
            this.segment = segment;
        }

    }

    private static byte pattern(int seed, long i) {
        return (byte) (seed + i * 31 + (i >>> 8));
    }

    private static byte[] patternArray(int seed, long size) {
        byte[] b = new byte[(int) size];
        for (int i = 0; i < b.length; i++) {
            b[i] = pattern(seed, i);
        }
        return b;
    }

    /**
     * Reads the whole segment and compares it with the model. {@code toArray} checks the thread and the lifetime
     * even for an empty segment (a zero-length {@code copy} or {@code mismatch} does not, in the JDK).
     */
    private static void checkContents(Expected e) {
        byte[] got = e.segment.toArray(ValueLayout.JAVA_BYTE);
        byte[] want = e.seed < 0 ? new byte[got.length] : patternArray(e.seed, got.length);
        int mismatch = Arrays.mismatch(want, got);
        assertEquals(-1, mismatch, () -> "byte " + mismatch + " of " + got.length + ": want " + want[mismatch]
                + " got " + got[mismatch]);
    }

    /** Writes the pattern of {@code seed}; the fill first, because an empty copy checks nothing (see above). */
    private static void writePattern(MemorySegment s, int seed) {
        s.fill((byte) 0);
        s.copyFrom(MemorySegment.ofArray(patternArray(seed, s.byteSize())));
    }

    private static Throwable onOtherThread(Runnable r) {
        try {
            return OTHER_THREAD.submit(() -> {
                try {
                    r.run();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }).get();
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs {@code ops} on a new arena and checks every step against the model. */
    private static void run(Supplier<SecretArena> factory, boolean shared, List<Op> ops) {
        try (FreeLog log = FreeLog.start()) {
            SecretArena arena = factory.get();
            List<Expected> segments = new ArrayList<>();
            boolean closed = false;
            long live = 0;
            for (Op op : ops) {
                Expected target = segments.isEmpty() ? null : segments.get(pickOf(op) % segments.size());
                switch (op) {
                    case Allocate a -> {
                        long size = live + a.size() > BUDGET ? a.size() % 4096 : a.size();
                        if (closed) {
                            assertThrows(IllegalStateException.class, () -> arena.allocate(size, a.alignment()));
                        } else {
                            MemorySegment s = arena.allocate(size, a.alignment());
                            assertEquals(size, s.byteSize());
                            assertEquals(0, s.address() % a.alignment(), "aligned to " + a.alignment());
                            live += size;
                            Expected e = new Expected(s);
                            checkContents(e);
                            segments.add(e);
                        }
                    }
                    case Write w -> {
                        if (target == null) {
                            continue;
                        }
                        if (closed) {
                            assertThrows(IllegalStateException.class, () -> writePattern(target.segment, w.seed()));
                        } else {
                            writePattern(target.segment, w.seed());
                            target.seed = w.seed();
                        }
                    }
                    case Read r -> {
                        if (target == null) {
                            continue;
                        }
                        if (closed) {
                            assertThrows(IllegalStateException.class, () -> checkContents(target));
                            assertFalse(target.segment.scope().isAlive());
                        } else {
                            checkContents(target);
                        }
                    }
                    case ReadFromOtherThread r -> {
                        if (target == null) {
                            continue;
                        }
                        Throwable t = onOtherThread(() -> checkContents(target));
                        if (!shared) {
                            // The JDK checks the thread before the liveness, closed or not.
                            assertInstanceOf(WrongThreadException.class, t);
                        } else if (closed) {
                            assertInstanceOf(IllegalStateException.class, t);
                        } else if (t != null) {
                            throw new AssertionError("read from another thread of a shared arena", t);
                        }
                    }
                    case Close c -> {
                        if (closed) {
                            assertThrows(IllegalStateException.class, arena::close);
                        } else {
                            assertEquals(List.of(), log.at(addresses(segments)), "nothing is freed before close");
                            assertTrue(arena.toString().endsWith(segments.size() + " segments]"), arena.toString());
                            arena.close();
                            closed = true;
                            checkFreedAndWiped(log, segments);
                        }
                    }
                }
            }
            if (!closed) {
                arena.close();
            }
            checkFreedAndWiped(log, segments);
        }
    }

    private static List<Long> addresses(List<Expected> segments) {
        return segments.stream().map(e -> e.segment.address()).toList();
    }

    /** Every segment's block was freed exactly once, with its size, and every byte was zero when it was. */
    private static void checkFreedAndWiped(FreeLog log, List<Expected> segments) {
        List<FreeLog.Freed> freed = log.at(addresses(segments));
        assertEquals(addresses(segments).stream().sorted().toList(),
                freed.stream().map(FreeLog.Freed::address).sorted().toList(), "every segment freed once at close");
        assertEquals(segments.stream().mapToLong(e -> e.segment.byteSize()).sum(),
                freed.stream().mapToLong(FreeLog.Freed::size).sum());
        assertTrue(freed.stream().allMatch(FreeLog.Freed::zero), "every segment wiped before its free");
    }

    private static int pickOf(Op op) {
        return switch (op) {
            case Write w -> w.pick();
            case Read r -> r.pick();
            case ReadFromOtherThread r -> r.pick();
            case Allocate a -> 0;
            case Close c -> 0;
        };
    }

    @Test
    void confinedArenaAgreesWithTheModel() {
        qt().withExamples(150).withShrinkCycles(200)
                .forAll(lists().of(ops()).ofSizeBetween(1, 40))
                .checkAssert(ops -> run(SecretArena::ofConfined, false, ops));
    }

    @Test
    void sharedArenaAgreesWithTheModel() {
        qt().withExamples(150).withShrinkCycles(200)
                .forAll(lists().of(ops()).ofSizeBetween(1, 40))
                .checkAssert(ops -> run(SecretArena::ofShared, true, ops));
    }
}
