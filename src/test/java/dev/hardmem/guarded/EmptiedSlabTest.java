package dev.hardmem.guarded;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.internal.alloc.region.Budgets;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.slab.SlabProbe;
import dev.hardmem.internal.os.Memory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A slab whose last slot comes back is unmapped when another slab of its class has room. Unmapping wipes the slab,
 * so a write into one of its free slots must be found first: otherwise the evidence of a write after free is erased
 * and {@code verify()} reports a clean heap.
 */
class EmptiedSlabTest {
    private static final int CLASS = 32;

    /** Two slabs of the class: the whole of the first ({@code first}) and one slot of the second. */
    private record TwoSlabs(GuardedAllocator allocator, List<Allocation> first, Allocation second) {
    }

    private static TwoSlabs twoSlabs() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        int slots = Layout.slabSlots(CLASS);
        List<Allocation> all = new ArrayList<>();
        for (int i = 0; i <= slots; i++) {
            all.add(a.allocate(CLASS, 1, Tier.SLAB));
        }
        MemorySegment firstSlab = SlabProbe.slabData(all.get(0).block);
        List<Allocation> first = new ArrayList<>();
        Allocation second = null;
        for (Allocation x : all) {
            if (SlabProbe.slabData(x.block).address() == firstSlab.address()) {
                first.add(x);
            } else {
                second = x;
            }
        }
        assertEquals(slots, first.size(), "the first slab is full");
        assertTrue(second != null, "one secret went to a second slab");
        assertEquals(2, a.stats().slabs());
        return new TwoSlabs(a, first, second);
    }

    @Test
    void aWriteIntoAFreeSlotOfAnEmptiedSlabIsStillReportedByVerify() {
        TwoSlabs t = twoSlabs();
        GuardedAllocator a = t.allocator();
        Allocation last = t.first().get(t.first().size() - 1);
        Allocation victim = t.first().get(0);
        long dangling = victim.segment().address();
        for (Allocation x : t.first()) {
            if (x != last) {
                x.close();
            }
        }
        a.verify(); // clean so far; and every freed slot is back in the pool, not in this thread's magazine
        Memory.at(dangling, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x13); // a dangling native pointer writes
        last.close(); // the first slab is empty now, and the second has room: it may be unmapped

        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify,
                "the write after free was erased with its slab, unreported");
        assertTrue(e.getMessage().contains("write after free"), e.getMessage());
        assertEquals(1, a.stats().quarantinedSlots());
        assertDoesNotThrow(a::verify, "reported once, then quarantined");
        t.second().close();
        a.close();
    }

    @Test
    void aWriteIntoAFreeSlotSurvivesAReclaimForAnotherAllocation() {
        // When a region would cross a process-wide budget, every allocator gives back its free memory, the last
        // empty slab of each class too: that path must keep a damaged slab as well.
        TwoSlabs t = twoSlabs();
        GuardedAllocator a = t.allocator();
        Allocation last = t.first().get(t.first().size() - 1);
        long dangling = t.first().get(0).segment().address();
        for (Allocation x : t.first()) {
            if (x != last) {
                x.close();
            }
        }
        a.verify();
        Memory.at(dangling, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x13); // a dangling native pointer writes
        last.close();
        t.second().close();
        Budgets.reclaim(); // as an allocation that ran out of memlock budget would

        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify,
                "the write after free was erased by the reclaim, unreported");
        assertTrue(e.getMessage().contains("write after free"), e.getMessage());
        Budgets.reclaim();
        assertEquals(0, a.stats().slabs(), "once reported and quarantined, the reclaim gives every slab back");
        a.close();
    }

    @Test
    void anOverwrittenCanaryOfAFreeSlotOfAnEmptiedSlabIsStillReportedByVerify() {
        TwoSlabs t = twoSlabs();
        GuardedAllocator a = t.allocator();
        Allocation last = t.first().get(t.first().size() - 1);
        long canary = t.first().get(0).segment().address() + CLASS;
        for (Allocation x : t.first()) {
            if (x != last) {
                x.close();
            }
        }
        a.verify();
        Memory.at(canary, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0); // a stray write past a free slot
        last.close();

        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify);
        assertTrue(e.getMessage().contains("canary"), e.getMessage());
        t.second().close();
        a.close();
    }

    @Test
    void anIntactEmptiedSlabIsStillUnmapped() {
        TwoSlabs t = twoSlabs();
        GuardedAllocator a = t.allocator();
        t.first().forEach(Allocation::close);
        a.verify();
        assertEquals(1, a.stats().slabs(), "the emptied slab was given back");
        t.second().close();
        a.close();
    }
}
