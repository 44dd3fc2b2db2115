package dev.hardmem.internal.alloc.region;

import java.lang.foreign.MemorySegment;

/**
 * Sees the memory of every block an allocator frees, just before it is given back, after every wipe, so a test can
 * prove each byte was zero. An allocator is given its listener when it is made.
 *
 * <p>The allocators hardmem makes for itself are given {@link #DEFAULT}, which listens to nothing unless code in
 * this package points it elsewhere. Only hardmem's own tests can: the package is not exported from the module, and
 * the jar seals it, so no other jar on the class path can add a class to it.
 */
@FunctionalInterface
public interface FreeListener {
    /** Listens to nothing. */
    FreeListener NONE = raw -> {
    };

    /** The listener of every allocator hardmem makes for itself. */
    FreeListener DEFAULT = DefaultFreeListener.INSTANCE;

    /** Called with the block's memory (a global-scope segment, valid only during the call). */
    void freeing(MemorySegment raw);
}
