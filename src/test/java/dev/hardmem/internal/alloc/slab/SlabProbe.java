package dev.hardmem.internal.alloc.slab;

import dev.hardmem.internal.alloc.region.Block;

import java.lang.foreign.MemorySegment;

/** What tests outside this package may see of a slab block: where its slab is, and the state of its slot. */
public final class SlabProbe {
    private SlabProbe() {
    }

    /** {@return the data run of the slab {@code b} lives in (between its two guard pages)} */
    public static MemorySegment slabData(Block b) {
        return ((SlabBlock) b).slab.region.runs()[0];
    }

    /** {@return whether {@code b}'s slot is quarantined} */
    public static boolean quarantined(Block b) {
        SlabBlock s = (SlabBlock) b;
        return s.slab.state(s.index) == SlotState.QUARANTINED;
    }

    /** {@return whether {@code a} and {@code b} are the same slot of the same slab} */
    public static boolean sameSlot(Block a, Block b) {
        SlabBlock x = (SlabBlock) a;
        SlabBlock y = (SlabBlock) b;
        return x.slab == y.slab && x.index == y.index;
    }
}
