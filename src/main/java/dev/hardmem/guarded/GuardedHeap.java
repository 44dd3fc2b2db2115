package dev.hardmem.guarded;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.internal.alloc.Block;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.os.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The guarded allocator's engine: chooses a tier, counts, and fails closed. {@link GuardedAllocator} is its public
 * face; {@code SecretArena} and {@code Secret} reach it through the internal {@link SecretAllocator} interface.
 */
final class GuardedHeap implements SecretAllocator {
    private final GuardPolicy policy;
    private final Regions regions;
    private final SlabTier slabs;
    private final IsolatedTier isolated;
    private final Set<IsolatedTier.IsolatedBlock> liveIsolated = ConcurrentHashMap.newKeySet();
    private final String name;
    final LongAdder live = new LongAdder();
    final LongAdder bytesInUse = new LongAdder();
    final LongAdder corruptions = new LongAdder();
    final LongAdder quarantined = new LongAdder();
    /**
     * The closed bit (the sign) and the number of allocations and frees in flight. {@link #close()} can only
     * succeed from zero, so no allocation can slip in between its check for live secrets and the unmapping.
     */
    private final AtomicLong gate = new AtomicLong();
    private static final long CLOSED = Long.MIN_VALUE;
    private static final int RANDOM_POOL_BYTES = 4096;
    private final MemorySegment randomPool = Arena.ofAuto().allocate(RANDOM_POOL_BYTES, 8);
    private int randomPosition = RANDOM_POOL_BYTES;

    GuardedHeap(GuardPolicy policy, String name) {
        this.policy = policy;
        this.name = name;
        this.regions = new Regions(policy);
        this.slabs = new SlabTier(this);
        this.isolated = new IsolatedTier(this);
    }

    Regions regions() {
        return regions;
    }

