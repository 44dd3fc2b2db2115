package dev.hardmem.internal.alloc.slab;

/**
 * Where a slab slot is. The state lives in the low byte of the slot's metadata word ({@link Slab#meta}), as its
 * ordinal.
 */
enum SlotState {
    /** In the pool's free list: zeroed, checked in full by {@code verify()}, which holds the class lock. */
    FREE,
    /** Handed out. */
    LIVE,
    /** Freed, waiting out its delay in the slab's queue before it is free again; checked like a free slot. */
    DELAYED,
    /** Found damaged: wiped, and never handed out again. */
    QUARANTINED,
    /** Free, zeroed and checked, in a magazine (ready, or in its delay ring). Only its canary is checked. */
    CACHED;

    private static final SlotState[] BY_ORDINAL = values();

    static SlotState of(long meta) {
        return BY_ORDINAL[(int) (meta & 0xFF)];
    }

    /** {@return whether only the holder of the class lock moves a slot in this state} */
    boolean pooled() {
        return this == FREE || this == DELAYED;
    }
}
