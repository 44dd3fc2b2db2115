package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
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
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Twice as many threads as the machine has cores (at least 8) allocate, use and free against shared arenas, the
 * guarded allocator directly (slab and isolated sizes, freed on their own thread or another's) and secrets, while
 * another thread keeps closing and replacing the shared arena. 3 seconds by default;
 * {@code -Dhardmem.stress.seconds=30} (the {@code stress} profile) for the long run. Afterwards the counts balance,
 * nothing is corrupted, no memory was handed out twice while live, and every freed byte was zero when it was freed.
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
        int threadCount = Math.max(8, 2 * Runtime.getRuntime().availableProcessors());
        Set<Long> live = ConcurrentHashMap.newKeySet();
        try (FreeWatch watch = FreeWatch.start()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < threadCount; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom r = new SplittableRandom(id);
                    List<Allocation> mine = new ArrayList<>();
                    while (System.nanoTime() < deadline) {
                        try {
                            long size = 1 + r.nextInt(r.nextBoolean() ? 64 : 6000);
                            long value = r.nextLong();
                            if (id % 3 == 0) {
                                Allocation a = alloc.allocate(size);
                                if (!live.add(a.segment().address())) {
                                    unexpected.add(new AssertionError("live memory was handed out twice"));
                                }
                                a.segment().fill((byte) value);
                                mine.add(a);
                                if (mine.size() > 50 || r.nextInt(3) == 0) {
                                    Allocation old = mine.remove(r.nextInt(mine.size()));
                                    check(old.segment());
                                    live.remove(old.segment().address()); // before the free: still ours
                                    old.close();
                                }
                            } else if (id % 3 == 1) {
                                try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, size, alloc)) {
                                    key.write(k -> k.fill((byte) value));
                                    key.read(k -> {
                                        check(k);
                                        return null;
                                    });
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
