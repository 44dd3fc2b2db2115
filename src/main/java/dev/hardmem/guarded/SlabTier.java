package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.Block;
import dev.hardmem.internal.alloc.SecretAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small secrets packed into slabs, one size class per slab. Guard pages around every slab, a random per-slab
 * canary (first byte zero, so string functions stop there) after every slot, metadata on the Java heap and never
 * in the slab, zero on free, a zero check on allocation (a write after free is caught when the slot comes back),
 * delayed and randomised reuse of freed slots.
 */
final class SlabTier {
    static final byte FREE = 0;
    static final byte LIVE = 1;
    static final byte DELAYED = 2;
    static final byte QUARANTINED = 3;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final GuardedHeap heap;
    private final SizeClass[] classes;

    SlabTier(GuardedHeap heap) {
        this.heap = heap;
        this.classes = new SizeClass[Layout.CLASSES.length];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new SizeClass(Layout.CLASSES[i], heap.seed());
        }
    }

    /** {@return whether the slab tier can hold {@code size} bytes at {@code alignment}} */
    static boolean fits(long size, long alignment) {
        return size <= Layout.MAX_SLAB_CLASS && alignment <= Layout.SLAB_ALIGNMENT;
    }

    Block allocate(long size) {
        return classes[Layout.classIndex(size)].allocate(size);
    }

    void free(SlabBlock b) {
        b.slab.owner.free(b);
    }

    /** {@return {live secrets, their bytes, slabs mapped}} */
    long[] counts() {
        long[] sum = new long[3];
        for (SizeClass c : classes) {
            long[] k = c.counts();
            for (int i = 0; i < 3; i++) {
                sum[i] += k[i];
            }
        }
        return sum;
    }

    /** Zeroes one slot: small classes with a few long stores, no slice object on the hot path. */
    private static void zeroSlot(MemorySegment data, long offset, int classSize) {
        if (classSize <= 64) {
            for (int k = 0; k < classSize; k += 8) {
                data.set(LONG, offset + k, 0L);
            }
        } else {
            data.asSlice(offset, classSize).fill((byte) 0);
        }
    }

    /** Checks every canary and every free slot of every slab. */
    void verify() {
        for (SizeClass c : classes) {
            c.verify();
        }
    }

    /** Unmaps every slab; the caller made sure nothing is live. */
    void release() {
        for (SizeClass c : classes) {
            synchronized (c) {
                for (Slab s : c.slabs) {
                    heap.regions().unmap(s.region);
                }
                c.slabs.clear();
                c.available.clear();
            }
        }
    }

    /** A slot handed out. {@code generation} tells a stale block (freed before) from the live one. */
    static final class SlabBlock implements Block {
        final Slab slab;
        final int index;
        final int generation;
        final MemorySegment raw;
        /** Set when a block that verify() quarantined while live is freed: it can be freed only once. */
        boolean released;

        SlabBlock(Slab slab, int index, int generation, MemorySegment raw) {
            this.slab = slab;
            this.index = index;
            this.generation = generation;
            this.raw = raw;
        }

        @Override
        public MemorySegment raw() {
            return raw;
        }

        @Override
        public void hold(Object watch) {
            slab.held[index] = watch;
        }
    }

    /** One slab: its region, canary and the state of each slot. */
    static final class Slab {
        final SizeClass owner;
        final Regions.Region region;
        final MemorySegment data;
        final long canary0;
        final long canary1;
        final byte[] state;
        final int[] generation;
        /** What the owner of each live slot asked the allocator to keep reachable (its leak watch). */
        final Object[] held;
        final int[] free;
        int freeCount;
        final int[] delayed;
        int delayedHead;
        int delayedCount;
        int live;
        boolean available;

        Slab(SizeClass owner, Regions.Region region, long canary0, long canary1, int slots) {
            this.owner = owner;
            this.region = region;
            this.data = region.runs()[0];
            this.canary0 = canary0;
            this.canary1 = canary1;
            this.state = new byte[slots];
            this.generation = new int[slots];
            this.held = new Object[slots];
            this.free = new int[slots];
            for (int i = 0; i < slots; i++) {
                free[i] = i;
            }
            this.freeCount = slots;
            // One spare cell: the ring holds DELAY slots (16, or a quarter of the slab) before reuse.
            this.delayed = new int[Math.max(1, Math.min(16, slots / 4)) + 1];
        }

        long slotOffset(int i) {
            return Layout.slotOffset(owner.classSize, i);
        }

        boolean canaryIntact(int i) {
            long off = Layout.slabCanaryOffset(owner.classSize, i);
            return data.get(LONG, off) == canary0 && data.get(LONG, off + 8) == canary1;
        }

        void writeCanary(int i) {
            long off = Layout.slabCanaryOffset(owner.classSize, i);
            data.set(LONG, off, canary0);
            data.set(LONG, off + 8, canary1);
        }
    }

    /** The slabs of one size class, behind one lock. */
    final class SizeClass {
        final int classSize;
        final List<Slab> slabs = new ArrayList<>();
        final ArrayDeque<Slab> available = new ArrayDeque<>();
        private final SplittableRandom random;
        /** Live secrets and their bytes in this class: counted under the class lock, no atomics on the hot path. */
        long live;
        long bytes;

        SlabTier tier() {
            return SlabTier.this;
        }

        SizeClass(int classSize, long seed) {
            this.classSize = classSize;
            this.random = new SplittableRandom(seed);
        }

        synchronized Block allocate(long size) {
            Slab s;
            int i;
            do {
                s = available.peekFirst();
                if (s == null) {
                    s = newSlab();
                }
                int k = random.nextInt(s.freeCount);
                i = s.free[k];
                s.free[k] = s.free[--s.freeCount];
                if (s.freeCount == 0) {
                    available.pollFirst();
                    s.available = false;
                }
                // A slot verify() quarantined while it waited in the free list or the delay queue is dropped here:
                // quarantined slots are never handed out again.
            } while (s.state[i] == QUARANTINED);
            long off = s.slotOffset(i);
            if (!GuardedHeap.isZero(s.data, off, classSize) || !s.canaryIntact(i)) {
                quarantine(s, i);
                heap.corruption("a slab slot of class " + classSize + " was written after it was freed"
                        + " (found when it was next allocated)");
            }
            s.state[i] = LIVE;
            int gen = ++s.generation[i];
            s.live++;
            live++;
            bytes += size;
            return new SlabBlock(s, i, gen, s.data.asSlice(off, size));
        }

        synchronized void free(SlabBlock b) {
            Slab s = b.slab;
            int i = b.index;
            if (s.state[i] == QUARANTINED && s.generation[i] == b.generation && !b.released) {
                // verify() found it corrupted while live, reported it, wiped it: freeing it just lets it go.
                s.held[i] = null;
                b.released = true;
                s.live--;
                live--;
                bytes -= b.raw.byteSize();
                releaseIfEmpty(s);
                return;
            }
            if (s.state[i] != LIVE || s.generation[i] != b.generation) {
                throw new IllegalStateException("this secret memory was already freed (double free);"
                        + " nothing was changed");
            }
            SecretAllocator.beforeFree(b.raw); // only once the block is known to be live and mapped
            s.held[i] = null;
            long off = s.slotOffset(i);
            long size = b.raw.byteSize();
            boolean intact = s.canaryIntact(i) && GuardedHeap.isZero(s.data, off + size, classSize - size);
            zeroSlot(s.data, off, classSize);
            s.live--;
            live--;
            bytes -= size;
            if (!intact) {
                quarantine(s, i);
                releaseIfEmpty(s);
                heap.corruption("the canary after a " + size + "-byte secret in a slab of class " + classSize
                        + " was overwritten: something wrote past the end of the secret");
            }
            s.state[i] = DELAYED;
            s.delayed[(s.delayedHead + s.delayedCount) % s.delayed.length] = i;
            if (++s.delayedCount == s.delayed.length) {
                // The ring has one spare cell: it holds delayed.length - 1 slots, then lets the oldest go.
                int oldest = s.delayed[s.delayedHead];
                s.delayedHead = (s.delayedHead + 1) % s.delayed.length;
                s.delayedCount--;
                if (s.state[oldest] == DELAYED) {
                    s.state[oldest] = FREE;
                    s.free[s.freeCount++] = oldest;
                    if (!s.available) {
                        s.available = true;
                        available.addLast(s);
                    }
                }
            }
            releaseIfEmpty(s);
        }

        /**
         * Unmaps a slab that holds no live secret when another slab of the class still has free slots, so pools
         * do not keep memory locked at their high-water mark forever (each class keeps at most one empty slab).
         */
        private void releaseIfEmpty(Slab s) {
            if (s.live != 0 || slabs.size() < 2) {
                return;
            }
            boolean otherHasRoom = false;
            for (Slab o : available) {
                otherHasRoom |= o != s;
            }
            if (!otherHasRoom) {
                return;
            }
            slabs.remove(s);
            available.remove(s);
            s.available = false;
            s.freeCount = 0;
            heap.regions().unmap(s.region);
        }

        synchronized long[] counts() {
            return new long[] {live, bytes, slabs.size()};
        }

        /** Wipes a damaged slot, restores its canary so neighbours still check, and never hands it out again. */
        private void quarantine(Slab s, int i) {
            s.data.asSlice(s.slotOffset(i), classSize).fill((byte) 0);
            s.writeCanary(i);
            s.state[i] = QUARANTINED;
            heap.quarantined.increment();
        }

        private Slab newSlab() {
            long bytes = Layout.slabDataBytes(classSize);
            int slots = Layout.slabSlots(classSize);
            Regions.Region r = heap.regions().map(1, bytes);
            long c0 = heap.canaryWord() & ~0xFFL; // first byte (little-endian) zero
            long c1 = heap.canaryWord();
            Slab s = new Slab(this, r, c0, c1, slots);
            for (int i = 0; i < slots; i++) {
                s.writeCanary(i);
            }
            slabs.add(s);
            s.available = true;
            available.addFirst(s);
            return s;
        }

        void verify() {
            List<String> problems = new ArrayList<>();
            synchronized (this) {
                for (Slab s : slabs) {
                    for (int i = 0; i < s.state.length; i++) {
                        byte st = s.state[i];
                        if (st == QUARANTINED) {
                            continue;
                        }
                        if (!s.canaryIntact(i)) {
                            problems.add("canary after slot " + i);
                            quarantine(s, i);
                        } else if (st != LIVE && !GuardedHeap.isZero(s.data, s.slotOffset(i), classSize)) {
                            problems.add("write after free in slot " + i);
                            quarantine(s, i);
                        }
                    }
                }
            }
            if (!problems.isEmpty()) {
                heap.corruption("verify found " + problems.size() + " corrupted slot(s) in slabs of class "
                        + classSize + ": " + String.join(", ", problems.subList(0, Math.min(5, problems.size()))));
            }
        }
    }
}
