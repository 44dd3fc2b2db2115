package dev.hardmem.guarded;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.region.Region;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Smaps;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For every mapping the allocator made (not a sample): data runs locked, not dumped, wiped on fork; guard pages
 * {@code ---p}. And every byte of every live secret sits in a locked mapping, so the kernel cannot swap it out.
 */
class MapsProofTest {
    private static final long PAGE = Memory.pageSize();

    private static void proveEveryRegion(GuardedAllocator a, boolean memfd) {
        GuardedHeap heap = a.heap();
        List<Region> regions = heap.regions().live();
        assertTrue(!regions.isEmpty());
        List<Smaps.Mapping> maps = Smaps.read();
        int runs = 0;
        int guards = 0;
        for (Region r : regions) {
            long base = r.whole().address();
            long end = base + r.whole().byteSize();
            // walk the region page by page: each page is in a data run or is a guard
            for (long p = base; p < end; p += PAGE) {
                long page = p;
                Smaps.Mapping m = maps.stream().filter(x -> x.contains(page)).findFirst().orElseThrow();
                boolean inRun = false;
                for (MemorySegment run : r.runs()) {
                    inRun |= page >= run.address() && page < run.address() + run.byteSize();
                }
                if (inRun) {
                    assertEquals(memfd ? "rw-s" : "rw-p", m.perms());
                    assertTrue(m.hasFlags("lo", "dd") && (memfd || m.hasFlags("wf")), "data flags " + m.flags());
                    runs++;
                } else {
                    assertEquals("---p", m.perms(), "guard page");
                    assertTrue(m.hasFlags("dd"));
                    guards++;
                }
            }
        }
        assertTrue(runs > 0 && guards > runs / 16, runs + " data pages, " + guards + " guard pages");
    }

    @Test
    void everyMappingOfTheAllocatorIsLockedUndumpableAndFenced() {
        for (GuardPolicy.Backing backing : new GuardPolicy.Backing[] {GuardPolicy.Backing.ANONYMOUS,
            GuardPolicy.Backing.MEMFD_SECRET}) {
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults().withBacking(backing));
            try (SecretArena arena = SecretArena.ofConfined(a)) {
                for (int classSize : Layout.CLASSES) {
                    arena.allocate(classSize);
                }
                arena.allocate(5000);
                arena.allocate(100_000);
                arena.allocate(64, 4096);
                proveEveryRegion(a, backing != GuardPolicy.Backing.ANONYMOUS);
            }
            a.close();
        }
    }

    @Test
    void everySecretByteIsInALockedMappingSoItCannotBeSwapped() {
        List<long[]> ranges = new ArrayList<>();
        try (SecretArena arena = SecretArena.ofShared();
             Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32);
             Secret<SecretKind.Seed> seed = Secret.random(SecretKind.Seed.class, 9000)) {
            for (long size : new long[] {1, 32, 4096, 4097, 1 << 20}) {
                MemorySegment s = arena.allocate(size);
                ranges.add(new long[] {s.address(), s.address() + size});
            }
            key.read(s -> ranges.add(new long[] {s.address(), s.address() + s.byteSize()}));
            seed.read(s -> ranges.add(new long[] {s.address(), s.address() + s.byteSize()}));
            List<Smaps.Mapping> maps = Smaps.read();
            for (long[] r : ranges) {
                for (long p = r[0]; p < r[1]; p = Math.min(r[1], (p & -PAGE) + PAGE)) {
                    long at = p;
                    Smaps.Mapping m = maps.stream().filter(x -> x.contains(at)).findFirst().orElseThrow();
                    assertTrue(m.hasFlags("lo"), "a secret byte in an unlocked mapping: " + m.flags());
                    assertTrue(m.lockedKb() > 0, "Locked: kB of the mapping");
                }
            }
        }
    }
}
