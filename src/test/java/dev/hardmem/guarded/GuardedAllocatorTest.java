package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.slab.SlabProbe;
import dev.hardmem.internal.alloc.isolated.IsolatedProbe;
import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.SecretArena;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Smaps;
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

class GuardedAllocatorTest {
    private static final long PAGE = Memory.pageSize();

    private static GuardedAllocator fresh() {
        return GuardedAllocator.create(GuardPolicy.defaults());
    }

    @Test
    void smallSecretsGoToSlabsLargeOnesAreIsolated() {
        GuardedAllocator a = fresh();
        try (Allocation small = a.allocate(32); Allocation big = a.allocate(5000);
             Allocation aligned = a.allocate(32, 64)) {
            assertEquals(Tier.SLAB, small.tier());
            assertEquals(Tier.ISOLATED, big.tier());
            assertEquals(Tier.ISOLATED, aligned.tier(), "alignment above 16 needs the isolated tier");
            assertEquals(0, small.segment().address() % 16);
            assertEquals(0, aligned.segment().address() % 64);
            Stats s = a.stats();
            assertEquals(3, s.liveSecrets());
            assertEquals(32 + 5000 + 32, s.bytesInUse());
            assertEquals(1, s.slabs());
            assertTrue(s.bytesLocked() > 0);
            assertEquals(0, s.bytesUnlocked());
            assertEquals("anonymous", s.backing());
        }
        assertEquals(0, a.stats().liveSecrets());
        assertEquals(0, a.stats().bytesInUse());
        a.close();
    }

    @Test
    void isolatedSecretEndsAtATrailingGuardPageAndStartsAfterALeadingOne() {
        GuardedAllocator a = fresh();
        for (long size : new long[] {1, 32, 100, PAGE - 16, PAGE, 3 * PAGE + 5}) {
            try (Allocation x = a.allocate(size, 1, Tier.ISOLATED)) {
                MemorySegment s = x.segment();
                long end = s.address() + size;
                assertEquals(0, end % PAGE, "user bytes end on the page boundary, size " + size);
                assertEquals(0, GuardProbe.probe(end - 1), "last byte readable");
                assertEquals(Errno.EFAULT, GuardProbe.probe(end), "one past the end is the guard, size " + size);
                long runStart = end - Layout.isolatedPages(size, 1) * PAGE;
                assertEquals(0, GuardProbe.probe(runStart), "first data page readable");
                assertEquals(Errno.EFAULT, GuardProbe.probe(runStart - 1), "the leading guard, size " + size);
                assertTrue(s.address() - Layout.CANARY >= runStart, "the canary fits before the secret");
            }
        }
        a.close();
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
    void everyDataMappingIsLockedUndumpableAndWipedOnForkAndEveryGuardIsProtNone() {
        GuardedAllocator a = fresh();
        List<Allocation> live = new ArrayList<>();
        for (long size : new long[] {16, 32, 48, 1000, 4096, 5000, 70_000}) {
            live.add(a.allocate(size));
            live.add(a.allocate(size, 1, size <= 4096 ? Tier.SLAB : Tier.ISOLATED));
        }
        live.add(a.allocate(10, 1, Tier.ISOLATED));
        List<Smaps.Mapping> maps = Smaps.read();
        int data = 0;
        for (Allocation x : live) {
            long addr = x.segment().address();
            Smaps.Mapping m = maps.stream().filter(mm -> mm.contains(addr)).findFirst().orElseThrow();
            assertEquals("rw-p", m.perms());
            assertTrue(m.hasFlags("lo", "dd", "wf"), "flags " + m.flags());
            data++;
            Smaps.Mapping before = maps.stream().filter(mm -> mm.end() == m.start()).findFirst().orElseThrow();
            Smaps.Mapping after = maps.stream().filter(mm -> mm.start() == m.end()).findFirst().orElseThrow();
            assertEquals("---p", before.perms(), "guard before");
            assertEquals("---p", after.perms(), "guard after");
            assertTrue(before.hasFlags("dd") && after.hasFlags("dd"), "guards are not dumped either");
        }
        assertEquals(live.size(), data);
        live.forEach(Allocation::close);
        a.close();
    }

    @Test
    void allocationsAreZeroedAndDisjoint() {
        GuardedAllocator a = fresh();
        List<Allocation> live = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            Allocation x = a.allocate(1 + (i * 37) % 300);
            assertTrue(FreeWatch.isZero(x.segment()));
            x.segment().fill((byte) 0xEE);
            live.add(x);
        }
        live.sort((p, q) -> Long.compareUnsigned(p.segment().address(), q.segment().address()));
        for (int i = 1; i < live.size(); i++) {
            MemorySegment p = live.get(i - 1).segment();
            assertTrue(p.address() + p.byteSize() <= live.get(i).segment().address(), "overlap");
        }
        live.forEach(Allocation::close);
        a.close();
    }

