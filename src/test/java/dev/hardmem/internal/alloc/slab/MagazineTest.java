package dev.hardmem.internal.alloc.slab;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.guarded.Allocation;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.TestAllocators;
import dev.hardmem.guarded.Tier;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.Gc;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The slab tier's per-thread magazines: slots move between threads, come back from dead threads, and a slot that
 * verify() finds damaged in another thread's magazine is never handed out again. See "Who owns a slot" in
 * {@link SlabTier}.
 */
class MagazineTest {
    private static final int SIZE = 32;

    /** Runs {@code task} on a new platform thread and waits until that thread has ended. */
    private static <T> T onPlatformThreadThatEnds(java.util.concurrent.Callable<T> task) throws Exception {
        List<T> out = new ArrayList<>();
        List<Throwable> failure = new ArrayList<>();
        Thread t = Thread.ofPlatform().name("short-lived").start(() -> {
            try {
                out.add(task.call());
            } catch (Throwable e) {
                failure.add(e);
            }
        });
        t.join(30_000);
        assertFalse(t.isAlive(), "the thread did not end");
        if (!failure.isEmpty()) {
            throw new AssertionError("the thread failed", failure.get(0));
        }
        return out.get(0);
    }

    @Test
    void aSecretAllocatedOnOneThreadIsFreedOnAnotherExactlyOnce() throws Exception {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        GuardedHeap heap = TestAllocators.heapOf(a);
        List<Block> blocks = onPlatformThreadThatEnds(() -> {
            List<Block> made = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Block b = heap.allocate(SIZE, 1);
                b.raw().fill((byte) 0x77);
                made.add(b);
            }
            return made;
        });
        assertEquals(100, a.stats().liveSecrets());
        for (Block b : blocks) {
            b.raw().fill((byte) 0);
            heap.free(b); // into this thread's magazine
        }
        assertEquals(0, a.stats().liveSecrets());
        assertThrows(IllegalStateException.class, () -> heap.free(blocks.get(0)), "a second free must fail");
        a.verify();
        a.close();
    }

    @Test
    void slotsCachedByAThreadThatDiedGoBackToThePoolWhereVerifySeesThem() throws Exception {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        CountDownLatchPair sync = new CountDownLatchPair();
        Thread t = sync.startHolder(a); // the slot it freed waits in its magazine
        Memory.at(sync.address, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x13); // a dangling write
        // While its thread lives, the slot is that thread's: verify() checks only its canary, and leaves the
        // write to be found when the slot is next allocated (documented in docs/guarded-allocator.md).
        a.verify();
        sync.mayEnd.countDown();
        t.join(30_000);
        assertFalse(t.isAlive());
        // Dead: its magazine goes back to the pool, where verify() checks every free slot in full.
        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify);
        assertTrue(e.getMessage().contains("write after free"), e.getMessage());
        assertEquals(1, a.stats().quarantinedSlots());
        a.close();
    }

    @Test
    void aSlotVerifyCondemnsInAnotherThreadsMagazineIsQuarantinedByItsOwnerAndNeverHandedOut() throws Exception {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        ExecutorService owner = Executors.newSingleThreadExecutor();
        try {
            long damaged = owner.submit(() -> {
                Allocation x = a.allocate(SIZE, 1, Tier.SLAB);
                long address = x.segment().address();
                x.close();
                return address;
            }).get(30, TimeUnit.SECONDS);
            flip(damaged + SIZE); // overrun into the canary
            MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify);
            assertTrue(e.getMessage().contains("canary"), e.getMessage());
            assertEquals(0, a.stats().quarantinedSlots(), "verify() must not touch a slot another thread holds");
            Future<Set<Long>> handedOut = owner.submit(() -> {
                Set<Long> seen = new HashSet<>();
                for (int i = 0; i < 2000; i++) {
                    Allocation y = a.allocate(SIZE, 1, Tier.SLAB);
                    seen.add(y.segment().address());
                    y.close();
                }
                return seen;
            });
            Set<Long> seen = handedOut.get(60, TimeUnit.SECONDS); // no MemoryCorruptionError: reported once
            assertFalse(seen.contains(damaged), "the condemned slot was handed out again");
            assertEquals(1, a.stats().quarantinedSlots(), "its owner quarantined it");
            assertEquals(1, a.stats().canaryFailures());
            assertTrue(isZero(damaged), "the condemned slot was wiped");
        } finally {
            owner.shutdown();
            assertTrue(owner.awaitTermination(30, TimeUnit.SECONDS));
        }
        a.close();
    }

    @Test
    void threadsThatComeAndGoDoNotPileUpMagazines() throws Exception {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        SlabTier slabs = TestAllocators.heapOf(a).slabs();
        for (int i = 0; i < 50; i++) {
            onPlatformThreadThatEnds(() -> {
                a.allocate(SIZE, 1, Tier.SLAB).close();
                return null;
            });
        }
        // Each new thread forgets the ones that ended before it: only the last may still be listed.
        assertTrue(slabs.threadsWithMagazines() <= 1, slabs.threadsWithMagazines() + " threads listed");
        a.verify();
        assertEquals(0, slabs.threadsWithMagazines());
        a.close();
    }

    @Test
    void aThreadWhoseThreadLocalsTheJdkErasesKeepsOneSetOfMagazines() throws Exception {
        // A Cleaner's thread erases its thread-locals before every cleanup action (JDK 25 CleanerImpl): each
        // action below runs on that one thread with a fresh thread-local map.
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        SlabTier slabs = TestAllocators.heapOf(a).slabs();
        Cleaner cleaner = Cleaner.create();
        int rounds = 20;
        java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(rounds);
        for (int i = 0; i < rounds; i++) {
            cleaner.register(new Object(), () -> {
                a.allocate(SIZE, 1, Tier.SLAB).close();
                ran.countDown();
            });
        }
        Gc.awaitUntil(() -> ran.getCount() == 0, Duration.ofSeconds(20));
        assertEquals(0, ran.getCount(), "the cleaner did not run every action");
        assertEquals(1, slabs.threadsWithMagazines(), "one thread, one set of magazines");
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }

    @Test
    void aSlotCondemnedInADeadThreadsMagazineIsQuarantinedWhenReclaimedAndReportedOnce() throws Exception {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        CountDownLatchPair sync = new CountDownLatchPair();
        Thread t = sync.startHolder(a);
        flip(sync.address + SIZE); // into the canary
        assertThrows(MemoryCorruptionError.class, a::verify); // reported, condemned
        sync.mayEnd.countDown();
        t.join(30_000);
        a.verify(); // reclaims the dead thread's magazine: the condemned slot is quarantined, not reported again
        assertEquals(1, a.stats().canaryFailures());
        assertEquals(1, a.stats().quarantinedSlots());
        Thread v = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 2 * Layout.slabSlots(SIZE); i++) {
                Allocation y = a.allocate(SIZE, 1, Tier.SLAB);
                assertFalse(y.segment().address() == sync.address, "the condemned slot was handed out again");
                y.close();
            }
        });
        v.join(60_000);
        assertEquals(1, a.stats().canaryFailures(), "reported once");
        a.close();
    }

    @Test
    void aClosedAllocatorIsNotKeptAliveByTheThreadsThatUsedIt() throws Exception {
        WeakReference<Object> heap = useAndClose();
        Gc.awaitCollected(heap, Duration.ofSeconds(20));
        assertTrue(heap.get() == null, "this thread's magazines keep a closed allocator reachable");
    }

    private static WeakReference<Object> useAndClose() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        a.allocate(SIZE, 1, Tier.SLAB).close(); // this thread now has magazines for it
        a.close();
        return new WeakReference<>(TestAllocators.heapOf(a));
    }

    @Test
    void virtualThreadsAllocateFromTheSharedPoolWhereFreedSlotsAreCheckedAtOnce() throws Exception {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
        long[] freed = new long[1];
        Thread v = Thread.ofVirtual().start(() -> {
            List<Allocation> held = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                held.add(a.allocate(SIZE, 1, Tier.SLAB));
            }
            freed[0] = held.get(7).segment().address();
            held.forEach(Allocation::close);
        });
        v.join(30_000);
        assertEquals(0, a.stats().liveSecrets());
        Memory.at(freed[0], 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x13);
        // No magazine for virtual threads: the slot went straight back to the pool, so verify() sees it.
        assertThrows(MemoryCorruptionError.class, a::verify);
        a.close();
    }

    private static boolean isZero(long address) {
        var s = Memory.at(address, SIZE + Layout.CANARY);
        for (long i = 0; i < SIZE; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Two one-shot signals between the test and a thread it started. */
    private static final class CountDownLatchPair {
        final java.util.concurrent.CountDownLatch freed = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch mayEnd = new java.util.concurrent.CountDownLatch(1);
        volatile long address;

        /**
         * Starts a thread that allocates a slab slot, frees it (into its own magazine), records its address, and
         * then lives until {@link #mayEnd}; returns once the slot is freed.
         */
        Thread startHolder(GuardedAllocator a) {
            Thread t = Thread.ofPlatform().name("holds-a-freed-slot").start(() -> {
                Allocation x = a.allocate(SIZE, 1, Tier.SLAB);
                address = x.segment().address();
                x.close();
                freed.countDown();
                await(mayEnd);
            });
            await(freed);
            return t;
        }

        void await(java.util.concurrent.CountDownLatch latch) {
            try {
                assertTrue(latch.await(30, TimeUnit.SECONDS), "timed out");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Changes the byte at {@code address} whatever it holds (a fixed value would miss a canary byte equal to it). */
    private static void flip(long address) {
        MemorySegment b = Memory.at(address, 1);
        b.set(ValueLayout.JAVA_BYTE, 0, (byte) ~b.get(ValueLayout.JAVA_BYTE, 0));
    }
}
