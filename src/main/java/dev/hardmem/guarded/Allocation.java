package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.Block;
import dev.hardmem.internal.os.Memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One allocation made directly from a {@link GuardedAllocator}. Its {@link #segment()} is confined to the thread
 * that allocated it and dies when the allocation is freed ({@link #close()} or {@link GuardedAllocator#free}),
 * so a use after free throws {@link IllegalStateException} instead of reading someone else's secret.
 *
 * <p>Most code should use {@code SecretArena} or {@code Secret}, which allocate from the guarded allocator by
 * default; this class is for code (and benchmarks) that wants one tier directly.
 */
public final class Allocation implements AutoCloseable {
    final GuardedAllocator owner;
    final Block block;
    final Tier tier;
    private final Arena lifetime;
    private final MemorySegment segment;
    boolean freed;

    Allocation(GuardedAllocator owner, Block block, Tier tier) {
        this.owner = owner;
        this.block = block;
        this.tier = tier;
        this.lifetime = Arena.ofConfined();
        this.segment = Memory.viewFor(block.raw(), lifetime);
    }

    /** {@return the memory: zeroed when allocated, exactly the size asked for, never growing} */
    public MemorySegment segment() {
        return segment;
    }

    /** {@return the tier it came from} */
    public Tier tier() {
        return tier;
    }

    /**
     * Wipes and frees the memory ({@link GuardedAllocator#free}).
     *
     * @throws IllegalStateException if it is already freed
     * @throws WrongThreadException  if called from a thread other than the one that allocated it
     * @throws dev.hardmem.MemoryCorruptionError if its canary was overwritten
     */
    @Override
    public void close() {
        owner.free(this);
    }

    /** Ends the segment's lifetime (fails without change from another thread). */
    void endLifetime() {
        lifetime.close();
    }

    /** {@return a description without contents or addresses} */
    @Override
    public String toString() {
        return "Allocation[" + block.raw().byteSize() + " bytes, " + tier + (freed ? ", freed" : "") + "]";
    }
}
