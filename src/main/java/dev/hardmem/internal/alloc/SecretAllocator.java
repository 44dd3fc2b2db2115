package dev.hardmem.internal.alloc;

import dev.hardmem.internal.alloc.region.Block;

/**
 * Where the memory of secret arenas and secrets comes from: the guarded engine ({@link GuardedHeap}) or the C heap
 * ({@link UnguardedAllocator}).
 *
 * <p>Contract: {@link #allocate} returns zeroed memory of exactly the size asked for, aligned as asked, that never
 * moves and never grows; its arguments were checked by the caller ({@link #checkSizeAndAlignment}), once, at the
 * public API. {@link #free} checks what the allocator guards (canaries, slack), wipes the block (each tier zeroes
 * at least every byte the block used, in the same pass as its checks), and gives it back.
 */
public interface SecretAllocator {
    /**
     * The largest secret any allocator hands out: 64 TiB, far beyond any machine's RAM, and far enough from
     * {@code Long.MAX_VALUE} that no size, page or alignment arithmetic can overflow.
     */
    long MAX_SIZE = 1L << 46;

    /** Allocates {@code size} zeroed bytes aligned to {@code alignment}. */
    Block allocate(long size, long alignment);

    /**
     * Allocates memory for a {@code Secret}, which is only touched inside {@code read} and {@code write} (between
     * {@link Block#enter} and {@link Block#exit}); an allocator may protect it outside those.
     */
    default Block allocateForSecret(long size, long alignment) {
        return allocate(size, alignment);
    }

    /**
     * Wipes {@code block} and gives it back.
     *
     * @throws IllegalArgumentException if this allocator did not hand it out; nothing is changed
     * @throws IllegalStateException    if it was already freed; nothing is changed
     */
    void free(Block block);

    /** {@return a short name for messages and statistics} */
    String name();

    /**
     * Checks the arguments every allocator takes; the public API calls it once per request.
     *
     * @throws IllegalArgumentException if {@code size} is negative or above {@link #MAX_SIZE}, or
     *                                  {@code alignment} is not a power of two
     */
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
