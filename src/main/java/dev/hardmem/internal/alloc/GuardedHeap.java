package dev.hardmem.internal.alloc;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.Stats;
import dev.hardmem.guarded.Tier;
import dev.hardmem.internal.alloc.isolated.IsolatedTier;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.Budgets;
import dev.hardmem.internal.alloc.region.CloseGate;
import dev.hardmem.internal.alloc.region.Corruption;
import dev.hardmem.internal.alloc.region.Counts;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.GuardedBlock;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.region.Refusals;
import dev.hardmem.internal.alloc.region.Regions;
import dev.hardmem.internal.alloc.slab.SlabTier;
import dev.hardmem.internal.os.Os;

import java.util.List;
import java.util.function.Supplier;

/**
 * The guarded allocator's engine: picks a tier, gates closing, and sums statistics. {@code GuardedAllocator} is its
 * public face; {@code SecretArena} and {@code Secret} use it as a {@link SecretAllocator}.
 *
 * <p>A heap that can be closed and becomes unreachable without {@link #close()} is released by the leak watcher:
 * what its pools kept is wiped, unlocked and unmapped, and a warning says so. It cannot have a live secret then:
 * whatever holds one (a secret arena's or a secret's leak registration, an {@code Allocation}'s) refers to the heap
 * until the secret is freed.
 */
public final class GuardedHeap implements SecretAllocator {
    private final GuardPolicy policy;
    private final String name;
    private final Regions regions;
    private final Corruption corruption;
    private final SlabTier slabs;
    private final IsolatedTier isolated;
    /**
     * Allocations, frees, verify() and stats() pass through it; {@link #close()} waits until none is in flight and
     * holds the next ones back while it counts the live secrets and unmaps, so nothing slips in between and nothing
     * fails because a close was attempted. Only allocators that can be closed have one: the default never closes.
     */
    private final CloseGate gate;
    private final Pools pools;
    /** Releases the pools if this heap becomes unreachable without close(); {@code null} for the default. */
    private final Leaks.Registration leakWatch;
    private volatile boolean closed;

    /**
     * An engine under {@code policy}, whose system calls go through {@code os} and whose frees {@code listener}
     * sees; {@code closable} is false only for the process-wide default.
     */
    public GuardedHeap(GuardPolicy policy, String name, boolean closable, Os os, FreeListener listener) {
        this.policy = policy;
        this.name = name;
        this.gate = closable ? new CloseGate() : null;
        this.regions = new Regions(policy, os);
        this.corruption = new Corruption(policy.onCorruption());
        this.slabs = new SlabTier(regions, corruption, listener);
        this.isolated = new IsolatedTier(regions, os, corruption, listener);
        this.pools = new Pools(slabs, isolated, gate, corruption,
                closable ? Leaks.site("GuardedAllocator.create") : null);
        Budgets.enroll(pools.reclaimer);
        this.leakWatch = closable ? Leaks.register(this, pools) : null;
    }

    /**
     * The tiers and the gate, without the heap: the process-wide {@link Budgets} asks it to give back the free memory
     * its pools keep when another allocation needs it, and the leak watcher runs it once the heap is unreachable
     * without close(). It never refers to the heap, or the heap could never become unreachable.
     */
    private static final class Pools implements Runnable {
        private final SlabTier slabs;
        private final IsolatedTier isolated;
        private final CloseGate gate;
        private final Corruption corruption;
        private final Throwable site;
        final Runnable reclaimer = this::reclaim;
        /** Set once everything is unmapped, while the gate is closed. */
        private volatile boolean released;
        /** Set by close(), while the gate is closed, before it runs this: no leak to report. */
        boolean explicit;

        Pools(SlabTier slabs, IsolatedTier isolated, CloseGate gate, Corruption corruption, Throwable site) {
            this.slabs = slabs;
            this.isolated = isolated;
            this.gate = gate;
            this.corruption = corruption;
            this.site = site;
        }

        /** Gives back what the pools keep free; skipped while a close runs (it gives back everything). */
        private void reclaim() {
            if (gate == null) {
                trim();
                return;
            }
            gate.tryPass(() -> {
                if (!released) {
                    trim();
                }
            });
        }

        private void trim() {
            slabs.trim();
            isolated.trim();
        }

        /** Releases everything: from close(), or from the leak watcher, which closes the gate itself first. */
        @Override
        public void run() {
            if (explicit) {
                release();
                return;
            }
            int[] damaged = new int[1];
            gate.close(() -> {
                damaged[0] = damaged(); // as close() does, before unmapping wipes the evidence
                release();
            });
            Leaks.report("GuardedAllocator.create", site);
            if (damaged[0] > 0) {
                corruption.foundUnclosed(damaged[0]);
            }
        }

        /** {@return free slots damaged anywhere (pools, any thread's cache); nothing is live or allocating} */
        int damaged() {
            return slabs.damagedBeforeRelease() + isolated.damagedBeforeRelease();
        }

        /** Wipes, unlocks and unmaps every region; nothing is live and nothing is allocating. */
        private void release() {
            released = true;
            Budgets.forget(reclaimer);
            slabs.release();
            isolated.release();
        }
    }

    public GuardPolicy policy() {
        return policy;
    }

    /** {@return the regions every tier maps} */
    public Regions regions() {
        return regions;
    }

