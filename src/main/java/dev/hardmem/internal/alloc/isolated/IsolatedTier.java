package dev.hardmem.internal.alloc.isolated;

import dev.hardmem.internal.alloc.region.Canaries;
import dev.hardmem.internal.alloc.region.Corruption;
import dev.hardmem.internal.alloc.region.Counts;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.GuardedBlock;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.region.PerThread;
import dev.hardmem.internal.alloc.region.Refusals;
import dev.hardmem.internal.alloc.region.Regions;
import dev.hardmem.internal.alloc.region.Zeros;
import dev.hardmem.internal.os.Os;
import dev.hardmem.internal.os.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One secret per run of pages: a leading guard page, a canary, the user bytes ending against a trailing guard page.
 * Slots are pooled by page count and mapped in batches whose neighbours share guard pages, so allocating from the
 * pool makes no system call. With access-scoped protection, a slot's pages are {@code PROT_NONE} except while a
 * {@code read} (read-only) or {@code write} (read-write) is open on it; opens are counted, so nested and concurrent
 * readers work.
 *
 * <p>Each pool has one lock. So that threads do not queue on it, each platform thread keeps a {@link SlotCache} of
 * free slots per small page count (up to 32 KiB of slots per pool), used without a lock; virtual threads share
 * one set, each behind its monitor. Caches of threads that died are given back to their pools when another thread
 * registers, and by {@code verify()} and {@code counts()}.
 */
public final class IsolatedTier {
    /**
     * Free pooled bytes the tier keeps mapped (and locked) for reuse; past it, a region whose slots are all free is
     * unmapped when its last slot comes back. Without a cap, pools would stay at their high-water mark for the life
     * of the process, and anyone who can make the process allocate large secrets (say, by sending forged
     * ciphertexts of many sizes) could use up the memlock budget.
     */
    public static final long POOL_CAP = 1L << 20;
    /** The pools of up to this many pages are also found by index: no map lookup on the common path. */
    private static final int SMALL_POOLS = 64;

    final Regions regions;
    final Os os;
    private final Corruption corruption;
    private final FreeListener listener;
    private final ConcurrentHashMap<Long, Pool> pools = new ConcurrentHashMap<>();
    private final Pool[] smallPools = new Pool[SMALL_POOLS];
    /** The largest page count whose pool threads cache free slots of: at least {@link SlotCache#MIN_SLOTS} fit. */
    private static final int MAX_CACHED_PAGES = (int) (SlotCache.BYTES / (SlotCache.MIN_SLOTS * Layout.PAGE));
    /** Each platform thread's caches of free slots, by page count; virtual threads share one set. */
    private final PerThread<SlotCache[]> caches = new PerThread<>(IsolatedTier::newCaches, this::flush);

    public IsolatedTier(Regions regions, Os os, Corruption corruption, FreeListener listener) {
        this.regions = regions;
        this.os = os;
        this.corruption = corruption;
        this.listener = listener;
    }

    private static SlotCache[] newCaches(Thread t) {
        SlotCache[] c = new SlotCache[MAX_CACHED_PAGES + 1];
        for (int pages = 1; pages < c.length; pages++) {
            c[pages] = new SlotCache(t, pages);
        }
        return c;
    }

    /** {@return the calling thread's cache for slots of {@code pages} pages, or {@code null} if none are cached} */
    private SlotCache cache(long pages) {
        return pages <= MAX_CACHED_PAGES ? caches.mine()[(int) pages] : null;
    }

    /** Gives the slots and counts of {@code cs} back to their pools. */
    private void flush(SlotCache[] cs) {
        for (int pages = 1; pages < cs.length; pages++) {
            Pool p = pools.get((long) pages);
            if (p != null) {
                SlotCache c = cs[pages];
                if (c.thread != null) {
                    c.flush(p);
                } else {
                    synchronized (c) {
                        c.flush(p);
                    }
                }
            }
        }
    }

    private Pool pool(long pages) {
        Pool p = pages < SMALL_POOLS ? smallPools[(int) pages] : null;
        return p != null ? p : pools.computeIfAbsent(pages, this::newPool);
    }

