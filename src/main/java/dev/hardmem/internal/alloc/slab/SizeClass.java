package dev.hardmem.internal.alloc.slab;

import dev.hardmem.internal.alloc.region.Counts;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.region.Region;
import dev.hardmem.internal.alloc.region.Zeros;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The slabs of one size class and the pool of their free slots, behind the class's lock (its monitor). Magazines
 * refill from the pool and flush to it in batches; a slab none of whose slots is out of the pool is unmapped when
 * another slab of the class has room.
 */
final class SizeClass {
    final SlabTier tier;
    final int classSize;
    final int index;
    final List<Slab> slabs = new ArrayList<>();
    private final ArrayDeque<Slab> available = new ArrayDeque<>();
    /**
     * Slabs by id, for handles. Written under the lock; read without it by magazines, which only look up ids of
     * slots they hold (a slab is unmapped, and its id freed, only when no slot of it is out of the pool). Replaced,
     * never resized in place, so a reader sees either table whole.
     */
    private volatile Slab[] byId = new Slab[4];
    private final SplittableRandom random;
    /** Live secrets and their bytes counted by magazines that were given back (their threads died). */
    long live;
    long bytes;

    SizeClass(SlabTier tier, int index, long seed) {
        this.tier = tier;
        this.index = index;
        this.classSize = Layout.CLASSES[index];
        this.random = new SplittableRandom(seed);
    }

    /** {@return the handle of slot {@code i} of {@code s}: its slab's id in the class, and its index} */
    static long handle(Slab s, int i) {
        return ((long) s.id << 32) | i;
    }

    /** {@return the slab of handle {@code h}} */
    Slab slab(long h) {
        return byId[(int) (h >>> 32)];
    }

    /** Moves up to half a magazine of free slots from the pool into {@code m}; maps a slab if needed. */
    synchronized void refill(Magazine m) {
        int want = Math.max(1, m.readySlots.length / 2);
        while (m.ready < want) {
            Slab s = available.peekFirst();
            if (s == null) {
                if (m.ready > 0) {
                    return; // enough to go on with
                }
                tier.reclaimDeadThreadsOf(this); // their free slots first, before mapping more memory
                s = available.peekFirst();
                if (s == null) {
                    s = newSlab();
                }
            }
            int i = takeFrom(s);
            if (i >= 0) {
                s.setState(i, SlotState.CACHED);
                m.readySlots[m.ready++] = handle(s, i);
            }
        }
    }

    /** {@return a random free slot of {@code s} taken out of the pool, or -1 if it was quarantined} */
    private int takeFrom(Slab s) {
        int k = (int) (((random.nextLong() >>> 32) * s.freeCount) >>> 32);
        int i = s.free[k];
        s.free[k] = s.free[--s.freeCount];
        if (s.freeCount == 0) {
            available.pollFirst();
            s.available = false;
        }
        if (s.state(i) == SlotState.QUARANTINED) {
            return -1; // verify() quarantined it while it waited in the pool: never handed out again
        }
        s.out++;
        return i;
    }

    /**
     * Returns {@code m}'s ready slots beyond {@code keep} to the pool; if {@code all}, also its delay ring (those
     * slots wait out the rest of their delay in their slab's ring) and its counts (its holder is done with them).
     * The caller holds {@code m}, or {@code m}'s thread is dead or the caller.
     */
    synchronized void takeBack(Magazine m, int keep, boolean all) {
        while (m.ready > keep) {
            toPool(m.readySlots[--m.ready], false);
        }
        if (!all) {
            return;
        }
        live += m.live;
        bytes += m.bytes;
        m.live = 0;
        m.bytes = 0;
        for (long h = m.ring.poll(); h != DelayRing.NONE; h = m.ring.poll()) {
            toPool(h, true); // still waiting out its delay: it waits out the rest in its slab's ring
        }
    }

    /** Returns the slot of handle {@code h} from a magazine to the pool: free, or first {@code delayed}. */
    private void toPool(long h, boolean delayed) {
        Slab s = slab(h);
        int i = (int) h;
        if (!quarantinedIfCondemned(s, i)) {
            s.out--;
            if (delayed) {
                delay(s, i);
            } else {
                makeFree(s, i);
            }
        }
        releaseIfEmpty(s);
    }

    /**
     * Quarantines slot {@code i}, which is out of the pool, if verify() condemned it while a holder had it.
     *
     * @return whether it did (the slot then no longer counts as out)
     */
    private boolean quarantinedIfCondemned(Slab s, int i) {
        if (!s.isCondemned(i) || s.state(i) == SlotState.QUARANTINED) {
            return false;
        }
        quarantine(s, i); // already reported by verify()
        s.out--;
        return true;
    }