    /** {@return the slab tier} */
    public SlabTier slabs() {
        return slabs;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public GuardedBlock allocate(long size, long alignment) {
        return allocate(size, alignment, null, false);
    }

    @Override
    public GuardedBlock allocateForSecret(long size, long alignment) {
        return allocate(size, alignment, null, policy.accessProtection());
    }

    /**
     * {@return {@code size} zeroed bytes at {@code alignment} from {@code tier}, or from the tier the policy picks
     * when it is {@code null}; with {@code protect}, inaccessible outside {@link Block#enter}/{@link Block#exit}}
     *
     * @throws IllegalArgumentException if the request does not fit the tier
     * @throws IllegalStateException    if this allocator is closed
     */
    public GuardedBlock allocate(long size, long alignment, Tier tier, boolean protect) {
        Tier t = tier != null ? tier
                : protect || policy.isolatedOnly() || !SlabTier.fits(size, alignment) ? Tier.ISOLATED : Tier.SLAB;
        if (t == Tier.SLAB && !SlabTier.fits(size, alignment)) {
            throw new IllegalArgumentException("the slab tier holds at most " + Layout.MAX_SLAB_CLASS
                    + " bytes aligned to at most " + Layout.SLAB_ALIGNMENT + "; asked for " + size
                    + " bytes aligned to " + alignment);
        }
        if (t == Tier.ISOLATED && alignment > Layout.MAX_ALIGNMENT) {
            throw new IllegalArgumentException("the guarded allocator aligns to at most " + Layout.MAX_ALIGNMENT
                    + " bytes; asked for " + alignment);
        }
        if (gate == null) {
            return allocateFrom(t, size, alignment, protect); // the hot path: no lambda
        }
        return gated(true, () -> allocateFrom(t, size, alignment, protect));
    }

    private GuardedBlock allocateFrom(Tier t, long size, long alignment, boolean protect) {
        try {
            return fromTier(t, size, alignment, protect);
        } catch (Budgets.Exhausted e) {
            // A region would cross a process-wide budget. Here no pool lock is held: every allocator gives back the
            // free memory its pools keep, then one more try, on which the policy decides.
            Budgets.reclaim();
            return Budgets.lastTry(() -> fromTier(t, size, alignment, protect));
        }
    }

    private GuardedBlock fromTier(Tier t, long size, long alignment, boolean protect) {
        return t == Tier.SLAB ? slabs.allocate(size) : isolated.allocate(size, alignment, protect);
    }

    @Override
    public void free(Block block) {
        // The owner check comes first: a block of another allocator changes nothing. A tier refuses a double free
        // or a busy block before it changes anything; a corruption is reported after the block was wiped and
        // freed, so it still counts as freed.
        Object owner = block.owner();
        if (owner != slabs && owner != isolated) {
            throw Refusals.notOurs(name);
        }
        if (gate == null) {
            block.free(); // the hot path: no lambda
            return;
        }
        gated(true, () -> {
            block.free();
            return null;
        });
    }

    /**
     * Runs {@code action} through the gate, after checking that this allocator is open if {@code mustBeOpen}:
     * allocations, frees, verify() and stats() (which move slab counts between thread magazines and the pools)
     * never run while close() counts and unmaps.
     */
    private <T> T gated(boolean mustBeOpen, Supplier<T> action) {
        if (gate == null) {
            return action.get();
        }
        return gate.pass(() -> {
            if (mustBeOpen) {
                checkOpen();
            }
            return action.get();
        });
    }

    /** Checks every canary, and every free slot for writes after free; reports what it found as a corruption. */
    public void verify() {
        gated(true, () -> {
            int bad = isolated.verify();
            if (bad > 0) {
                throw corruption.verifyFound(bad, "isolated slots", "canary or padding overwritten, or written"
                        + " after they were freed");
            }
            List<String> problems = slabs.verify();
            if (!problems.isEmpty()) {
                throw corruption.verifyFound(problems.size(), "slabs",
                        String.join(", ", problems.subList(0, Math.min(5, problems.size()))));
            }
            return null;
        });
    }

    /** {@return a snapshot of what this allocator holds and has seen} */
    public Stats stats() {
        return gated(false, () -> {
            Counts slab = slabs.counts();
            Counts iso = isolated.counts();
            return new Stats(slab.live() + iso.live(), slab.bytes() + iso.bytes(), regions.bytesLocked(),
                    regions.bytesUnlocked(), regions.mappings(), corruption.reported(),
                    corruption.quarantinedSlots(), slab.mapped(), iso.mapped(), regions.backing());
        });
    }

    /**
     * Unmaps every region; afterwards everything but {@link #stats()} throws {@link IllegalStateException}. Free
     * slots are checked first, as {@link #verify()} does: damage found is reported once everything is unmapped.
     *
     * @throws IllegalStateException         if secrets are still live, or it is already closed
     * @throws MemoryCorruptionError         if a free slot was written after it was freed, or a canary overwritten
     *                                       (after everything was released)
     * @throws UnsupportedOperationException for the default allocator
     */
    public void close() {
        if (gate == null) {
            throw Refusals.defaultNotClosable();
        }
        gate.close(() -> {
            checkOpen();
            long n = slabs.counts().live() + isolated.counts().live();
            if (n > 0) {
                throw new IllegalStateException("cannot close an allocator with " + n + " live secret(s);"
                        + " free them (close their arenas) first");
            }
            // Unmapping wipes every slot: look for writes after free and overruns into free slots first, so that
            // closing does not erase the evidence; release in any case, then report.
            int damaged = pools.damaged();
            closed = true;
            pools.explicit = true;
            leakWatch.clean(); // releases the pools, and the leak watcher never will
            if (damaged > 0) {
                throw corruption.verifyFound(damaged, "free slots", "found while closing the allocator; written"
                        + " after they were freed, or a canary overwritten");
            }
        });
    }

    /** @throws IllegalStateException if this allocator is closed */
    public void checkOpen() {
        if (closed) {
            throw Refusals.closed();
        }
    }
}
