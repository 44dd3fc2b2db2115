package dev.hardmem.internal.alloc.slab;

import dev.hardmem.internal.alloc.region.Layout;

/**
 * Slots of one size class held by one holder: ready ones (zeroed and checked, handed out in random order) and
 * recently freed ones waiting in a delay ring. A platform thread's magazine is touched only by its thread (or,
 * after the thread died, under the class lock by whoever reclaims it), so allocating and freeing take no lock and
 * no atomic instruction; the magazine virtual threads share is the same code behind its own monitor. It refills
 * from, and flushes to, the class's pool in batches under the class lock.
 *
 * <p>Slots are held as {@code long} handles (slab id, slot index), not as references: a reference stored into a
 * long-lived array costs a G1 write barrier with a memory fence, several times per allocation.
 */
final class Magazine {
    /** Freed slots a magazine holds back before they can be handed out again. */
    static final int DELAY = 8;

    /** The thread it belongs to; {@code null} for the magazine virtual threads share. */
    final Thread thread;
    final SizeClass cls;
    /** Seed of this magazine's own generator, kept in the object itself: one cache line less per allocation. */
    private long seed;
    final long[] readySlots;
    int ready;
    final DelayRing ring = new DelayRing(DELAY);
    /** Allocations minus frees through this magazine (negative when its thread frees others' secrets). */
    long live;
    long bytes;

    Magazine(Thread thread, SizeClass cls, long seed) {
        this.thread = thread;
        this.cls = cls;
        this.seed = seed;
        this.readySlots = new long[capacity(Layout.slabSlots(cls.classSize))];
    }

    /** {@return the most ready slots a magazine holds for a class with {@code slots} per slab} It refills half. */
    static int capacity(int slots) {
        return Math.max(2, Math.min(16, slots / 4));
    }

    SlabBlock allocate(long size) {
        while (true) {
            if (ready == 0) {
                cls.refill(this);
            }
            // Uniform enough for reuse order (bias below 2^-32), without nextInt(bound)'s division.
            int k = (int) (((nextRandom() >>> 32) * ready) >>> 32);
            long h = readySlots[k];
            readySlots[k] = readySlots[--ready];
            Slab s = cls.slab(h);
            int i = (int) h;
            if (s.fitToHandOut(i)) {
                int generation = s.makeLive(i);
                s.markEnd(i, size);
                live++;
                bytes += size;
                return new SlabBlock(s, i, generation, size, this);
            }
            // Damaged while it waited: quarantined here; reported unless verify() did already, then draw again.
            boolean reported = s.isCondemned(i);
            cls.quarantineOwned(s, i);
            if (!reported) {
                throw cls.tier.corruption.writeAfterFree("a slab slot of class " + cls.classSize);
            }
        }
    }

    /** {@return the next output of a SplitMix64 generator (Steele, Lea and Flood, 2014) over {@link #seed}} */
    private long nextRandom() {
        long z = seed += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    void free(SlabBlock b) {
        Slab s = b.slab;
        int i = b.index;
        Slab.Outcome outcome = s.retire(b, cls.tier.listener);
        live--;
        bytes -= b.size();
        if (outcome != Slab.Outcome.INTACT) {
            cls.quarantineOwned(s, i);
            if (outcome == Slab.Outcome.DAMAGED) {
                throw cls.tier.corruption.overrun(b.size(), "a slab of class " + cls.classSize);
            }
            return; // condemned: verify() reported it already
        }
        s.setState(i, SlotState.CACHED);
        long oldest = ring.offer(SizeClass.handle(s, i));
        if (oldest != DelayRing.NONE) {
            if (ready == readySlots.length) {
                cls.takeBack(this, readySlots.length / 2, false);
            }
            readySlots[ready++] = oldest;
        }
    }

    /** Drops every slot without giving it back (the allocator was closed and its slabs unmapped). */
    void forget() {
        ready = 0;
        ring.clear();
    }
}
