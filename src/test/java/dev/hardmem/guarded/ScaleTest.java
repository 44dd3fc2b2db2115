package dev.hardmem.guarded;

import dev.hardmem.Capabilities;
import dev.hardmem.SecretArena;
import dev.hardmem.internal.os.Proc;
import dev.hardmem.internal.os.Smaps;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScaleTest {
    @Test
    void aMillionLiveSecretsFitUnderTheDefaultMapCountAndAreAllWiped() {
        long maxMaps = Proc.readLong("/proc/sys/vm/max_map_count", -1);
        // 1M secrets lock about 46 MiB. Where the memlock limit is lower (not root, default ulimit), the point of
        // this test (mappings, density, wiping) still holds with the pages counted as unlocked.
        Capabilities caps = Capabilities.probe();
        boolean enough = caps.memlockUnlimited() || caps.memlockSoft() >= 256L << 20;
        GuardedAllocator a = GuardedAllocator.create(enough ? GuardPolicy.defaults()
                : GuardPolicy.defaults().withLock(GuardPolicy.Lock.BEST_EFFORT));
        int n = 1_000_000;
        try (FreeWatch watch = FreeWatch.start()) {
            try (SecretArena arena = SecretArena.ofConfined(a)) {
                for (int i = 0; i < n; i++) {
                    MemorySegment s = arena.allocate(32);
                    s.set(ValueLayout.JAVA_LONG, 0, i + 1L);
                    s.set(ValueLayout.JAVA_LONG, 24, ~i);
                }
                Stats st = a.stats();
                assertEquals(n, st.liveSecrets());
                int mappings = Smaps.countMappings();
                assertTrue(mappings < maxMaps, mappings + " mappings of " + maxMaps);
                assertTrue(st.mappings() < 5_000, "the allocator uses " + st.mappings() + " mappings");
                System.out.printf("1M live 32-byte secrets: %d slabs, %d mappings (process %d of %d), %d MiB locked%n",
                        st.slabs(), st.mappings(), mappings, maxMaps, st.bytesLocked() >> 20);
            }
            assertEquals(n, watch.blocks());
            assertEquals(32L * n, watch.bytes());
            assertEquals(0, watch.dirtyBlocks(), "every byte wiped before free");
        }
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }
}
