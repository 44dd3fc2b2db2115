package dev.hardmem.guarded;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.SecretArena;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.isolated.IsolatedProbe;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.slab.SlabProbe;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Smaps;
import dev.hardmem.testing.FreeWatch;
import dev.hardmem.testing.Gc;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public face of the guarded allocator: which tier a request gets, what every mapping looks like, and what
 * {@code free} refuses. What each tier promises is the {@link TierContract}.
 */
class GuardedAllocatorTest {
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
    void anAllocatorIsAutoCloseableAndTheDefaultStillRefusesToClose() {
        assertTrue(AutoCloseable.class.isAssignableFrom(GuardedAllocator.class), "usable in try-with-resources");
        GuardedAllocator kept;
        try (GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults())) {
            a.allocate(32).close();
            kept = a;
        }
        assertThrows(IllegalStateException.class, () -> kept.allocate(32), "closed by try-with-resources");
        assertThrows(UnsupportedOperationException.class, () -> {
            try (GuardedAllocator d = GuardedAllocator.shared()) {
                d.allocate(32).close();
            }
        });
        GuardedAllocator.shared().allocate(32).close(); // the default is still open
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
        assertThrows(IllegalArgumentException.class,
                () -> a.allocate(8, 2 * GuardedAllocator.MAX_ALIGNMENT, Tier.ISOLATED));
        assertThrows(NullPointerException.class, () -> a.allocate(8, 1, null));
        assertThrows(NullPointerException.class, () -> a.free(null));
        assertThrows(NullPointerException.class, () -> GuardedAllocator.create(null));
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }

    @Test
    void aLeakedAllocationIsWipedAndFreedByTheCleaner() throws Exception {
        GuardedAllocator a = fresh();
        try (FreeWatch watch = FreeWatch.start()) {
            Thread t = Thread.ofPlatform().start(() -> a.allocate(48).segment().fill((byte) 0x5A));
            t.join(); // the thread is gone; its allocation is unreachable and can be freed from no thread
            Gc.awaitUntil(() -> a.stats().liveSecrets() == 0, Duration.ofSeconds(10));
            assertEquals(0, a.stats().liveSecrets(), "the cleaner did not free it");
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks(), "wiped before it was freed");
        }
        a.close();
    }

    @Test
    void aClosedAllocatorIsNotKeptAliveByTheLeakRegistrationOfAClosedArena() throws Exception {
        // A closed arena's registration may wait in its thread's list until the list fills up; it must not keep the
        // arena's memory, and so its allocator, reachable meanwhile.
        WeakReference<Object> heap = useThroughAnArenaAndClose();
        assertTrue(Gc.awaitCollected(heap, Duration.ofSeconds(10)), "a done registration keeps the allocator alive");
    }

    private static WeakReference<Object> useThroughAnArenaAndClose() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        try (SecretArena arena = SecretArena.ofConfined(a)) {
            arena.allocate(32);
        }
        a.close();
        return new WeakReference<>(TestAllocators.heapOf(a));
    }
}
