package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After close, every byte that held a secret is zero. Freed slots stay mapped in the allocator's pools, so the
 * test reads them back through a raw (test-only) view of the same addresses; a page that is no longer mapped is
 * accepted as well (probed first, so the test never faults).
 */
class FreedMemoryHuntTest {
    private record Range(String what, long address, long size) {
    }

    private static void assertWiped(List<Range> ranges) {
        assertTrue(ranges.size() >= 8);
        for (Range r : ranges) {
            if (GuardProbe.probe(r.address()) != 0) {
                continue; // unmapped: nothing left to read
            }
            assertTrue(FreeWatch.isZero(Memory.at(r.address(), r.size())), r.what() + " left bytes behind");
        }
    }

    @Test
    void everySlotThatHeldASecretIsZeroAfterClose() {
        List<Range> ranges = new ArrayList<>();
        GuardedAllocator memfd = GuardedAllocator.create(GuardPolicy.defaults()
                .withBacking(GuardPolicy.Backing.MEMFD_SECRET));
        GuardedAllocator isolated = GuardedAllocator.create(GuardPolicy.defaults().withIsolatedOnly(true));
        for (SecretArena arena : new SecretArena[] {SecretArena.ofConfined(), SecretArena.ofShared(),
            SecretArena.ofConfined(memfd), SecretArena.ofConfined(isolated)}) {
            try (arena) {
                for (long size : new long[] {16, 32, 1000, 4096, 5000, 70_000}) {
                    MemorySegment s = arena.allocate(size);
                    Libc.getrandom(s);
                    ranges.add(new Range(arena + " " + size, s.address(), size));
                }
            }
        }
        for (long size : new long[] {32, 9000}) {
            Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, size);
            k.read(s -> ranges.add(new Range("Secret.random " + size, s.address(), size)));
            k.close();
        }
        Secret<SecretKind.Password> p = Secret.fromCharsWiping(SecretKind.Password.class,
                "correct horse battery staple".toCharArray());
        p.read(s -> ranges.add(new Range("Secret.fromCharsWiping", s.address(), s.byteSize())));
        p.destroy();
        assertWiped(ranges);
        memfd.close();
        isolated.close();
    }

    @Test
    void anIsolatedSecretsWholeRunIsZeroAfterClose() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        List<Range> runs = new ArrayList<>();
        try (SecretArena arena = SecretArena.ofConfined(a)) {
            for (long size : new long[] {5000, 8192, 12_345, 100_000, 1 << 20, 4097, 6000, 9999}) {
                MemorySegment s = arena.allocate(size);
                s.fill((byte) 0x5C);
                long end = s.address() + size;
                long pages = (size + 16 + Memory.pageSize() - 1) / Memory.pageSize();
                runs.add(new Range("isolated run of " + size, end - pages * Memory.pageSize(),
                        pages * Memory.pageSize()));
            }
        }
        assertWiped(runs);
        a.close();
    }
}
