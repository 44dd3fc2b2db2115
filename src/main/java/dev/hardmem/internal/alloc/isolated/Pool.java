package dev.hardmem.internal.alloc.isolated;

import dev.hardmem.internal.alloc.region.Counts;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.region.Region;
import dev.hardmem.internal.alloc.region.Zeros;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The slots of one page count and alignment, behind one lock (its monitor), with the count of live secrets in them.
 * Slots aligned to a page are mapped in batches whose neighbours share guard pages; a slot aligned above a page is
 * mapped alone, placed so that its user bytes, one page into the run, start at a multiple of the alignment.
 */
final class Pool {
    /** A region of slots and how many of them are handed out. */
    static final class PoolRegion {
        final Region region;
        final List<Slot> slots = new ArrayList<>();
        int inUse;

        PoolRegion(Region region) {
            this.region = region;
        }
    }

    private final IsolatedTier tier;
    final long pages;
    /** The alignment of the user bytes its slots promise: the page, or more. */
    final long alignment;
    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    private final List<PoolRegion> regions = new ArrayList<>();
    private long slots;
    private long live;
    private long bytes;
    /** Bytes of free slots kept mapped: written under this pool's lock, read without it for the cap. */
    volatile long freeBytes;

    Pool(IsolatedTier tier, long pages, long alignment) {
        this.tier = tier;
        this.pages = pages;
        this.alignment = alignment;
    }

    /** Takes a slot for a secret of {@code size} bytes, mapping a batch of slots if none is free. */
    synchronized Slot take(long size) {
        Slot s = free.pollFirst();
        if (s == null) {
            int n = alignment > Layout.PAGE ? 1 : Layout.isolatedBatch(pages);
            // Above a page, the user bytes start one page into the run (Layout.isolatedUserOffset).
            PoolRegion r = new PoolRegion(tier.regions.map(n, pages * Layout.PAGE, alignment, Layout.PAGE));
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
        s.clear();
        live--;
        bytes -= size;
        putBack(s, reuse);
    }

    /**
     * Takes back the slots of a thread's cache, free and zeroed, and the counts the cache kept ({@code live} and
     * {@code bytes}: allocations minus frees through it).
     */
    synchronized void takeBack(Slot[] cached, int n, long live, long bytes) {
        this.live += live;
        this.bytes += bytes;
        for (int i = 0; i < n; i++) {
            putBack(cached[i], true);
        }
    }

    /** A slot out of the pool comes back: to the free list, or (not {@code reuse}) quarantined for good. */
    private void putBack(Slot s, boolean reuse) {
        PoolRegion r = s.region;
        r.inUse--;
        if (!reuse) {
            return; // quarantined: never handed out again (its region is unmapped with the others at close)
        }
        free.addLast(s);
        freeBytes += s.run.byteSize();
        if (r.inUse == 0 && tier.pooledFreeBytes() > IsolatedTier.POOL_CAP) {
            unmapIfFree(r);
        }
    }

    /**
     * Unmaps {@code r} if none of its slots is handed out or quarantined, and every free one is still zero: a slot
     * written after it was freed keeps its region mapped until {@link #verify()} or the allocation that draws it
     * reports it, since unmapping would wipe the evidence. The caller holds this pool's lock.
     */
    private void unmapIfFree(PoolRegion r) {
        if (r.inUse != 0 || r.slots.stream().anyMatch(x -> x.quarantined)) {
            return;
        }
        for (Slot slot : r.slots) {
            if (!Zeros.isZero(slot.run.address(), slot.run.byteSize())) {
                return;
            }
        }
        free.removeIf(x -> x.region == r);
        regions.remove(r);
        long runs = r.region.runs().length;
        slots -= runs;
        freeBytes -= runs * pages * Layout.PAGE;
        tier.regions.unmap(r.region);
    }

    /** Unmaps every region none of whose slots is handed out or quarantined. */
    synchronized void trim() {
        for (PoolRegion r : List.copyOf(regions)) {
            unmapIfFree(r);
        }
    }

    synchronized Counts counts() {
        return new Counts(live, bytes, slots);
    }

    synchronized void release() {
        for (PoolRegion r : regions) {
            tier.regions.unmap(r.region);
        }
        freeBytes -= (long) free.size() * pages * Layout.PAGE;
        regions.clear();
        free.clear();
        slots = 0;
    }

    /**
     * {@return how many slots, not quarantined and holding no secret, are not all zeros} Asked just before the pool
     * is released, when nothing is live: a slot in the free list or in any thread's cache counts alike.
     */
    synchronized int damagedFreeSlots() {
        int damaged = 0;
        for (PoolRegion r : regions) {
            for (Slot slot : r.slots) {
                if (!slot.quarantined && slot.block() == null
                        && !Zeros.isZero(slot.run.address(), slot.run.byteSize())) {
                    damaged++;
                }
            }
        }
        return damaged;
    }

    /**
     * Checks every live, unprotected secret in this pool (canary, and the padding below it) and every free slot in
     * the pool (all zeros: nothing wrote to it after it was freed). A damaged free slot is wiped and quarantined
     * here. Free slots in a thread's cache are checked when they are next handed out.
     *
     * @return how many slots were damaged
     */
    synchronized int verify() {
        int bad = 0;
        for (PoolRegion r : regions) {
            for (Slot slot : r.slots) {
                IsolatedBlock b = slot.block(); // pairs with the release store in IsolatedTier.allocate
                if (b != null) {
                    bad += tier.checkLive(b) ? 0 : 1;
                } else if (!slot.quarantined && free.contains(slot)
                        && !Zeros.isZero(slot.run.address(), slot.run.byteSize())) {
                    tier.quarantine(slot);
                    free.remove(slot);
                    bad++;
                }
            }
        }
        return bad;
    }
}
