package dev.hardmem.guarded;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.slab.SlabProbe;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The slab tier: the {@link TierContract}, and what only a slab has: guard pages around the slab rather than each
 * secret, and freed slots that wait in a delay queue and are reused at random, so a write after free is found when
 * its slot is next handed out.
 */
class SlabTierTest extends TierContract {
    @Override
    GuardPolicy policy() {
        return GuardPolicy.defaults();
    }

    @Override
    Tier tier() {
        return Tier.SLAB;
    }

    @Test
    void everySlabHasGuardPagesAroundIt() {
        GuardedAllocator a = fresh();
        for (int classSize : Layout.CLASSES) {
            try (Allocation x = a.allocate(classSize, 1, Tier.SLAB)) {
                MemorySegment data = SlabProbe.slabData(x.block);
                assertEquals(0, GuardProbe.probe(data.address()));
                assertEquals(Errno.EFAULT, GuardProbe.probe(data.address() - 1), "guard before slab " + classSize);
                assertEquals(0, GuardProbe.probe(data.address() + data.byteSize() - 1));
                assertEquals(Errno.EFAULT, GuardProbe.probe(data.address() + data.byteSize()),
                        "guard after slab " + classSize);
            }
        }
        a.close();
    }

    @Test
    void aNulTerminatorOnePastASecretSmallerThanItsClassIsReportedAtFree() {
        // buf[size] = 0 lands in the slack, not the canary, when the secret is smaller than its class: the byte
        // there is marked, never zero, so the zero shows at free. Every size of every class that has slack.
        GuardedAllocator a = fresh();
        int reported = 0;
        for (int c = 0; c < Layout.CLASSES.length; c++) {
            int low = c == 0 ? 1 : Layout.CLASSES[c - 1] + 1;
            for (long size : new long[] {low, (low + Layout.CLASSES[c]) / 2, Layout.CLASSES[c] - 1}) {
                if (size >= Layout.CLASSES[c]) {
                    continue;
                }
                Held control = allocate(a, size);
                control.free(); // nothing written past it: a clean free
                Held x = allocate(a, size);
                scribble(x, x.address() + size, (byte) 0);
                MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, x::free,
                        "a NUL one past a " + size + "-byte secret in class " + Layout.CLASSES[c]);
                assertTrue(e.getMessage().contains("canary"), e.getMessage());
                reported++;
            }
        }
        assertEquals(reported, a.stats().canaryFailures());
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }

    @Test
    void aSlotWithADamagedCanaryIsQuarantinedWipedAndNeverReused() {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(32, 1, Tier.SLAB);
        Block b = x.block;
        // test-only path: a native one-byte overrun past the end of the secret
        Memory.at(x.segment().address() + 32, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0); // never the canary byte
        assertThrows(MemoryCorruptionError.class, x::close);
        assertTrue(SlabProbe.quarantined(b));
        assertTrue(FreeWatch.isZero(b.raw()), "the damaged slot is wiped");
        for (int i = 0; i < 5000; i++) {
            Allocation y = a.allocate(32, 1, Tier.SLAB);
            assertFalse(SlabProbe.sameSlot(y.block, b), "a quarantined slot came back");
            y.close();
        }
        a.close();
    }

    @Test
    void aWriteAfterFreeIsReportedWhenTheSlotIsNextAllocated() {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(32, 1, Tier.SLAB);
        long freedAddress = x.segment().address();
        x.close();
        Memory.at(freedAddress, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x13); // the dangling write
        // Freed slots wait in a delay queue before reuse; cycle other slots through it, then take every slot.
        int slots = Layout.slabSlots(32);
        List<Allocation> held = new ArrayList<>();
        MemoryCorruptionError seen = null;
        for (int i = 0; i < 2 * slots && seen == null; i++) {
            try {
                Allocation y = a.allocate(32, 1, Tier.SLAB);
                if (i < 64) {
                    y.close();
                } else {
                    held.add(y);
                }
            } catch (MemoryCorruptionError e) {
                seen = e;
            }
        }
        assertTrue(seen != null, "the write after free was never detected");
        assertTrue(seen.getMessage().contains("written after it was freed"), seen.getMessage());
        assertEquals(1, a.stats().quarantinedSlots());
        held.forEach(Allocation::close);
        a.close();
    }

    @Test
    void aSlotVerifyQuarantinedIsNeverHandedOutAgain() {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(32, 1, Tier.SLAB);
        long freed = x.segment().address();
        x.close();
        Memory.at(freed, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x5A); // a dangling native pointer writes
        assertThrows(MemoryCorruptionError.class, a::verify);
        List<Allocation> held = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            a.allocate(32, 1, Tier.SLAB).close(); // cycle the delay queue
        }
        for (int i = 0; i < 2 * Layout.slabSlots(32); i++) {
            Allocation y = a.allocate(32, 1, Tier.SLAB);
            assertFalse(y.segment().address() == freed, "the quarantined slot was handed out again");
            held.add(y);
        }
        held.forEach(Allocation::close);
        a.close();
    }
}
