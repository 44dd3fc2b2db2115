package dev.hardmem.guarded;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.internal.alloc.Block;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.os.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Supplier;

/**
 * The guarded allocator's engine: chooses a tier, counts, and fails closed. {@link GuardedAllocator} is its public
 * face; {@code SecretArena} and {@code Secret} reach it through the internal {@link SecretAllocator} interface.
 */
final class GuardedHeap implements SecretAllocator {
    private final GuardPolicy policy;
    private final Regions regions;
    private final SlabTier slabs;
    private final IsolatedTier isolated;
    private final String name;
    final LongAdder corruptions = new LongAdder();
    final LongAdder quarantined = new LongAdder();
    /**
     * Allocations and frees hold it shared; {@link #close()} holds it exclusively while it counts the live secrets
     * and unmaps, so no allocation can slip in between, and none fails just because a close was attempted.
     */
    private final StampedLock gate = new StampedLock();
    /** Whether {@link #close()} may ever be called: the default allocator never closes, so it needs no gate. */
    private final boolean closable;
    private volatile boolean closed;

    GuardedHeap(GuardPolicy policy, String name, boolean closable) {
        this.policy = policy;
        this.name = name;
        this.closable = closable;
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
        if (!closable) {
            return allocateOpen(size, alignment, tier, protect);
        }
        return gated(() -> {
            checkOpen();
            return allocateOpen(size, alignment, tier, protect);
        });
    }

    private Block allocateOpen(long size, long alignment, Tier tier, boolean protect) {
        Tier t = tier != null ? tier
                : protect || policy.isolatedOnly() || !SlabTier.fits(size, alignment) ? Tier.ISOLATED : Tier.SLAB;
        if (t == Tier.SLAB) {
            if (!SlabTier.fits(size, alignment)) {
                throw new IllegalArgumentException("the slab tier holds at most " + Layout.MAX_SLAB_CLASS
                        + " bytes aligned to at most " + Layout.SLAB_ALIGNMENT + "; asked for " + size
                        + " bytes aligned to " + alignment);
            }
            return slabs.allocate(size);
        }
        return isolated.allocate(size, alignment, protect);
    }

    @Override
    public void free(Block block) {
        if (!closable) {
            freeOpen(block); // the hot path: no lambda
            return;
        }
        // Frees hold the gate too: close() then sees every slab thread cache at rest when it counts and unmaps.
        gated(() -> {
            freeOpen(block);
            return null;
        });
    }

    private void freeOpen(Block block) {
        checkOpen();
        // A tier refuses a double free or a busy block with IllegalStateException before changing anything; a
        // corruption is reported after the block was wiped and freed, so it still counts as freed.
        if (block instanceof SlabTier.SlabBlock sb && sb.slab.owner.tier() == slabs) {
            slabs.free(sb);
        } else if (block instanceof IsolatedTier.IsolatedBlock ib && isolated.owns(ib)) {
            isolated.free(ib);
        } else {
            throw new IllegalArgumentException("this memory was not allocated by " + name + "; nothing was changed");
        }
    }

    /**
     * Holds the gate (shared) around {@code action} on an allocator that can be closed: allocations, frees,
     * verify() and stats() (which move slab counts between thread magazines and the pools) never run while
     * close() counts and unmaps. The default allocator cannot be closed and runs {@code action} directly.
     */
    private <T> T gated(Supplier<T> action) {
        if (!closable) {
            return action.get();
        }
        long stamp = gate.readLock();
        try {
            return action.get();
        } finally {
            gate.unlockRead(stamp);
        }
    }

    /** Checks every canary, and every free slab slot for writes after free. */
    void verify() {
        gated(() -> {
            verifyOpen();
            return null;
        });
    }

    private void verifyOpen() {
        checkOpen();
        int bad = isolated.verify();
        if (bad > 0) {
            corruption("verify found " + bad + " isolated slot(s) whose canary or padding was overwritten, or that"
                    + " were written after they were freed");
        }
        slabs.verify();
    }

    /** {@return the slab tier, for tests in this package} */
    SlabTier slabs() {
        return slabs;
    }

    Stats stats() {
        return gated(this::statsNow);
    }

    private Stats statsNow() {
        long[] slab = slabs.counts();
        long[] iso = isolated.counts();
        return new Stats(slab[0] + iso[0], slab[1] + iso[1], regions.bytesLocked.get(), regions.bytesUnlocked.get(),
                regions.mappings.get(), corruptions.sum(), quarantined.sum(), slab[2], iso[2], regions.backing());
    }

    void close() {
        if (!closable) {
            throw new UnsupportedOperationException("the shared default allocator cannot be closed");
        }
        long stamp = gate.writeLock();
        try {
            if (closed) {
                throw new IllegalStateException("this allocator is already closed");
            }
            long n = slabs.counts()[0] + isolated.counts()[0];
            if (n > 0) {
                throw new IllegalStateException("cannot close an allocator with " + n + " live secret(s);"
                        + " free them (close their arenas) first");
            }
            closed = true;
            slabs.release();
            isolated.release();
        } finally {
            gate.unlockWrite(stamp);
        }
    }

    void checkOpen() {
        if (closed) {
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
     * {@return 8 unpredictable bytes, for canaries and seeds} Each thread draws from its own generator, seeded
     * from the kernel ({@code getrandom}) and reseeded every 65,536 words, so an allocation takes no lock and makes
     * no system call ({@code getrandom} costs tens of microseconds per page on some virtual machines). The
     * generator's state is on the Java heap, as the canaries themselves are: whoever can read it can read the
     * canaries anyway. What a canary must resist is a blind overrun, which cannot guess it.
     */
    long canaryWord() {
        return RANDOM.get().next();
    }

    /** One thread's canary generator. */
    private static final class CanaryGenerator {
        private static final int RESEED = 1 << 16;
        private SplittableRandom random;
        private int left;

        long next() {
            if (left-- == 0) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment seed = a.allocate(8);
                    Libc.getrandom(seed);
                    random = new SplittableRandom(seed.get(ValueLayout.JAVA_LONG, 0));
                }
                left = RESEED - 1;
            }
            return random.nextLong();
        }
    }

    private static final ThreadLocal<CanaryGenerator> RANDOM = ThreadLocal.withInitial(CanaryGenerator::new);

    /** A read-only page-multiple of zeros to compare against: the JDK's mismatch is vectorised. */
    private static final MemorySegment ZEROS = Arena.global().allocate(1 << 16, 4096).asReadOnly();

    /** {@return whether {@code length} bytes of {@code s} at {@code offset} are all zero} */
    static boolean isZero(MemorySegment s, long offset, long length) {
        if (length > 64) {
            for (long done = 0; done < length; done += ZEROS.byteSize()) {
                long n = Math.min(ZEROS.byteSize(), length - done);
                if (MemorySegment.mismatch(s, offset + done, offset + done + n, ZEROS, 0, n) != -1) {
                    return false;
                }
            }
            return true;
        }
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
