package dev.hardmem.internal.alloc.slab;

import dev.hardmem.guarded.Tier;
import dev.hardmem.internal.alloc.region.GuardedBlock;

/**
 * A slab slot handed out. {@code generation} tells a stale block (freed before) from the live one; {@code from} is
 * the magazine it came from, so a free by the same thread skips the lookup of its magazines.
 */
final class SlabBlock extends GuardedBlock {
    final Slab slab;
    final int index;
    final int generation;
    final Magazine from;

    SlabBlock(Slab slab, int index, int generation, long size, Magazine from) {
        super(slab.slotAddress(index), size);
        this.slab = slab;
        this.index = index;
        this.generation = generation;
        this.from = from;
    }

    @Override
    public SlabTier owner() {
        return slab.owner.tier;
    }

    @Override
    public void free() {
        slab.owner.tier.free(this);
    }

    @Override
    public Tier tier() {
        return Tier.SLAB;
    }
}