    /** Puts a freed slot in its slab's delay ring; the one that has waited longest there becomes free. */
    private void delay(Slab s, int i) {
        s.setState(i, SlotState.DELAYED);
        long oldest = s.delayed.offer(i);
        if (oldest != DelayRing.NONE && s.state((int) oldest) == SlotState.DELAYED) {
            makeFree(s, (int) oldest); // unless verify() quarantined it while it waited
        }
    }

    private void makeFree(Slab s, int i) {
        s.setState(i, SlotState.FREE);
        s.free[s.freeCount++] = i;
        if (!s.available) {
            s.available = true;
            available.addLast(s);
        }
    }

    /**
     * Unmaps a slab none of whose slots is out of the pool when another slab of the class still has free slots, so
     * pools do not keep memory locked at their high-water mark forever (each class keeps at most one empty slab).
     *
     * <p>A slab with a damaged free slot (written after it was freed, or its canary overwritten) stays mapped, the
     * damage untouched: unmapping would wipe the evidence. It is then reported as any damaged free slot is, by
     * {@link #verify()} or by the allocation that draws it, which quarantine it; the slab can go once it is.
     */
    private void releaseIfEmpty(Slab s) {
        if (s.out != 0 || slabs.size() < 2) {
            return;
        }
        boolean otherHasRoom = false;
        for (Slab o : available) {
            otherHasRoom |= o != s;
        }
        if (!otherHasRoom || !s.freeSlotsIntact()) {
            return;
        }
        unmap(s);
    }

    /** Unmaps {@code s}, none of whose slots is out of the pool. The caller holds this class's lock. */
    private void unmap(Slab s) {
        slabs.remove(s);
        byId[s.id] = null;
        available.remove(s);
        s.available = false;
        s.freeCount = 0;
        tier.regions.unmap(s.region);
    }

    /**
     * Unmaps every slab none of whose slots is out of the pool, the last one too: another allocation needs it. A
     * slab with a damaged free slot stays, as in {@link #releaseIfEmpty}.
     */
    synchronized void trim() {
        for (Slab s : List.copyOf(slabs)) {
            if (s.out == 0 && s.freeSlotsIntact()) {
                unmap(s);
            }
        }
    }

    /** {@return damaged slots in every slab of this class} Asked when nothing is live: see {@link Slab#damagedSlots}. */
    synchronized int damagedSlots() {
        int damaged = 0;
        for (Slab s : slabs) {
            damaged += s.damagedSlots();
        }
        return damaged;
    }

    /** Wipes and quarantines a damaged slot its caller holds (in a magazine, or live). */
    synchronized void quarantineOwned(Slab s, int i) {
        quarantine(s, i);
        s.out--;
        releaseIfEmpty(s);
    }

    private void quarantine(Slab s, int i) {
        s.quarantine(i);
        tier.corruption.quarantined();
    }

    private Slab newSlab() {
        Region r = tier.regions.map(1, Layout.slabDataBytes(classSize));
        Slab[] table = byId;
        int id = 0;
        while (id < table.length && table[id] != null) {
            id++;
        }
        if (id == table.length) {
            table = Arrays.copyOf(table, table.length * 2);
        }
        Slab s = new Slab(this, id, r);
        table[id] = s;
        byId = table;
        slabs.add(s);
        s.available = true;
        available.addFirst(s);
        return s;
    }

    /**
     * Checks the canary of every slot and the zeros of every slot in the pool. A damaged pooled slot is quarantined
     * here; a damaged slot a holder has is condemned, for its holder to quarantine.
     *
     * @return what it found, one entry per damaged slot
     */
    synchronized List<String> verify() {
        List<String> problems = new ArrayList<>();
        for (Slab s : slabs) {
            for (int i = 0; i < s.slots(); i++) {
                SlotState st = s.state(i);
                if (st == SlotState.QUARANTINED || s.isCondemned(i)) {
                    continue;
                }
                if (!s.canaryIntact(i)) {
                    problems.add("canary after slot " + i);
                    if (st.pooled()) {
                        quarantine(s, i);
                    } else {
                        s.condemn(i); // its holder wipes and quarantines it
                    }
                } else if (st.pooled() && !Zeros.isZero(s.slotAddress(i), classSize)) {
                    problems.add("write after free in slot " + i);
                    quarantine(s, i);
                }
            }
        }
        return problems;
    }

    /** {@return live secrets, their bytes and slabs counted by the pool} The caller adds the magazines'. */
    synchronized Counts poolCounts() {
        return new Counts(live, bytes, slabs.size());
    }

    /** Unmaps every slab; the caller made sure nothing is live and nothing is allocating. */
    synchronized void release() {
        for (Slab s : slabs) {
            tier.regions.unmap(s.region);
        }
        slabs.clear();
        available.clear();
        Arrays.fill(byId, null);
    }
}
