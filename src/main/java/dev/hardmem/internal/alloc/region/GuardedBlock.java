package dev.hardmem.internal.alloc.region;

import dev.hardmem.guarded.Tier;

/** A block of the guarded allocator: it knows its tier, and the tier's metadata can keep a leak watch for it. */
public abstract class GuardedBlock extends Block {
    protected GuardedBlock(long address, long size) {
        super(address, size);
    }

    /** {@return the tier it came from} */
    public abstract Tier tier();

    /**
     * Keeps {@code watch} reachable from the tier's own slot metadata while this block is live (the tier drops it
     * when the block is freed), so a watch on the owner of the block outlives the owner.
     */
    public abstract void hold(Object watch);
}