    @Test
    void theAllocatorZeroesOnFree() {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(64, 1, Tier.SLAB);
        Block b = x.block;
        MemorySegment raw = b.raw();
        x.segment().fill((byte) 0x77);
        x.close();
        // read the freed slot through the raw (test-only) view: it stays mapped in the pool
        assertTrue(FreeWatch.isZero(raw));
        Allocation y = a.allocate(5000, 1, Tier.ISOLATED);
        MemorySegment run = IsolatedProbe.run(y.block);
        y.segment().fill((byte) 0x77);
        y.close();
        assertTrue(FreeWatch.isZero(run), "the whole isolated run is wiped");
        a.close();
    }

    @Test
    void aSegmentCannotGrowOrBeUsedAfterFree() {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(32);
        MemorySegment s = x.segment();
        assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> s.asSlice(0, 33));
        x.close();
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
        a.close();
    }

    @Test
    void canaryOverwriteIsReportedAtFreeQuarantinedAndNeverReused() {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(32, 1, Tier.SLAB);
        Block b = x.block;
        // test-only path: a native one-byte overrun past the end of the secret
        Memory.at(x.segment().address() + 32, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, x::close);
        assertTrue(e.getMessage().contains("canary"), e.getMessage());
        assertTrue(SlabProbe.quarantined(b));
        assertTrue(FreeWatch.isZero(b.raw()), "the damaged slot is wiped");
        Stats s = a.stats();
        assertEquals(1, s.canaryFailures());
        assertEquals(1, s.quarantinedSlots());
        assertEquals(0, s.liveSecrets(), "the failed free still freed it");
        for (int i = 0; i < 5000; i++) {
            Allocation y = a.allocate(32, 1, Tier.SLAB);
            assertFalse(SlabProbe.sameSlot(y.block, b), "a quarantined slot came back");
            y.close();
        }
        a.close();
    }

    @Test
    void isolatedCanaryOverwriteIsReported() {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(100, 1, Tier.ISOLATED);
        Memory.at(x.segment().address() - 1, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 9); // underrun into canary
        assertThrows(MemoryCorruptionError.class, x::close);
        assertEquals(1, a.stats().canaryFailures());
        assertEquals(1, a.stats().quarantinedSlots());
        a.close();
    }

    @Test
    void canaryOverwriteIsReportedAtArenaClose() {
        GuardedAllocator a = fresh();
        SecretArena arena = SecretArena.ofConfined(a);
        MemorySegment s = arena.allocate(48);
        arena.allocate(48).fill((byte) 3);
        Memory.at(s.address() + 48, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        assertThrows(MemoryCorruptionError.class, arena::close);
        assertFalse(arena.scope().isAlive());
        Stats st = a.stats();
        assertEquals(0, st.liveSecrets(), "the other segment was freed too");
        assertEquals(1, st.canaryFailures());
        a.close();
    }

    @Test
    void verifyFindsADamagedCanaryOnALiveSecret() {
        GuardedAllocator a = fresh();
        Allocation ok = a.allocate(16);
        Allocation x = a.allocate(16);
        a.verify(); // nothing wrong yet
        Memory.at(x.segment().address() + 16, 16).set(ValueLayout.JAVA_BYTE, 3, (byte) 0x42);
        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify);
        assertTrue(e.getMessage().contains("verify found 1"), e.getMessage());
        x.close(); // already reported and wiped: freeing it lets it go
        ok.close();
        Allocation iso = a.allocate(64, 1, Tier.ISOLATED);
        Memory.at(iso.segment().address() - 16, 16).set(ValueLayout.JAVA_BYTE, 5, (byte) 1);
        assertThrows(MemoryCorruptionError.class, a::verify);
        iso.close();
        assertEquals(2, a.stats().canaryFailures());
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
    void verifyFindsAWriteAfterFree() {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(64, 1, Tier.SLAB);
        long freedAddress = x.segment().address();
        x.close();
        Memory.at(freedAddress + 10, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify);
        assertTrue(e.getMessage().contains("write after free"), e.getMessage());
        a.verify(); // quarantined: not reported twice
        a.close();
    }

    @Test
    void doubleFreeForeignFreeAndClosedAllocatorChangeNothing() {
        GuardedAllocator a = fresh();
        GuardedAllocator other = fresh();
        Allocation x = a.allocate(32);
        Allocation y = a.allocate(32);
        Allocation z = other.allocate(32);
        x.close();
        Stats before = a.stats();
        IllegalStateException twice = assertThrows(IllegalStateException.class, x::close);
        assertTrue(twice.getMessage().contains("already freed"), twice.getMessage());
        assertThrows(IllegalStateException.class, () -> a.free(x));
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> a.free(z));
        assertTrue(foreign.getMessage().contains("not made by this allocator"), foreign.getMessage());
        assertEquals(before, a.stats());
        IllegalStateException busy = assertThrows(IllegalStateException.class, a::close);
        assertTrue(busy.getMessage().contains("1 live"), busy.getMessage());
        y.close();
        a.close();
        assertThrows(IllegalStateException.class, () -> a.allocate(32));
        assertThrows(IllegalStateException.class, a::close);
        z.close();
        other.close();
        assertThrows(UnsupportedOperationException.class, () -> GuardedAllocator.shared().close());
    }

    @Test
    void freeFromAnotherThreadIsRefusedAndChangesNothing() throws Exception {
        GuardedAllocator a = fresh();
        Allocation x = a.allocate(32);
        Throwable[] seen = new Throwable[1];
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                x.close();
            } catch (Throwable e) {
                seen[0] = e;
            }
        });
        t.join();
        assertTrue(seen[0] instanceof WrongThreadException, String.valueOf(seen[0]));
        assertEquals(1, a.stats().liveSecrets());
        x.close();
        a.close();
    }

    @Test
    void badArguments() {
        GuardedAllocator a = fresh();
        assertThrows(IllegalArgumentException.class, () -> a.allocate(-1));
        assertThrows(IllegalArgumentException.class, () -> a.allocate(8, 3));
        assertThrows(IllegalArgumentException.class, () -> a.allocate(5000, 1, Tier.SLAB));
        assertThrows(IllegalArgumentException.class, () -> a.allocate(8, 32, Tier.SLAB));
        assertThrows(IllegalArgumentException.class, () -> a.allocate(8, 2 * PAGE, Tier.ISOLATED));
        assertThrows(NullPointerException.class, () -> a.allocate(8, 1, null));
        assertThrows(NullPointerException.class, () -> a.free(null));
        assertThrows(NullPointerException.class, () -> GuardedAllocator.create(null));
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }

    @Test
    void accessScopedProtectionCountsReadersAndWriters() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults().withAccessProtection(true));
        GuardedHeap heap = a.heap();
        Block b = heap.allocateForSecret(32, 1);
        long addr = b.raw().address();
        assertEquals(Errno.EFAULT, GuardProbe.probe(addr), "outside any scope");
        b.enter(false);
        assertEquals(0, GuardProbe.probe(addr), "readable inside read");
        assertEquals("r--p", Smaps.find(addr).perms());
        b.enter(false);
        b.enter(true);
        assertEquals("rw-p", Smaps.find(addr).perms(), "writable inside a nested write");
        b.exit(true);
        assertEquals("r--p", Smaps.find(addr).perms());
        b.exit(false);
        assertEquals(0, GuardProbe.probe(addr), "one reader still open");
        b.exit(false);
        assertEquals(Errno.EFAULT, GuardProbe.probe(addr), "closed again");
        assertTrue(Smaps.find(addr).hasFlags("lo", "dd", "wf"), "still locked while PROT_NONE");
        b.enter(true);
        b.raw().fill((byte) 1);
        b.exit(true);
        b.enter(true);
        b.raw().fill((byte) 0);
        b.exit(true);
        heap.free(b);
        a.close();
    }

    @Test
    void memfdSecretBackingWorksAndItsGuardsHold() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults()
                .withBacking(GuardPolicy.Backing.MEMFD_SECRET));
        assertEquals("memfd_secret", a.stats().backing());
        try (SecretArena arena = SecretArena.ofConfined(a)) {
            MemorySegment slab = arena.allocate(32);
            MemorySegment iso = arena.allocate(10_000);
            slab.fill((byte) 5);
            iso.fill((byte) 6);
            assertEquals(5, slab.get(ValueLayout.JAVA_BYTE, 31));
            assertEquals(Errno.EFAULT, GuardProbe.probe(iso.address() + iso.byteSize()), "trailing guard");
            Smaps.Mapping m = Smaps.find(iso.address());
            assertEquals("rw-s", m.perms(), "a shared mapping of the secret file");
            assertTrue(m.hasFlags("lo", "dd"), "secretmem is locked and not dumped: " + m.flags());
            assertEquals("---p", Smaps.read().stream().filter(x -> x.start() == m.end()).findFirst()
                    .orElseThrow().perms(), "the guard is anonymous PROT_NONE, outside the secret file");
        }
        a.close();
    }
}
