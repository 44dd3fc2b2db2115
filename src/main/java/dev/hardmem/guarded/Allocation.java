package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.Leaks;
import dev.hardmem.internal.alloc.region.GuardedBlock;
import dev.hardmem.internal.alloc.region.Refusals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * One allocation made directly from a {@link GuardedAllocator}. Its {@link #segment()} is confined to the thread
 * that allocated it and dies when the allocation is freed ({@link #close()} or {@link GuardedAllocator#free}),
 * so a use after free throws {@link IllegalStateException} instead of reading someone else's secret.
 *
 * <p>An allocation that becomes unreachable without being freed (for example because its thread died) is still
 * wiped and freed by hardmem's leak watcher, with a warning, as {@code SecretArena}s are.
 *
 * <p>Most code should use {@code SecretArena} or {@code Secret}, which allocate from the guarded allocator by
 * default; this class is for code (and benchmarks) that wants one tier directly.
 */
public final class Allocation implements AutoCloseable {
    final GuardedAllocator owner;
    final GuardedBlock block;
    private final Arena lifetime;
    private final MemorySegment segment;
    private final Release release;
    private final Leaks.Registration registration;

    Allocation(GuardedAllocator owner, GuardedHeap heap, GuardedBlock block) {
        this.owner = owner;
        this.block = block;
        this.lifetime = Arena.ofConfined();
        this.segment = block.view(lifetime);
        // Watches the scope, as SecretArena's cleaner does: the segment keeps it reachable, so a leaked allocation
        // (or one whose thread died) is wiped and freed only once no one can touch its segment any more. Until then
        // the registration, kept by this thread's list, keeps the engine reachable: an allocator is never released
        // under a live segment, even one whose Allocation and GuardedAllocator were dropped.
        this.release = new Release(heap, block, Leaks.site("Allocation"));
        this.registration = Leaks.register(lifetime.scope(), release);
    }

    /** Wipes, then frees; from free() or, for an allocation never freed, from the leak watcher. */
    private static final class Release implements Runnable {
        final GuardedHeap heap;
        final GuardedBlock block;
        final Throwable site;
        boolean explicit;

        Release(GuardedHeap heap, GuardedBlock block, Throwable site) {
            this.heap = heap;
            this.block = block;
            this.site = site;
        }

        @Override
        public void run() {
            heap.free(block); // wipes, then frees
            if (!explicit) {
                Leaks.report("Allocation", site);
            }
        }
    }

    /** {@return the memory: zeroed when allocated, exactly the size asked for, never growing} */
    public MemorySegment segment() {
        return segment;
    }

    /** {@return the tier it came from} */
    public Tier tier() {
        return block.tier();
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

    /**
     * Ends the segment's lifetime: exactly once, and only on the thread that allocated it, so no two frees of one
     * allocation can ever race (the confined arena refuses every other thread before changing anything).
     */
    void endLifetime() {
        try {
            lifetime.close(); // WrongThreadException from another thread
        } catch (IllegalStateException e) {
            // A confined arena has only one way to fail this on its own thread: it is closed already.
            IllegalStateException twice = Refusals.doubleFree();
            twice.initCause(e);
            throw twice;
        }
    }

    /** Wipes and frees the memory, once its lifetime has ended. */
    void release() {
        release.explicit = true;
        registration.clean(); // runs the release once: the watcher can no longer
        // Until here this allocation, its lifetime and so the scope the watch follows stay reachable: the watcher
        // cannot be handed the registration before clean() claimed it.
        Reference.reachabilityFence(this);
    }

    /** {@return a description without contents or addresses} */
    @Override
    public String toString() {
        return "Allocation[" + block.size() + " bytes, " + block.tier() + (lifetime.scope().isAlive() ? "" : ", freed")
                + "]";
    }
}
