package dev.hardmem.proof;

import dev.hardmem.SecretArena;
import dev.hardmem.SystemCallException;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.MemoryBudgetException;
import dev.hardmem.guarded.Stats;
import dev.hardmem.guarded.TestAllocators;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.FaultyOs;
import dev.hardmem.internal.os.Smaps;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Makes each system call of the allocator fail (through the native layer's test-only switch) on each allocation
 * path, and checks that the allocation fails cleanly with a clear message, leaks no mapping and no locked byte,
 * and leaves every existing secret intact.
 */
class FaultInjectionTest {
    @ParameterizedTest(name = "{0} fails with {1} on the {2} path")
    @CsvSource({
        "mmap, ENOMEM, slab", "mmap, ENOMEM, isolated",
        "mprotect, ENOMEM, slab", "mprotect, EACCES, isolated",
        "madvise, EINVAL, slab", "madvise, EINVAL, isolated",
        "mlock, ENOMEM, slab", "mlock, EPERM, isolated",
        "memfd_secret, ENOSYS, memfd", "mmap, ENOMEM, memfd"})
    void eachAllocationPathFailsCleanly(String call, String errnoName, String path) {
        int errno = switch (errnoName) {
            case "ENOMEM" -> Errno.ENOMEM;
            case "EACCES" -> 13;
            case "EINVAL" -> Errno.EINVAL;
            case "EPERM" -> Errno.EPERM;
            case "EAGAIN" -> Errno.EAGAIN;
            default -> Errno.ENOSYS;
        };
        GuardPolicy policy = GuardPolicy.defaults();
        if (path.equals("memfd")) {
            policy = policy.withBacking(GuardPolicy.Backing.MEMFD_SECRET);
        }
        FaultyOs os = new FaultyOs();
        GuardedAllocator a = TestAllocators.create(policy, os);
        long size = path.equals("slab") ? 32 : 9000;
        SecretArena arena = SecretArena.ofConfined(a);
        // Existing secrets, in both tiers, before the fault.
        List<MemorySegment> before = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            MemorySegment s = arena.allocate(i == 0 ? 9000 : 32);
            s.set(ValueLayout.JAVA_LONG, 0, 0xC0FFEE00L + i);
            before.add(s);
        }
        // Exhaust the pools so the next allocation of that size must map a new region.
        List<MemorySegment> filler = new ArrayList<>();
        Stats s0 = a.stats();
        while (a.stats().slabs() == s0.slabs() && a.stats().isolatedSlots() == s0.isolatedSlots()) {
            filler.add(arena.allocate(size));
        }
        Stats settled = a.stats();
        int mappingsBefore = Smaps.countMappings();

        os.inject(call, errno, -1);
        RuntimeException e = assertThrows(RuntimeException.class, () -> {
            for (int i = 0; i < 2000; i++) {
                arena.allocate(size);
            }
        });
        os.clear();

        assertTrue(e instanceof SystemCallException || e instanceof MemoryBudgetException, e.toString());
        assertTrue(e.getMessage().contains(call) && e.getMessage().contains(errnoName), e.getMessage());
        Stats after = a.stats();
        assertEquals(settled.bytesLocked(), after.bytesLocked(), "no locked byte leaked");
        assertEquals(settled.mappings(), after.mappings(), "no mapping counted");
        assertTrue(Smaps.countMappings() <= mappingsBefore + 2, "no mapping leaked");
        for (int i = 0; i < before.size(); i++) {
            assertEquals(0xC0FFEE00L + i, before.get(i).get(ValueLayout.JAVA_LONG, 0), "existing secret intact");
        }
        // and the allocator still works once the kernel cooperates again
        arena.allocate(size).fill((byte) 1);
        arena.close();
        a.close();
    }
}
