package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.Block;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One secret per run of pages: a leading guard page, a canary, the user bytes ending against a trailing guard page.
 * Slots are pooled by page count and mapped in batches whose neighbours share guard pages, so allocating from the
 * pool makes no system call. With access-scoped protection, a slot's pages are {@code PROT_NONE} except while a
 * {@code read} (read-only) or {@code write} (read-write) is open on it; opens are counted, so nested and concurrent
 * readers work.
 */
final class IsolatedTier {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int RW = Platform.PROT_READ | Platform.PROT_WRITE;

    private static final VarHandle BLOCK;

    static {
        try {
            BLOCK = MethodHandles.lookup().findVarHandle(Slot.class, "block", IsolatedBlock.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final GuardedHeap heap;
    private final ConcurrentHashMap<Long, Pool> pools = new ConcurrentHashMap<>();
    /** The pools of up to {@link #SMALL_POOLS} pages, also reachable by index: no map lookup on the common path. */
    private static final int SMALL_POOLS = 64;
    private final Pool[] smallPools = new Pool[SMALL_POOLS];

    private Pool newPool(long pages) {
        Pool p = new Pool(pages);
        if (pages < SMALL_POOLS) {
            smallPools[(int) pages] = p; // racy publication is fine: a reader that misses it uses the map
        }
        return p;
    }

    IsolatedTier(GuardedHeap heap) {
        this.heap = heap;
    }

    /**
     * Free pooled bytes the tier keeps mapped (and locked) for reuse; past it, a region whose slots are all free is
     * unmapped when its last slot comes back. Without a cap, pools would stay at their high-water mark for the life
     * of the process, and anyone who can make the process allocate large secrets (say, by sending forged
     * ciphertexts of many sizes) could use up the memlock budget.
     */
    static final long POOL_CAP = 1L << 20;

    /** {@return the free pooled bytes of every pool} Read without their locks: the cap is a bound, not a count. */
    private long pooledFreeBytes() {
        long sum = 0;
        for (Pool p : pools.values()) {
            sum += p.freeBytes;
        }
        return sum;
    }

    /** A region of slots and how many of them are handed out. */
    private static final class PoolRegion {
        final Regions.Region region;
        final List<Slot> slots = new ArrayList<>();
        int inUse;

        PoolRegion(Regions.Region region) {
            this.region = region;
        }
    }

    /** The slots of one page count, behind one lock, with the count of live secrets in them. */
    private final class Pool {
        final long pages;
        final ArrayDeque<Slot> free = new ArrayDeque<>();
        final List<PoolRegion> regions = new ArrayList<>();
        long slots;
        long live;
        long bytes;
        /** Bytes of free slots kept mapped: written under this pool's lock, read without it for the cap. */
        long freeBytes;

        Pool(long pages) {
            this.pages = pages;
        }

        /** Takes a slot for a secret of {@code size} bytes; fails if the allocator was closed meanwhile. */
        synchronized Slot take(long size) {
            Slot s = free.pollFirst();
            if (s == null) {
                int n = Layout.isolatedBatch(pages);
                PoolRegion r = new PoolRegion(heap.regions().map(n, pages * Layout.PAGE));
                regions.add(r);
                for (MemorySegment run : r.region.runs()) {
                    Slot slot = new Slot(this, r, run);
                    r.slots.add(slot);
                    free.addLast(slot);
                }
                slots += n;
                freeBytes += n * pages * Layout.PAGE;
                s = free.pollFirst();
            }
            s.region.inUse++;
            live++;
            bytes += size;
            freeBytes -= s.run.byteSize();
            return s;
        }

        /** A secret left its slot: the slot goes back to the pool ({@code reuse}) or is quarantined forever. */
        synchronized void give(Slot s, long size, boolean reuse) {
            s.block = null;
            s.held = null;
            live--;
            bytes -= size;
            PoolRegion r = s.region;
            r.inUse--;
            if (!reuse) {
                return; // quarantined: never handed out again (its region is unmapped with the others at close)
            }
            free.addLast(s);
            freeBytes += s.run.byteSize();
            if (r.inUse == 0 && pooledFreeBytes() > POOL_CAP && r.slots.stream().noneMatch(x -> x.quarantined)) {
                free.removeIf(x -> x.region == r);
                regions.remove(r);
                long runs = r.region.runs().length;
                slots -= runs;
                freeBytes -= runs * pages * Layout.PAGE;
                heap.regions().unmap(r.region);
            }
        }

        synchronized long[] counts() {
            return new long[] {live, bytes, slots};
        }

        synchronized void release() {
            for (PoolRegion r : regions) {
                heap.regions().unmap(r.region);
            }
            freeBytes -= (long) free.size() * pages * Layout.PAGE;
            regions.clear();
            free.clear();
            slots = 0;
        }

        /**
         * Checks every live, unprotected secret in this pool (canary, and the padding below it) and every free
         * slot (all zeros: nothing wrote to it after it was freed).
         */
        synchronized int verify() {
            int bad = 0;
            for (PoolRegion r : regions) {
                for (Slot slot : r.slots) {
                    IsolatedBlock b = (IsolatedBlock) BLOCK.getAcquire(slot); // pairs with allocate()
                    if (b != null) {
                        bad += check(b) ? 0 : 1;
                    } else if (!slot.quarantined && free.contains(slot)
                            && !GuardedHeap.isZero(slot.run, 0, slot.run.byteSize())) {
                        slot.run.fill((byte) 0);
                        slot.quarantined = true;
                        free.remove(slot);
                        heap.quarantined.increment();
                        bad++;
                    }
                }
            }
            return bad;
        }
    }

    /** One run of data pages between two guard pages, and the secret in it, if any. */
    final class Slot {
        final Pool pool;
        final PoolRegion region;
        final MemorySegment run;
        IsolatedBlock block;
        /** What the owner of the live secret asked the allocator to keep reachable (its leak watch). */
        Object held;
        boolean quarantined;

        Slot(Pool pool, PoolRegion region, MemorySegment run) {
            this.pool = pool;
            this.region = region;
            this.run = run;
        }
    }

    /** An isolated secret handed out, with its canary and the counts of open accesses. */
    final class IsolatedBlock implements Block {
        final Slot slot;
        final MemorySegment raw;
        final long userOffset;
        final long canary0;
        final long canary1;
        final boolean protect;
        private int readers;
        private int writers;
        private boolean freed;
        private boolean quarantined;
        private int lastProtection = Platform.PROT_NONE;

        IsolatedBlock(Slot slot, long userOffset, long size, long canary0, long canary1, boolean protect) {
            this.slot = slot;
            this.userOffset = userOffset;
            this.raw = slot.run.asSlice(userOffset, size);
            this.canary0 = canary0;
            this.canary1 = canary1;
            this.protect = protect;
        }

        @Override
        public MemorySegment raw() {
            return raw;
        }

        IsolatedTier tier() {
            return IsolatedTier.this;
        }

        @Override
        public void hold(Object watch) {
            slot.held = watch;
        }

        @Override
        public synchronized void enter(boolean writable) {
            if (!protect) {
                return;
            }
            // Change the protection first and count only once it succeeded: a failed mprotect must leave the
            // counts telling the truth about the pages, or a later access would touch PROT_NONE memory.
            reprotect(writable ? readers : readers + 1, writable ? writers + 1 : writers);
            if (writable) {
                writers++;
            } else {
                readers++;
            }
        }

        @Override
        public synchronized void exit(boolean writable) {
            if (!protect) {
                return;
            }
            int r = writable ? readers : readers - 1;
            int w = writable ? writers - 1 : writers;
            readers = r;
            writers = w;
            // Counted first: if narrowing the protection fails, the pages stay more open than needed, never less.
            reprotect(r, w);
        }

        private static int protection(int readers, int writers) {
            return writers > 0 ? RW : readers > 0 ? Platform.PROT_READ : Platform.PROT_NONE;
        }

        private void reprotect(int newReaders, int newWriters) {
            int now = protection(newReaders, newWriters);
            if (now != lastProtection) { // lastProtection is what the pages really are
                Libc.mprotect(slot.run, now);
                lastProtection = now;
            }
        }

        boolean canaryIntact() {
            long off = userOffset - Layout.CANARY;
            return slot.run.get(LONG, off) == canary0 && slot.run.get(LONG, off + 8) == canary1;
        }
    }

    IsolatedBlock allocate(long size, long alignment, boolean protect) {
        if (alignment > Layout.PAGE) {
            throw new IllegalArgumentException("the guarded allocator aligns to at most the page size ("
                    + Layout.PAGE + "); asked for " + alignment);
        }
        long pages = Layout.isolatedPages(size, alignment);
        Pool pool = pages < SMALL_POOLS ? smallPools[(int) pages] : null;
        if (pool == null) {
            pool = pools.computeIfAbsent(pages, this::newPool);
        }
        Slot slot = pool.take(size);
        long runBytes = slot.run.byteSize();
        long userOffset = Layout.isolatedUserOffset(runBytes, size, alignment);
        long canaryOffset = userOffset - Layout.CANARY;
        // Write-after-free check of what this secret will occupy (canary, bytes, slack). The rest of the run
        // (the padding below the canary) was proved zero when the slot was last freed, and is checked again when
        // this secret is freed, so a stray write there is caught then.
        if (!GuardedHeap.isZero(slot.run, canaryOffset, runBytes - canaryOffset)) {
            slot.run.fill((byte) 0);
            slot.quarantined = true;
            pool.give(slot, size, false);
            heap.quarantined.increment();
            heap.corruption("an isolated slot of " + pages + " page(s) was written after it was freed"
                    + " (found when it was next allocated)");
        }
        long c0 = heap.canaryWord() & ~0xFFL;
        long c1 = heap.canaryWord();
        slot.run.set(LONG, canaryOffset, c0);
        slot.run.set(LONG, canaryOffset + 8, c1);
        IsolatedBlock b = new IsolatedBlock(slot, userOffset, size, c0, c1, protect);
        if (protect) {
            try {
                Libc.mprotect(slot.run, Platform.PROT_NONE);
            } catch (RuntimeException | Error e) {
                slot.run.asSlice(canaryOffset, Layout.CANARY).fill((byte) 0);
                pool.give(slot, size, true);
                throw e;
            }
        }
        // No lock: verify() tells a slot taken but not yet assigned from a free one by the free list. A release
        // store, so that whoever sees the block also sees the canary written into the slot before it (final fields
        // order the block's own fields, not native memory).
        BLOCK.setRelease(slot, b);
        return b;
    }

    /** {@return whether {@code block} was handed out by this tier} */
    boolean owns(IsolatedBlock block) {
        return block.tier() == this;
    }

    void free(IsolatedBlock b) {
        synchronized (b) {
            if (b.freed) {
                throw new IllegalStateException("this secret memory was already freed (double free);"
                        + " nothing was changed");
            }
            if (b.readers > 0 || b.writers > 0) {
                throw new IllegalStateException("this secret memory is being read or written; nothing was changed");
            }
            b.freed = true;
        }
        Slot slot = b.slot;
        long size = b.raw.byteSize();
        if (b.quarantined) {
            // verify() found it corrupted, reported it and wiped it: it just lets go, never to be reused.
            slot.pool.give(slot, size, false);
            return;
        }
        MemorySegment run = slot.run;
        if (b.protect) {
            Libc.mprotect(run, RW);
        }
        SecretAllocator.beforeFree(b.raw);
        long canaryOffset = b.userOffset - Layout.CANARY;
        long end = b.userOffset + size;
        // The canary and the slack up to the guard are checked here, at every free; the padding below the canary
        // (up to a page, which a linear underrun cannot reach without crossing the canary first) is checked by
        // verify(), for free and live slots alike: a full pass over it at every free would double the cost.
        boolean intact = b.canaryIntact() && GuardedHeap.isZero(run, end, run.byteSize() - end);
        if (!intact) {
            run.fill((byte) 0);
            slot.quarantined = true;
            slot.pool.give(slot, size, false);
            heap.quarantined.increment();
            heap.corruption("the canary or padding around an isolated " + size + "-byte secret was"
                    + " overwritten: something wrote outside the secret");
        }
        // Only the canary, the secret and the slack were ever written by this allocation: wipe them.
        run.asSlice(canaryOffset, run.byteSize() - canaryOffset).fill((byte) 0);
        slot.pool.give(slot, size, true);
    }

    /** Checks the canary of a live block (verify()); a bad one is wiped and its slot never reused. */
    private boolean check(IsolatedBlock b) {
        synchronized (b) {
            if (b.freed || b.quarantined || b.protect) {
                return true; // protected pages are PROT_NONE: their canary is checked when they are freed
            }
            if (b.canaryIntact() && GuardedHeap.isZero(b.slot.run, 0, b.userOffset - Layout.CANARY)) {
                return true;
            }
            b.quarantined = true;
            b.slot.quarantined = true;
            b.slot.run.fill((byte) 0);
            heap.quarantined.increment();
            return false;
        }
    }

    /** {@return how many isolated secrets failed their canary check} */
    int verify() {
        int bad = 0;
        for (Pool p : pools.values()) {
            bad += p.verify();
        }
        return bad;
    }

    /** {@return {live secrets, their bytes, slots mapped}} */
    long[] counts() {
        long[] sum = new long[3];
        for (Pool p : pools.values()) {
            long[] c = p.counts();
            for (int i = 0; i < 3; i++) {
                sum[i] += c[i];
            }
        }
        return sum;
    }

    void release() {
        for (Pool p : pools.values()) {
            p.release();
        }
    }
}
