package dev.hardmem.internal.alloc.region;

import dev.hardmem.guarded.Tier;

/** A block of the guarded allocator: it knows its tier. */
public abstract class GuardedBlock extends Block {
    protected GuardedBlock(long address, long size) {
        super(address, size);
    }

    /** {@return the tier it came from} */
    public abstract Tier tier();
}
