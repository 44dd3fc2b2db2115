package dev.hardmem.guarded;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.internal.alloc.isolated.IsolatedProbe;
import dev.hardmem.internal.alloc.isolated.IsolatedTier;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The isolated tier: the {@link TierContract}, and what only an isolated secret has: a run of pages of its own,
 * ending against a guard page, with padding below its canary that {@code verify()} checks.
 */
class IsolatedTierTest extends TierContract {
    private static final long PAGE = Memory.pageSize();

    @Override
    GuardPolicy policy() {
        return GuardPolicy.defaults();
    }

    @Override
    Tier tier() {
        return Tier.ISOLATED;
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
    void freeWipesTheWholeRun() {
        GuardedAllocator a = fresh();
        Allocation y = a.allocate(5000, 1, Tier.ISOLATED);
        MemorySegment run = IsolatedProbe.run(y.block);
        y.segment().fill((byte) 0x77);
        y.close();
        assertTrue(FreeWatch.isZero(run), "the whole isolated run is wiped");
        a.close();
    }

    @Test
    void verifyFindsWritesIntoThePaddingBelowAnIsolatedSecretAndIntoAFreeSlot() {
        GuardedAllocator a = fresh();
        Allocation live = a.allocate(32, 1, Tier.ISOLATED);
        long runStart = live.segment().address() + 32 - Memory.pageSize();
        Memory.at(runStart + 100, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // far below the canary
        assertThrows(MemoryCorruptionError.class, a::verify);
        live.close();
        Allocation other = a.allocate(32, 1, Tier.ISOLATED);
        long freedRun = other.segment().address() + 32 - Memory.pageSize();
        other.close();
        Memory.at(freedRun + 10, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // a write after free, into padding
        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify);
        assertTrue(e.getMessage().contains("verify found 1"), e.getMessage());
        a.verify(); // both slots are quarantined now: nothing left to report
        assertEquals(2, a.stats().quarantinedSlots());
        a.close();
    }

    @Test
    void aBatchWithAFreeSlotWrittenAfterFreeIsNotUnmappedUntilTheWriteIsReported() {
        GuardedAllocator a = fresh();
        // One-page runs, mapped in batches of slots next to each other (one guard page between neighbours).
        long stride = (Layout.isolatedPages(100, 1) + 1) * PAGE;
        int perBatch = Layout.isolatedBatch(Layout.isolatedPages(100, 1));
        int batches = (int) (2 * IsolatedTier.POOL_CAP / ((perBatch - 1) * PAGE)) + 2;
        TreeMap<Long, Allocation> byRun = new TreeMap<>();
        for (int i = 0; i < batches * perBatch; i++) {
            Allocation x = a.allocate(100, 1, Tier.ISOLATED);
            byRun.put(IsolatedProbe.run(x.block).address(), x);
        }
        List<List<Allocation>> groups = new ArrayList<>();
        long previous = Long.MIN_VALUE;
        for (Map.Entry<Long, Allocation> e : byRun.entrySet()) {
            if (e.getKey() - previous != stride) {
                groups.add(new ArrayList<>());
            }
            groups.getLast().add(e.getValue());
            previous = e.getKey();
        }
        // Every batch keeps one slot live, so the pools hold well over their cap of free runs and none is unmapped.
        List<Allocation> anchors = new ArrayList<>();
        for (List<Allocation> g : groups) {
            anchors.add(g.getFirst());
            g.subList(1, g.size()).forEach(Allocation::close);
        }
        List<Allocation> whole = groups.stream().filter(g -> g.size() == perBatch).findFirst().orElseThrow();
        long dangling = IsolatedProbe.run(whole.get(1).block).address();
        Memory.at(dangling + 10, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x13); // a dangling native pointer writes
        Allocation last = whole.getFirst();
        anchors.remove(last);
        last.close(); // its batch is all free now, with the pools over their cap: it would be unmapped

        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify,
                "the write after free was erased with its batch, unreported");
        assertTrue(e.getMessage().contains("verify found 1"), e.getMessage());
        a.verify(); // reported once, then quarantined
        anchors.forEach(Allocation::close);
        a.close();
    }

    @Test
    void aFreedSlotIsNotHandedOutAgainAtOnce() {
        // A dangling native pointer to a freed secret must not find the next secret there: the thread's cache hands
        // out its oldest slots and holds its newest half back, as the pool (first in, first out) does.
        GuardedAllocator a = fresh();
        for (long size : new long[] {100, 5000}) {
            Allocation warm = a.allocate(size, 1, Tier.ISOLATED);
            Allocation first = a.allocate(size, 1, Tier.ISOLATED);
            long freed = first.segment().address();
            first.close();
            for (int i = 0; i < 2; i++) { // the two-page cache holds back 2 slots, the one-page cache 4
                try (Allocation next = a.allocate(size, 1, Tier.ISOLATED)) {
                    assertNotEquals(freed, next.segment().address(), "the slot just freed was handed out again");
                }
            }
            warm.close();
        }
        a.close();
    }
}