    /**
     * {@return the pool of slots of {@code pages} pages whose user bytes start at a multiple of {@code alignment},
     * above a page} Kept under negative keys, apart from the pools by page count; threads do not cache their slots.
     */
    private Pool alignedPool(long pages, long alignment) {
        long key = -(pages * Long.SIZE + Long.numberOfTrailingZeros(alignment));
        Pool p = pools.get(key);
        return p != null ? p : pools.computeIfAbsent(key, k -> new Pool(this, pages, alignment));
    }

    private Pool newPool(long pages) {
        Pool p = new Pool(this, pages, Layout.PAGE);
        if (pages < SMALL_POOLS) {
            smallPools[(int) pages] = p; // racy publication is fine: a reader that misses it uses the map
        }
        return p;
    }

    /** {@return the free pooled bytes of every pool} Read without their locks: the cap is a bound, not a count. */
    long pooledFreeBytes() {
        long sum = 0;
        for (Pool p : pools.values()) {
            sum += p.freeBytes;
        }
        return sum;
    }

    /**
     * {@return zeroed memory for {@code size} bytes at {@code alignment} (at most {@link Layout#MAX_ALIGNMENT}), in a
     * slot of its own;
     * with {@code protect}, {@code PROT_NONE} until its holder {@linkplain GuardedBlock#enter enters} it}
     */
    public GuardedBlock allocate(long size, long alignment, boolean protect) {
        long pages = Layout.isolatedPages(size, alignment);
        Pool pool = alignment > Layout.PAGE ? alignedPool(pages, alignment) : pool(pages);
        SlotCache cache = pool.alignment > Layout.PAGE ? null : cache(pages);
        Slot slot;
        if (cache == null) {
            slot = pool.take(size);
        } else if (cache.thread != null) {
            slot = cache.take(pool, size);
        } else {
            synchronized (cache) {
                slot = cache.take(pool, size);
            }
        }
        MemorySegment run = slot.run;
        long userOffset = Layout.isolatedUserOffset(run.byteSize(), size, alignment);
        long canaryOffset = userOffset - Layout.CANARY;
        // Write-after-free check of what this secret will occupy (canary, bytes, slack). The rest of the run (the
        // padding below the canary) was proved zero when the slot was last freed, and is checked again when this
        // secret is freed, so a stray write there is caught then.
        if (!Zeros.isZero(run.address() + canaryOffset, run.byteSize() - canaryOffset)) {
            quarantine(slot);
            pool.give(slot, size, false);
            throw corruption.writeAfterFree("an isolated slot of " + pool.pages + " page(s)");
        }
        long c0 = Canaries.firstWord();
        long c1 = Canaries.lastWord();
        run.set(ValueLayout.JAVA_LONG_UNALIGNED, canaryOffset, c0);
        run.set(ValueLayout.JAVA_LONG_UNALIGNED, canaryOffset + 8, c1);
        IsolatedBlock b = new IsolatedBlock(this, slot, userOffset, size, c0, c1, protect);
        if (protect) {
            try {
                os.mprotect(run, Platform.PROT_NONE);
            } catch (RuntimeException | Error e) {
                Zeros.fill(run.address() + canaryOffset, Layout.CANARY);
                pool.give(slot, size, true);
                throw e;
            }
        }
        // No lock: verify() tells a slot taken but not yet assigned from a free one by the free list.
        slot.publish(b);
        return b;
    }

