package dev.hardmem.internal.alloc.isolated;

import dev.hardmem.internal.alloc.region.Fields;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** One run of data pages between two guard pages, and the secret in it, if any. Guarded by its pool's lock. */
final class Slot {
    private static final VarHandle BLOCK = Fields.of(MethodHandles.lookup(), Slot.class, "block",
            IsolatedBlock.class);

    final Pool pool;
    final Pool.PoolRegion region;
    final MemorySegment run;
    /** The secret in it; published with a release store, read by verify() with an acquire load. */
    @SuppressWarnings("unused") // through BLOCK
    private IsolatedBlock block;
    boolean quarantined;

    Slot(Pool pool, Pool.PoolRegion region, MemorySegment run) {
        this.pool = pool;
        this.region = region;
        this.run = run;
    }

    /**
     * Publishes {@code b} as this slot's secret: whoever sees the block also sees the canary written into the slot
     * before it (final fields order the block's own fields, not native memory).
     */
    void publish(IsolatedBlock b) {
        BLOCK.setRelease(this, b);
    }

    IsolatedBlock block() {
        return (IsolatedBlock) BLOCK.getAcquire(this);
    }

    void clear() {
        BLOCK.setRelease(this, (IsolatedBlock) null);
    }
}
