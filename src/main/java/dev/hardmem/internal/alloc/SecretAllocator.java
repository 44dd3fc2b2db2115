package dev.hardmem.internal.alloc;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * Where the memory of secret arenas and secrets comes from.
 *
 * <p>Contract: {@link #allocate} returns zeroed memory of exactly the size asked for, aligned as asked, that never
 * moves and never grows. The caller wipes a block before it calls {@link #free} (the guarded slab tier zeroes every
 * slot it takes back itself, so its own {@code Allocation} leaves that to it); {@link #free} hands the block back
 * and reports it to the {@link #observeFrees test observer}, which checks that every byte was wiped.
 */
public interface SecretAllocator {
    /**
     * Allocates {@code size} zeroed bytes aligned to {@code alignment}.
     *
     * @throws IllegalArgumentException if {@code size} is negative or {@code alignment} not a power of two
     */
    Block allocate(long size, long alignment);

    /**
     * Allocates memory for a {@code Secret}, which is only touched inside {@code read} and {@code write} (between
     * {@link Block#enter} and {@link Block#exit}); an allocator may protect it outside those.
     */
    default Block allocateForSecret(long size, long alignment) {
        return allocate(size, alignment);
    }

    /** Returns {@code block}, already wiped by the caller, to this allocator. */
    void free(Block block);

    /** {@return a short name for messages and statistics} */
    String name();

    /**
     * Test hook: {@code observer} sees the raw memory of every block just before it is freed, by any allocator.
     * {@code null} removes it.
     */
    static void observeFrees(Consumer<MemorySegment> observer) {
        FreeObserver.observer = observer;
    }

    /** {@return whether a test observer is installed} Lets allocators skip making a segment for it. */
    static boolean observed() {
        return FreeObserver.observer != null;
    }

    /** Called by allocators just before a block's memory is given back. */
    static void beforeFree(MemorySegment raw) {
        Consumer<MemorySegment> o = FreeObserver.observer;
        if (o != null) {
            o.accept(raw);
        }
    }

    /** Holder of the test observer. */
    final class FreeObserver {
        static volatile Consumer<MemorySegment> observer;

        private FreeObserver() {
        }
    }

    /**
     * The largest secret any allocator hands out: 64 TiB, far beyond any machine's RAM, and far enough from
     * {@code Long.MAX_VALUE} that no size, page or alignment arithmetic can overflow.
     */
    long MAX_SIZE = 1L << 46;

    /** Checks the arguments every allocator takes. */
    static void checkSizeAndAlignment(long size, long alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        if (size > MAX_SIZE) {
            throw new IllegalArgumentException("size " + size + " is larger than any secret can be ("
                    + MAX_SIZE + " bytes)");
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > MAX_SIZE) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
    }
}
