package dev.hardmem.internal.alloc.slab;

import dev.hardmem.internal.alloc.region.Canaries;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.region.Refusals;
import dev.hardmem.internal.alloc.region.Region;
import dev.hardmem.internal.alloc.region.Zeros;
import dev.hardmem.internal.os.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One slab: a region of one data run cut into slots of one size class, each followed by the slab's canary, and the
 * metadata of every slot (kept on the Java heap, never in the slab). Its free list and delay ring are guarded by
 * its size class's lock; a slot's metadata word is written only by whoever holds the slot.
 */
final class Slab {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** Canaries are read and written through it at addresses computed from {@link #base}. */
    private static final MemorySegment RAW = Memory.EVERYWHERE;
    private static final VarHandle FLAG = MethodHandles.arrayElementVarHandle(byte[].class);

    final SizeClass owner;
    final int classSize;
    /** Its index in the class's table of slabs, for handles. */
    final int id;
    final Region region;
    /** The address of the data run: slot {@code i} starts at {@code base + i * stride}. */
    final long base;
    private final long canary0;
    private final long canary1;
    /**
     * Per slot, its {@link SlotState} in the low byte and its generation in the high 32 bits: one element, so the
     * allocation path touches one cache line of metadata per slot, and a block is checked live in one compare.
     */
    private final long[] meta;
    /** Set (with release semantics) by verify() on a slot it found damaged but does not own. */
    private final byte[] condemned;
    /** Set by verify() after it sets any flag in {@link #condemned}: until then no slot needs a look. */
    private volatile boolean anyCondemned;
    /** Free slots in the pool (not in a magazine), in no order; guarded by the class lock. */
    final int[] free;
    int freeCount;
    /** Freed slots waiting before they join {@link #free}; guarded by the class lock. */
    final DelayRing delayed;
    /** Slots out of the pool: live, or in a magazine. The slab can be unmapped when none are. */
    int out;
    /** Whether it is in its class's queue of slabs with free slots. */
    boolean available;

    Slab(SizeClass owner, int id, Region region) {
        int slots = Layout.slabSlots(owner.classSize);
        this.owner = owner;
        this.classSize = owner.classSize;
        this.id = id;
        this.region = region;
        this.base = region.runs()[0].address();
        this.canary0 = Canaries.firstWord();
        this.canary1 = Canaries.lastWord();
        this.meta = new long[slots];
        this.condemned = new byte[slots];
        this.free = new int[slots];
        for (int i = 0; i < slots; i++) {
            free[i] = i;
            writeCanary(i);
        }
        this.freeCount = slots;
        // A freed slot waits for 16 others (or a quarter of the slab) before it is reused.
        this.delayed = new DelayRing(Math.max(1, Math.min(16, slots / 4)));
    }

    int slots() {
        return meta.length;
    }

    long slotAddress(int i) {
        return base + Layout.slotOffset(classSize, i);
    }

    boolean canaryIntact(int i) {
        long at = base + Layout.slabCanaryOffset(classSize, i);
        return RAW.get(LONG, at) == canary0 && RAW.get(LONG, at + 8) == canary1;
    }

    private void writeCanary(int i) {
        long at = base + Layout.slabCanaryOffset(classSize, i);
        RAW.set(LONG, at, canary0);
        RAW.set(LONG, at + 8, canary1);
    }

    boolean isCondemned(int i) {
        return anyCondemned && (byte) FLAG.getAcquire(condemned, i) != 0;
    }

    /** Flags slot {@code i}, which verify() found damaged, for its holder to quarantine. */
    void condemn(int i) {
        FLAG.setRelease(condemned, i, (byte) 1);
        anyCondemned = true;
    }

    SlotState state(int i) {
        return SlotState.of(meta[i]);
    }

    void setState(int i, SlotState state) {
        meta[i] = (meta[i] & ~0xFFL) | state.ordinal();
    }

    /** Marks slot {@code i} live under its next generation, which it returns. */
    int makeLive(int i) {
        long generation = (meta[i] >>> 32) + 1;
        meta[i] = (generation << 32) | SlotState.LIVE.ordinal();
        return (int) generation;
    }

    /**
     * Marks the end of a {@code size}-byte secret in live slot {@code i}: when it is smaller than its class, the
     * byte just past it takes the first canary byte, which is never zero, so that the classic off-by-one
     * terminator ({@code buf[size] = 0}) shows at free. A secret that fills its class has the canary itself there.
     */
    void markEnd(int i, long size) {
        if (size < classSize) {
            RAW.set(BYTE, slotAddress(i) + size, (byte) canary0);
        }
    }

    /** {@return whether the slack after a {@code size}-byte secret at {@code at} is as {@link #markEnd} left it} */
    private boolean slackIntact(long at, long size) {
        return size == classSize || RAW.get(BYTE, at + size) == (byte) canary0
                && Zeros.isZero(at + size + 1, classSize - size - 1);
    }

    /** {@return whether slot {@code i} is live in {@code generation}, so a block of it may be freed} */
    private boolean isLive(int i, int generation) {
        return meta[i] == (((long) generation << 32) | SlotState.LIVE.ordinal());
    }

    /** {@return whether free slot {@code i} is fit to hand out: not condemned, still zero, canary intact} */
    boolean fitToHandOut(int i) {
        return !isCondemned(i) && Zeros.isZero(slotAddress(i), classSize) && canaryIntact(i);
    }

    /**
     * {@return whether every slot not quarantined still has its canary and holds only zeros} Checked before the slab
     * is unmapped, when every slot is in the pool: unmapping wipes the slab, and would erase the evidence of a write
     * after free or an overrun into a free slot.
     */
    boolean freeSlotsIntact() {
        return damagedSlots() == 0;
    }

    /**
     * {@return how many slots, not quarantined, are not zero or have lost their canary} Asked only when no slot is
     * live, so every slot it counts was damaged after it was freed (or, in a magazine, after it was zeroed).
     */
    int damagedSlots() {
        int damaged = 0;
        for (int i = 0; i < slots(); i++) {
            if (state(i) != SlotState.QUARANTINED
                    && !(canaryIntact(i) && Zeros.isZero(slotAddress(i), classSize))) {
                damaged++;
            }
        }
        return damaged;
    }

    /**
     * The first half of every free: refuses a block that is not live (a double free, before anything changes),
     * checks the canary and the slack after the secret, zeroes the whole slot and shows it to the listener.
     */
    Outcome retire(SlabBlock b, FreeListener listener) {
        int i = b.index;
        if (!isLive(i, b.generation)) {
            throw Refusals.doubleFree();
        }
        long at = b.address();
        boolean intact = canaryIntact(i) && slackIntact(at, b.size());
        Zeros.fill(at, classSize); // the whole slot is zero from here on, intact or not
        listener.freeing(b.raw());
        return isCondemned(i) ? Outcome.CONDEMNED : intact ? Outcome.INTACT : Outcome.DAMAGED;
    }

    /** Wipes a damaged slot, restores its canary so its neighbours still check, and never hands it out again. */
    void quarantine(int i) {
        Zeros.fill(slotAddress(i), classSize);
        writeCanary(i);
        setState(i, SlotState.QUARANTINED);
    }

    /** What {@link #retire} found. */
    enum Outcome {
        INTACT,
        /** Canary or slack overwritten. */
        DAMAGED,
        /** verify() found it damaged and reported it already. */
        CONDEMNED
    }
}