    GuardPolicy policy() {
        return policy;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Block allocate(long size, long alignment) {
        return allocate(size, alignment, null, false);
    }

    @Override
    public Block allocateForSecret(long size, long alignment) {
        return allocate(size, alignment, null, policy.accessProtection());
    }

    Block allocate(long size, long alignment, Tier tier, boolean protect) {
        SecretAllocator.checkSizeAndAlignment(size, alignment);
        enterGate();
        try {
            return allocateOpen(size, alignment, tier, protect);
        } finally {
            gate.getAndDecrement();
        }
    }

    private Block allocateOpen(long size, long alignment, Tier tier, boolean protect) {
        Tier t = tier != null ? tier
                : protect || policy.isolatedOnly() || !SlabTier.fits(size, alignment) ? Tier.ISOLATED : Tier.SLAB;
        Block b;
        if (t == Tier.SLAB) {
            if (!SlabTier.fits(size, alignment)) {
                throw new IllegalArgumentException("the slab tier holds at most " + Layout.MAX_SLAB_CLASS
                        + " bytes aligned to at most " + Layout.SLAB_ALIGNMENT + "; asked for " + size
                        + " bytes aligned to " + alignment);
            }
            b = slabs.allocate(size);
        } else {
            IsolatedTier.IsolatedBlock ib = isolated.allocate(size, alignment, protect);
            liveIsolated.add(ib);
            b = ib;
        }
        live.increment();
        bytesInUse.add(size);
        return b;
    }

    @Override
    public void free(Block block) {
        enterGate();
        try {
            freeOpen(block);
        } finally {
            gate.getAndDecrement();
        }
    }

    private void freeOpen(Block block) {
        // A tier refuses a double free or a busy block with IllegalStateException before changing anything; a
        // corruption is reported after the block was wiped and freed, so it still counts as freed.
        if (block instanceof SlabTier.SlabBlock sb && sb.slab.owner.tier() == slabs) {
            try {
                slabs.free(sb);
            } catch (MemoryCorruptionError e) {
                counted(sb.raw().byteSize());
                throw e;
            }
            counted(sb.raw().byteSize());
        } else if (block instanceof IsolatedTier.IsolatedBlock ib && liveIsolated.contains(ib)) {
            try {
                isolated.free(ib);
            } catch (MemoryCorruptionError e) {
                freedIsolated(ib);
                throw e;
            }
            freedIsolated(ib);
        } else if (block instanceof IsolatedTier.IsolatedBlock) {
            throw new IllegalStateException("this secret memory was already freed (double free), or was not"
                    + " allocated by " + name + "; nothing was changed");
        } else {
            throw new IllegalArgumentException("this memory was not allocated by " + name + "; nothing was changed");
        }
    }

    private void freedIsolated(IsolatedTier.IsolatedBlock ib) {
        if (liveIsolated.remove(ib)) {
            counted(ib.raw().byteSize());
        }
    }

    private void counted(long size) {
        live.decrement();
        bytesInUse.add(-size);
    }

    /** Checks every canary, and every free slab slot for writes after free. */
    void verify() {
        checkOpen();
        int bad = 0;
        for (IsolatedTier.IsolatedBlock b : liveIsolated) {
            if (!isolated.check(b)) {
                bad++;
            }
        }
        if (bad > 0) {
            corruption("verify found " + bad + " isolated secret(s) whose canary was overwritten");
        }
        slabs.verify();
    }

    Stats stats() {
        return new Stats(live.sum(), bytesInUse.sum(), regions.bytesLocked.get(), regions.bytesUnlocked.get(),
                regions.mappings.get(), corruptions.sum(), quarantined.sum(), slabs.slabCount(),
                isolated.slotCount(), regions.backing());
    }

    void close() {
        while (!gate.compareAndSet(0, CLOSED)) {
            if (gate.get() < 0) {
                throw new IllegalStateException("this allocator is already closed");
            }
            Thread.onSpinWait(); // an allocation or free is in flight: let it finish
        }
        long n = live.sum();
        if (n > 0) {
            gate.set(0); // reopen: a failed close changes nothing
            throw new IllegalStateException("cannot close an allocator with " + n + " live secret(s);"
                    + " free them (close their arenas) first");
        }
        slabs.release();
        isolated.release();
    }

    private void enterGate() {
        if (gate.getAndIncrement() < 0) {
            gate.getAndDecrement();
            throw new IllegalStateException("this allocator is closed");
        }
    }

    void checkOpen() {
        if (gate.get() < 0) {
            throw new IllegalStateException("this allocator is closed");
        }
    }

    /** Reports a corruption as the policy says: throw, or halt the process. The slot is already quarantined. */
    void corruption(String what) {
        corruptions.increment();
        String msg = "hardmem: memory corruption detected: " + what + ". The slot was wiped and quarantined.";
        if (policy.onCorruption() == GuardPolicy.OnCorruption.HALT) {
            System.err.println(msg + " Halting (policy HALT).");
            System.err.flush();
            Runtime.getRuntime().halt(134);
        }
        throw new MemoryCorruptionError(msg);
    }

    long seed() {
        return canaryWord();
    }

    /**
     * {@return 8 random bytes from the kernel, for canaries and seeds} They come from a pool refilled by one
     * {@code getrandom} call every 512 words, so allocating from a pooled slot makes no system call. Each word is
     * wiped from the pool as it is taken.
     */
    synchronized long canaryWord() {
        if (randomPosition == RANDOM_POOL_BYTES) {
            Libc.getrandom(randomPool);
            randomPosition = 0;
        }
        long v = randomPool.get(ValueLayout.JAVA_LONG, randomPosition);
        randomPool.set(ValueLayout.JAVA_LONG, randomPosition, 0L);
        randomPosition += 8;
        return v;
    }

    /** {@return whether {@code length} bytes of {@code s} at {@code offset} are all zero} */
    static boolean isZero(MemorySegment s, long offset, long length) {
        long i = offset;
        long end = offset + length;
        long acc = 0;
        for (; i + 8 <= end; i += 8) {
            acc |= s.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        for (; i < end; i++) {
            acc |= s.get(ValueLayout.JAVA_BYTE, i);
        }
        return acc == 0;
    }
}