    /** Frees a block of this tier: checks its canary and slack, wipes what it used, and pools the slot. */
    void free(IsolatedBlock b) {
        synchronized (b) {
            if (b.freed) {
                throw Refusals.doubleFree();
            }
            if (b.busy()) {
                throw Refusals.busy();
            }
            b.freed = true;
        }
        Slot slot = b.slot;
        Pool pool = slot.pool;
        if (b.quarantined) {
            // verify() found it corrupted, reported it and wiped it: it just lets go, never to be reused.
            pool.give(slot, b.size(), false);
            return;
        }
        MemorySegment run = slot.run;
        if (b.protect) {
            try {
                os.mprotect(run, Platform.PROT_READ | Platform.PROT_WRITE);
            } catch (RuntimeException | Error e) {
                // The pages stay PROT_NONE, the secret in them unwiped: it is still live, and a later free can
                // finish the job. Nothing changed.
                synchronized (b) {
                    b.freed = false;
                }
                throw e;
            }
        }
        long canaryOffset = b.canaryOffset();
        long end = b.userOffset + b.size();
        // The canary and the slack up to the guard are checked here, at every free; the padding below the canary
        // (up to a page, which a linear underrun cannot reach without crossing the canary first) is checked by
        // verify(), for free and live slots alike: a full pass over it at every free would double the cost.
        boolean intact = b.canaryIntact() && Zeros.isZero(run.address() + end, run.byteSize() - end);
        // Only the canary, the secret and the slack were ever written by this allocation: wipe them.
        Zeros.fill(run.address() + canaryOffset, run.byteSize() - canaryOffset);
        listener.freeing(b.raw());
        if (!intact) {
            quarantine(slot);
            pool.give(slot, b.size(), false);
            throw corruption.overrun(b.size(), "an isolated slot");
        }
        SlotCache cache = pool.alignment > Layout.PAGE ? null : cache(pool.pages);
        if (cache == null) {
            pool.give(slot, b.size(), true);
            return;
        }
        boolean kept;
        if (cache.thread != null) {
            kept = cache.keep(slot, b.size());
        } else {
            synchronized (cache) {
                kept = cache.keep(slot, b.size());
            }
        }
        if (!kept) {
            pool.give(slot, b.size(), true);
        }
    }

    /** Wipes a damaged slot and takes it out of use for good. */
    void quarantine(Slot slot) {
        Zeros.fill(slot.run.address(), slot.run.byteSize());
        slot.quarantined = true;
        corruption.quarantined();
    }

    /** Checks the canary of a live block (verify()); a bad one is wiped and its slot never reused. */
    boolean checkLive(IsolatedBlock b) {
        synchronized (b) {
            if (b.freed || b.quarantined || b.protect) {
                return true; // protected pages are PROT_NONE: their canary is checked when they are freed
            }
            if (b.canaryIntact() && Zeros.isZero(b.slot.run.address(), b.canaryOffset())) {
                return true;
            }
            b.quarantined = true;
            quarantine(b.slot);
            return false;
        }
    }

    /**
     * {@return how many isolated slots were damaged: canary or padding overwritten, or written after free} The
     * calling thread's cached slots and the shared ones go back to their pools first, so they are checked in full.
     */
    public int verify() {
        returnCachesToPools();
        int bad = 0;
        for (Pool p : pools.values()) {
            bad += p.verify();
        }
        return bad;
    }

    /**
     * The calling thread's cached slots, the shared ones and dead threads' go back to their pools; other living
     * threads keep theirs.
     */
    private void returnCachesToPools() {
        SlotCache[] mine = caches.mineIfAny();
        if (mine != null) {
            flush(mine);
        }
        flush(caches.shared());
        caches.reclaimDead();
    }

    /** {@return what this tier holds} */
    public Counts counts() {
        caches.reclaimDead();
        Counts sum = Counts.ZERO;
        for (Pool p : pools.values()) {
            sum = sum.plus(p.counts());
        }
        for (SlotCache[] cs : caches.all()) {
            for (int pages = 1; pages < cs.length; pages++) {
                sum = sum.plus(new Counts(cs[pages].live(), cs[pages].bytes(), 0));
            }
        }
        return sum;
    }

    /**
     * Gives back every region of free slots the pools keep, whatever {@link #POOL_CAP}: another allocation needs
     * the memory. The calling thread's cached slots, the shared ones and dead threads' go back to their pools
     * first; other living threads keep theirs (at most {@link SlotCache#BYTES} per pool each).
     */
    public void trim() {
        returnCachesToPools();
        for (Pool p : pools.values()) {
            p.trim();
        }
    }

    /**
     * {@return how many free slots of this tier were written after they were freed, in a pool or in any thread's
     * cache} Asked just before {@link #release()}, when nothing is live and nothing is allocating.
     */
    public int damagedBeforeRelease() {
        int damaged = 0;
        for (Pool p : pools.values()) {
            damaged += p.damagedFreeSlots();
        }
        return damaged;
    }

    /** Unmaps every slot; the caller made sure nothing is live and nothing is allocating. */
    public void release() {
        for (Pool p : pools.values()) {
            p.release();
        }
        for (SlotCache[] cs : caches.all()) {
            for (int pages = 1; pages < cs.length; pages++) {
                cs[pages].forget();
            }
        }
    }
}
