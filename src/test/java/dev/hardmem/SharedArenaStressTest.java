package dev.hardmem;

import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.FreeListeners;
import dev.hardmem.testing.FreeLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Many threads allocate, write, read and copy through one shared {@link SecretArena} while another thread closes it.
 * Nothing may crash, the only exception anyone may see is the JDK's {@code IllegalStateException("Already closed")},
 * no thread may ever read a wiped (or half-wiped) segment instead of getting that exception, and afterwards every
 * block that was handed out has been freed, wiped.
 */
class SharedArenaStressTest {
    /** The most threads the machine runs at once, doubled, and at least 8. */
    private static final int THREADS = Math.max(8, 2 * Runtime.getRuntime().availableProcessors());
    /** 8 rounds; the stress profile (30 s instead of 3) runs ten times as many. */
    private static final int ROUNDS = (int) Math.max(8, 8 * Long.getLong("hardmem.stress.seconds", 3) / 3);
    /** Bounds the memory a round takes (the default allocator locks it) to a few MiB. */
    private static final int MAX_PER_WORKER = 2000;

    @AfterEach
    void stopWatching() {
        FreeListeners.observe(FreeListener.NONE);
    }

    /** A segment a worker allocated and the byte it filled it with. */
    private record Mine(MemorySegment segment, byte value) {
    }

    private static final class Worker implements Runnable {
        final SecretArena arena;
        final AtomicReferenceArray<MemorySegment> everyone;
        final CountDownLatch started;
        final ConcurrentLinkedQueue<Long> allocated;
        final ConcurrentLinkedQueue<Throwable> unexpected;
        final List<Mine> mine = new ArrayList<>();
        long operations;

        Worker(SecretArena arena, AtomicReferenceArray<MemorySegment> everyone, CountDownLatch started,
               ConcurrentLinkedQueue<Long> allocated, ConcurrentLinkedQueue<Throwable> unexpected) {
            this.arena = arena;
            this.everyone = everyone;
            this.started = started;
            this.allocated = allocated;
            this.unexpected = unexpected;
        }

        @Override
        public void run() {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            started.countDown();
            try {
                while (true) {
                    operations++;
                    switch (r.nextInt(6)) {
                        case 0, 1 -> {
                            if (mine.size() == MAX_PER_WORKER) {
                                continue;
                            }
                            MemorySegment s = arena.allocate(r.nextInt(0, 700), 1L << r.nextInt(0, 8));
                            allocated.add(s.address());
                            byte v = (byte) r.nextInt(1, 256);
                            s.fill(v);
                            mine.add(new Mine(s, v));
                            everyone.set(r.nextInt(everyone.length()), s);
                        }
                        case 2 -> {
                            // A segment of our own must hold exactly what we wrote, or throw: never zeros.
                            if (mine.isEmpty()) {
                                continue;
                            }
                            Mine m = mine.get(r.nextInt(mine.size()));
                            byte[] got = m.segment().toArray(ValueLayout.JAVA_BYTE);
                            for (int i = 0; i < got.length; i++) {
                                if (got[i] != m.value()) {
                                    unexpected.add(new AssertionError("byte " + i + " of " + got.length
                                            + " was " + got[i] + ", written " + m.value()));
                                    return;
                                }
                            }
                        }
                        case 3 -> {
                            // Someone else's: the contents may be changing under us, only the access matters.
                            MemorySegment s = everyone.get(r.nextInt(everyone.length()));
                            if (s != null && s.byteSize() > 0) {
                                s.get(ValueLayout.JAVA_BYTE, r.nextLong(s.byteSize()));
                            }
                        }
                        case 4 -> {
                            MemorySegment a = everyone.get(r.nextInt(everyone.length()));
                            if (a != null && !mine.isEmpty()) {
                                Mine m = mine.get(r.nextInt(mine.size()));
                                long n = Math.min(a.byteSize(), m.segment().byteSize());
                                MemorySegment copy = arena.allocate(n);
                                allocated.add(copy.address());
                                MemorySegment.copy(m.segment(), 0, copy, 0, n);
                            }
                        }
                        default -> {
                            if (!mine.isEmpty()) {
                                ByteBuffer b = mine.get(r.nextInt(mine.size())).segment().asByteBuffer();
                                if (b.hasRemaining()) {
                                    b.get(b.limit() - 1);
                                }
                            }
                        }
                    }
                }
            } catch (IllegalStateException e) {
                if (!"Already closed".equals(e.getMessage())) {
                    unexpected.add(e);
                }
            } catch (Throwable t) {
                unexpected.add(t);
            }
        }
    }

    @Test
    void threadsAtWorkWhileTheArenaCloses() throws InterruptedException {
        long totalOps = 0;
        for (int round = 0; round < ROUNDS; round++) {
            ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> allocated = new ConcurrentLinkedQueue<>();
            try (FreeLog log = FreeLog.start()) {
                SecretArena arena = SecretArena.ofShared();
                AtomicReferenceArray<MemorySegment> everyone = new AtomicReferenceArray<>(256);
                CountDownLatch started = new CountDownLatch(THREADS);
                List<Worker> workers = new ArrayList<>();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < THREADS; i++) {
                    Worker w = new Worker(arena, everyone, started, allocated, unexpected);
                    workers.add(w);
                    threads.add(Thread.ofPlatform().name("stress-" + round + "-" + i).start(w));
                }
                assertTrue(started.await(10, TimeUnit.SECONDS));
                Thread.sleep(ThreadLocalRandom.current().nextInt(100, 300));
                // Closed from a thread of its own, as a shared arena may be.
                Thread closer = Thread.ofPlatform().start(() -> {
                    try {
                        arena.close();
                    } catch (Throwable t) {
                        unexpected.add(t);
                    }
                });
                closer.join(TimeUnit.SECONDS.toMillis(10));
                assertFalse(closer.isAlive(), "close hangs");
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(10));
                    assertFalse(t.isAlive(), t.getName() + " still runs after close");
                }
                assertFalse(arena.scope().isAlive());
                if (!unexpected.isEmpty()) {
                    AssertionError e = new AssertionError("round " + round + ": " + unexpected.size()
                            + " unexpected failures, first: " + unexpected.peek());
                    unexpected.forEach(e::addSuppressed);
                    throw e;
                }
                for (Worker w : workers) {
                    totalOps += w.operations;
                }
                assertFalse(allocated.isEmpty(), "round " + round + ": nothing was allocated");
                List<FreeLog.Freed> freed = log.at(allocated);
                assertEquals(allocated.stream().sorted().toList(),
                        freed.stream().map(FreeLog.Freed::address).sorted().toList(),
                        "round " + round + ": every block handed out was freed, once");
                assertEquals(0, freed.stream().filter(f -> !f.zero()).count(),
                        "round " + round + ": every block wiped before its free");
            }
        }
        if (totalOps < 1000) {
            fail("the threads hardly ran: " + totalOps + " operations");
        }
        System.out.println("SharedArenaStressTest: " + totalOps + " operations in " + ROUNDS + " rounds");
    }
}
