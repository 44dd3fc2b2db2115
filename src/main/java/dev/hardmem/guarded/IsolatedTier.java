package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.Block;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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

    private final GuardedHeap heap;
    private final ConcurrentHashMap<Long, Pool> pools = new ConcurrentHashMap<>();

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

    private final AtomicLong pooledFreeBytes = new AtomicLong();

    /** A region of slots and how many of them are handed out. */
    private static final class PoolRegion {
        final Regions.Region region;
        int inUse;

        PoolRegion(Regions.Region region) {
            this.region = region;
        }
    }

    /** The slots of one page count. */
    private final class Pool {
        final long pages;
        final ArrayDeque<Slot> free = new ArrayDeque<>();
        final List<PoolRegion> regions = new ArrayList<>();
        long slots;

        Pool(long pages) {
            this.pages = pages;
        }

        synchronized Slot take() {
            Slot s = free.pollFirst();
            if (s == null) {
                int n = Layout.isolatedBatch(pages);
                PoolRegion r = new PoolRegion(heap.regions().map(n, pages * Layout.PAGE));
                regions.add(r);
                for (MemorySegment run : r.region.runs()) {
                    free.addLast(new Slot(this, r, run));
                }
                slots += n;
                pooledFreeBytes.addAndGet(n * pages * Layout.PAGE);
                s = free.pollFirst();
            }
            s.region.inUse++;
            pooledFreeBytes.addAndGet(-s.run.byteSize());
            return s;
        }

        synchronized void give(Slot s) {
            free.addLast(s);
            pooledFreeBytes.addAndGet(s.run.byteSize());
            PoolRegion r = s.region;
            if (--r.inUse == 0 && pooledFreeBytes.get() > POOL_CAP) {
                free.removeIf(x -> x.region == r);
                regions.remove(r);
                long runs = r.region.runs().length;
                slots -= runs;
                pooledFreeBytes.addAndGet(-runs * pages * Layout.PAGE);
                heap.regions().unmap(r.region);
            }
        }

        synchronized void release() {
            for (PoolRegion r : regions) {
                heap.regions().unmap(r.region);
                pooledFreeBytes.addAndGet(-(r.region.runs().length - r.inUse) * pages * Layout.PAGE);
            }
            regions.clear();
            free.clear();
            slots = 0;
        }
    }

    /** One run of data pages between two guard pages. */
    final class Slot {
        final Pool pool;
        final PoolRegion region;
        final MemorySegment run;

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
        Pool pool = pools.computeIfAbsent(pages, Pool::new);
        Slot slot = pool.take();
        long runBytes = slot.run.byteSize();
        if (!GuardedHeap.isZero(slot.run, 0, runBytes)) {
            quarantine(slot);
            heap.corruption("an isolated slot of " + pages + " page(s) was written after it was freed"
                    + " (found when it was next allocated)");
        }
        long userOffset = Layout.isolatedUserOffset(runBytes, size, alignment);
        long c0 = heap.canaryWord() & ~0xFFL;
        long c1 = heap.canaryWord();
        slot.run.set(LONG, userOffset - Layout.CANARY, c0);
        slot.run.set(LONG, userOffset - Layout.CANARY + 8, c1);
        IsolatedBlock b = new IsolatedBlock(slot, userOffset, size, c0, c1, protect);
        if (protect) {
            Libc.mprotect(slot.run, Platform.PROT_NONE);
        }
        return b;
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
            if (b.quarantined) {
                return; // verify() found it corrupted, reported it and wiped it; its slot is never reused
            }
        }
        MemorySegment run = b.slot.run;
        if (b.protect) {
            Libc.mprotect(run, RW);
        }
        SecretAllocator.beforeFree(b.raw);
        long end = b.userOffset + b.raw.byteSize();
        boolean intact = b.canaryIntact()
                && GuardedHeap.isZero(run, 0, b.userOffset - Layout.CANARY)
                && GuardedHeap.isZero(run, end, run.byteSize() - end);
        run.fill((byte) 0);
        if (!intact) {
            quarantine(b.slot);
            heap.corruption("the canary or padding around an isolated " + b.raw.byteSize() + "-byte secret was"
                    + " overwritten: something wrote outside the secret");
        }
        b.slot.pool.give(b.slot);
    }

    /** Checks the canary of a live block (verify()); a bad one is wiped and its slot never reused. */
    boolean check(IsolatedBlock b) {
        synchronized (b) {
            if (b.freed || b.quarantined || b.protect) {
                return true; // protected pages are PROT_NONE: their canary is checked when they are freed
            }
            if (b.canaryIntact()) {
                return true;
            }
            b.quarantined = true;
            quarantine(b.slot);
            return false;
        }
    }

    private void quarantine(Slot s) {
        s.run.fill((byte) 0);
        heap.quarantined.increment();
    }

    long slotCount() {
        long n = 0;
        for (Pool p : pools.values()) {
            synchronized (p) {
                n += p.slots;
            }
        }
        return n;
    }

    void release() {
        for (Pool p : pools.values()) {
            p.release();
        }
    }
}
