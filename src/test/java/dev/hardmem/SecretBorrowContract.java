package dev.hardmem;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A secret is borrowed as Rust's {@code RefCell} and the {@code secrets} crate borrow: by many readers or by one
 * writer. On the thread that holds a borrow, a write inside a read or a write, or a read inside a write, of the same
 * secret is refused at once; other threads wait for the borrow to end. The ideas are those of the crate's
 * {@code it_doesnt_allow_multiple_writers} and {@code it_doesnt_allow_different_access_types} tests. Every
 * implementation of {@link Secret}'s contract borrows so; subclasses name the implementation.
 */
public abstract class SecretBorrowContract {
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** How long a thread that must wait is watched not to get in. */
    private static final long WAITS_MILLIS = 300;

    /** For subclasses, one per implementation. */
    protected SecretBorrowContract() {
    }

    /** {@return how to make the secrets under test} */
    protected abstract SecretUnderTest.Maker maker();

    private SecretUnderTest counting(int n) {
        return maker().withContents(n, m -> {
            for (int i = 0; i < n; i++) {
                m.set(BYTE, i, (byte) (i + 1));
            }
        });
    }

    // ---------------------------------------------------------------- the same thread: refused at once

    @Test
    void aSecondWriterInsideAWriteIsRefused() {
        try (SecretUnderTest s = counting(8)) {
            AtomicBoolean innerRan = new AtomicBoolean();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.write(outer ->
                    s.write(inner -> innerRan.set(true))));
            assertFalse(innerRan.get());
            assertTrue(e.getMessage().contains("write") && e.getMessage().contains("open for writing"),
                    e.getMessage());
        }
    }

    @Test
    void aReadInsideAWriteIsRefused() {
        try (SecretUnderTest s = counting(8)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.write(outer ->
                    s.read(inner -> inner.get(BYTE, 0))));
            assertTrue(e.getMessage().contains("read") && e.getMessage().contains("open for writing"),
                    e.getMessage());
            // What reads on the way refuses the same way: a copy, a comparison with itself or with another.
            try (SecretUnderTest other = counting(8)) {
                assertThrows(IllegalStateException.class, () -> s.write(m -> s.insecureCopyToHeap()));
                assertThrows(IllegalStateException.class, () -> s.write(m -> s.contentEquals(s)));
                assertThrows(IllegalStateException.class, () -> s.write(m -> other.contentEquals(s)));
            }
        }
    }

    @Test
    void aWriteInsideAReadIsRefused() {
        try (SecretUnderTest s = counting(8)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.read(outer -> {
                s.write(inner -> inner.set(BYTE, 0, (byte) 42));
                return null;
            }));
            assertTrue(e.getMessage().contains("write") && e.getMessage().contains("open for reading"),
                    e.getMessage());
            assertEquals(1, (int) s.read(m -> m.get(BYTE, 0)), "the refused write wrote nothing");
            // Deeper down too: a write inside a read inside a read.
            assertThrows(IllegalStateException.class, () -> s.read(a -> s.read(b -> {
                s.write(c -> c.fill((byte) 0));
                return null;
            })));
        }
    }

    @Test
    void readsNestAndOtherSecretsAreIndependent() {
        try (SecretUnderTest a = counting(8); SecretUnderTest b = counting(8)) {
            int sum = a.read(x -> a.read(y -> x.get(BYTE, 1) + y.get(BYTE, 2)));
            assertEquals(5, sum);
            // A borrow of one secret says nothing about another: write b while reading a, and a while writing b.
            a.read(x -> {
                b.write(y -> {
                    MemorySegment.copy(x, 0, y, 0, 8);
                    y.set(BYTE, 0, (byte) 7);
                });
                return null;
            });
            b.write(y -> a.write(x -> x.set(BYTE, 0, y.get(BYTE, 0))));
            assertTrue(a.contentEquals(b));
        }
    }

    @Test
    void aRefusedBorrowLeavesNothingOpen() {
        SecretUnderTest s = counting(8);
        assertThrows(IllegalStateException.class, () -> s.write(m -> s.write(n -> { })));
        assertThrows(IllegalStateException.class, () -> s.write(m -> s.read(n -> null)));
        assertThrows(IllegalStateException.class, () -> s.read(m -> {
            s.write(n -> { });
            return null;
        }));
        // Were any borrow still counted, this write would be refused, another thread's write would never get in,
        // and close would refuse (from this thread) or hang (from another).
        s.write(m -> m.set(BYTE, 0, (byte) 9));
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                s.write(m -> m.set(BYTE, 1, (byte) 9));
                s.close();
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        assertJoins(t);
        assertEquals(null, failed.get());
        assertTrue(s.isDestroyed());
    }

    @Test
    void closeInsideAWriteNamesTheWrite() {
        SecretUnderTest s = counting(8);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.write(m -> s.close()));
        assertTrue(e.getMessage().contains("open for writing"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> s.read(m -> {
            s.destroy();
            return null;
        }));
        assertTrue(e.getMessage().contains("open for reading"), e.getMessage());
        assertFalse(s.isDestroyed());
        assertEquals(1, (int) s.read(m -> m.get(BYTE, 0)), "the refused close changed nothing");
        s.close();
        assertTrue(s.isDestroyed());
    }

    // ---------------------------------------------------------------- other threads: they wait

    /** Runs {@code body} on a new thread of the given kind inside a write of {@code s}, until {@code release}. */
    private static Thread writerHolding(Thread.Builder kind, SecretUnderTest s, CountDownLatch inside,
                                        CountDownLatch release) {
        return kind.start(() -> s.write(m -> {
            m.set(BYTE, 0, (byte) 0x55);
            inside.countDown();
            await(release);
            m.set(BYTE, 1, (byte) 0x55);
        }));
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertJoins(Thread t) {
        try {
            assertTrue(t.join(Duration.ofSeconds(10)), t + " did not finish");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private void aWriteOnOneThreadExcludesReadsAndWritesOnAnother(Thread.Builder kind) {
        for (boolean secondWrites : new boolean[] {false, true}) {
            try (SecretUnderTest s = counting(8)) {
                CountDownLatch inside = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                Thread writer = writerHolding(kind, s, inside, release);
                await(inside);
                AtomicReference<byte[]> seen = new AtomicReference<>();
                Thread second = kind.start(() -> {
                    if (secondWrites) {
                        s.write(m -> seen.set(m.toArray(BYTE)));
                    } else {
                        seen.set(s.read(m -> m.toArray(BYTE)));
                    }
                });
                try {
                    second.join(Duration.ofMillis(WAITS_MILLIS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                assertTrue(second.isAlive(), (secondWrites ? "a write" : "a read") + " got in during a write");
                assertEquals(null, seen.get());
                release.countDown();
                assertJoins(writer);
                assertJoins(second);
                byte[] expected = {0x55, 0x55, 3, 4, 5, 6, 7, 8};
                assertArrayEquals(expected, seen.get(), "it saw the whole write, not half of it");
            }
        }
    }

    @Test
    void aWriteOnOnePlatformThreadExcludesReadsAndWritesOnAnother() {
        aWriteOnOneThreadExcludesReadsAndWritesOnAnother(Thread.ofPlatform());
    }

    @Test
    void aWriteOnOneVirtualThreadExcludesReadsAndWritesOnAnother() {
        aWriteOnOneThreadExcludesReadsAndWritesOnAnother(Thread.ofVirtual());
    }

    @Test
    void aWriteWaitsForReadsOnOtherThreadsWhichStillShare() {
        try (SecretUnderTest s = counting(8)) {
            CountDownLatch bothInside = new CountDownLatch(2);
            CountDownLatch release = new CountDownLatch(1);
            Thread[] readers = new Thread[2];
            for (int i = 0; i < readers.length; i++) {
                readers[i] = Thread.ofVirtual().start(() -> s.read(m -> {
                    bothInside.countDown();
                    await(release);
                    return null;
                }));
            }
            // Both readers get in at once: reads on several threads share the secret.
            await(bothInside);
            AtomicBoolean wrote = new AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> s.write(m -> wrote.set(true)));
            try {
                writer.join(Duration.ofMillis(WAITS_MILLIS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertFalse(wrote.get(), "the write got in while two reads were open");
            release.countDown();
            for (Thread r : readers) {
                assertJoins(r);
            }
            assertJoins(writer);
            assertTrue(wrote.get());
        }
    }

    @Test
    void aNestedReadGetsInWhileAnotherThreadWaitsToWrite() {
        // The writer waits for the outer read; were the inner read to queue behind the writer, neither would move.
        try (SecretUnderTest s = counting(8)) {
            Thread writer = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> s.read(outer -> {
                Thread w = Thread.ofPlatform().start(() -> s.write(m -> m.set(BYTE, 0, (byte) 9)));
                while (w.getState() != Thread.State.WAITING && w.isAlive()) {
                    Thread.onSpinWait();
                }
                assertEquals(Thread.State.WAITING, w.getState(), "the writer waits for the read");
                assertEquals(1, (int) s.read(inner -> inner.get(BYTE, 0)), "the writer has not got in");
                return w;
            }));
            assertJoins(writer);
            assertEquals(9, (int) s.read(m -> m.get(BYTE, 0)));
        }
    }

    @Test
    void aVirtualThreadIsRefusedANestedWriteAsAPlatformThreadIs() {
        try (SecretUnderTest s = counting(8)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread v = Thread.ofVirtual().start(() -> {
                try {
                    s.write(outer -> {
                        Thread.yield(); // may resume on another carrier: the borrow belongs to the virtual thread
                        s.write(inner -> { });
                    });
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            assertJoins(v);
            assertInstanceOf(IllegalStateException.class, thrown.get());
        }
    }

    // ---------------------------------------------------------------- many threads at once

    @Test
    void comparingAWithBAndBWithAWhileBothAreWrittenNeverDeadlocks() throws InterruptedException {
        // A comparison holds both secrets; taken in the callers' order, a reader of a waiting for b behind b's
        // writer, while a reader of b waits for a behind a's writer, would wait forever.
        SecretUnderTest a = counting(8);
        SecretUnderTest b = counting(8);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Runnable> loops = List.of(() -> a.contentEquals(b), () -> b.contentEquals(a),
                () -> a.write(m -> { }), () -> b.write(m -> { }));
        List<Thread> threads = new ArrayList<>();
        for (Runnable loop : loops) {
            threads.add(Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (!stop.get()) {
                        loop.run();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        Thread.sleep(1500);
        stop.set(true);
        for (Thread t : threads) {
            // Not assertJoins: a deadlocked run must fail here, without closing what the stuck threads hold.
            assertTrue(t.join(Duration.ofSeconds(10)), "deadlocked: " + t.getState());
        }
        assertEquals(null, failure.get());
        a.close();
        b.close();
    }


    @Test
    void manyThreadsReadingAndWritingAtOnceKeepTheContentsWhole() throws InterruptedException {
        // The invariant: bytes 8.. all equal the low byte of the count in bytes 0..7. Each write adds one to the
        // count and rewrites the rest, one byte at a time; a reader that saw half a write, or two writers that
        // overlapped, would break it, and a lost write would leave the count short.
        int threads = 8;
        int rounds = 400;
        try (SecretUnderTest s = maker().withContents(72, m -> { })) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                boolean virtual = t % 2 == 1;
                Runnable work = () -> {
                    try {
                        await(start);
                        for (int r = 0; r < rounds && failure.get() == null; r++) {
                            s.write(m -> {
                                long count = m.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) + 1;
                                m.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, count);
                                for (long i = 8; i < m.byteSize(); i++) {
                                    m.set(BYTE, i, (byte) count);
                                }
                            });
                            String broken = s.read(SecretBorrowContract::brokenInvariant);
                            if (broken != null) {
                                throw new AssertionError(broken);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                };
                workers[t] = virtual ? Thread.ofVirtual().start(work) : Thread.ofPlatform().start(work);
            }
            start.countDown();
            for (Thread w : workers) {
                assertJoins(w);
            }
            assertEquals(null, failure.get());
            assertEquals((long) threads * rounds, (long) s.read(m -> m.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)),
                    "every write counted once");
            assertEquals(null, s.read(SecretBorrowContract::brokenInvariant));
        }
    }

    private static String brokenInvariant(MemorySegment m) {
        byte expected = (byte) m.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        for (long i = 8; i < m.byteSize(); i++) {
            if (m.get(BYTE, i) != expected) {
                return "byte " + i + " is " + m.get(BYTE, i) + ", the count says " + expected;
            }
        }
        return null;
    }
}
