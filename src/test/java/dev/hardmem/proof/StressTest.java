package dev.hardmem.proof;

import dev.hardmem.SecretArena;
import dev.hardmem.guarded.Allocation;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.Stats;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 8 threads allocate, use and free against shared arenas and the slab allocator directly, while another thread
 * keeps closing and replacing the shared arena. 3 seconds by default; {@code -Dhardmem.stress.seconds=30} (the
 * {@code stress} profile) for the long run. Afterwards the counts balance, nothing is corrupted, and every freed
 * byte was zero when it was freed.
 */
class StressTest {
    @Test
    void threadsAllocatingUsingAndFreeingAgreeAtTheEnd() throws Exception {
        long seconds = Long.getLong("hardmem.stress.seconds", 3);
        GuardedAllocator alloc = GuardedAllocator.create(GuardPolicy.defaults());
        AtomicReference<SecretArena> shared = new AtomicReference<>(SecretArena.ofShared(alloc));
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        AtomicLong operations = new AtomicLong();
        AtomicLong closedUnderUs = new AtomicLong();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        try (FreeWatch watch = FreeWatch.start()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom r = new SplittableRandom(id);
                    List<Allocation> mine = new ArrayList<>();
                    while (System.nanoTime() < deadline) {
                        try {
                            long size = 1 + r.nextInt(r.nextBoolean() ? 64 : 6000);
                            long value = r.nextLong();
                            if (id % 2 == 0) {
                                Allocation a = alloc.allocate(size);
                                a.segment().fill((byte) value);
                                mine.add(a);
                                if (mine.size() > 50 || r.nextInt(3) == 0) {
                                    Allocation old = mine.remove(r.nextInt(mine.size()));
                                    check(old.segment());
                                    old.close();
                                }
                            } else {
                                MemorySegment s = shared.get().allocate(size);
                                s.fill((byte) value);
                                check(s);
                            }
                            operations.incrementAndGet();
                        } catch (IllegalStateException e) {
                            if (!"Already closed".equals(e.getMessage())) {
                                unexpected.add(e);
                            }
                            closedUnderUs.incrementAndGet();
                        } catch (Throwable e) {
                            unexpected.add(e);
                        }
                    }
                    mine.forEach(Allocation::close);
                }));
            }
            while (System.nanoTime() < deadline) {
                Thread.sleep(20);
                shared.getAndSet(SecretArena.ofShared(alloc)).close();
            }
            for (Thread t : threads) {
                t.join();
            }
            shared.get().close();
            assertTrue(unexpected.isEmpty(), "unexpected: " + unexpected.peek());
            Stats s = alloc.stats();
            assertEquals(0, s.liveSecrets(), "every allocation was freed");
            assertEquals(0, s.bytesInUse());
            assertEquals(0, s.canaryFailures());
            assertEquals(0, s.quarantinedSlots());
            assertEquals(0, watch.dirtyBlocks(), "every freed byte was zero");
            assertTrue(watch.blocks() > 1000, "blocks freed: " + watch.blocks());
            System.out.printf("stress: %d operations in %d s, %d saw their arena closed, %d blocks freed%n",
                    operations.get(), seconds, closedUnderUs.get(), watch.blocks());
        }
        alloc.verify();
        alloc.close();
    }

    private static void check(MemorySegment s) {
        byte b = s.get(ValueLayout.JAVA_BYTE, 0);
        for (long i = 1; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != b) {
                throw new AssertionError("a secret changed under its owner");
            }
        }
    }
}
