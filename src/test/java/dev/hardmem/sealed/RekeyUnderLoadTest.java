package dev.hardmem.sealed;

import dev.hardmem.SecretKind;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.Stats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link SealedSecret#rekey()} while other threads read, write, create and close sealed secrets; and
 * {@link SealedSecret#rekeyEvery(Duration)}. Each secret holds a self-checking value: eight copies of a 32-bit
 * counter that only its writers increment, so a torn value, a value from before a write (a rekey that re-sealed
 * stale storage) and a lost write are all visible.
 */
class RekeyUnderLoadTest {
    private static final int INTS = 8;
    private static final int BYTES = INTS * 4;

    private final List<SealedSecret<SecretKind.Key>> made = new ArrayList<>();

    @BeforeAll
    static void available() {
        assumeTrue(SealedSecret.isAvailable(), "libsodium is missing");
    }

    @AfterEach
    void closeThem() {
        for (SealedSecret<SecretKind.Key> s : made) {
            if (!s.isDestroyed()) {
                s.close();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private SealedSecret<SecretKind.Key> counter(SealingMode mode, int value) {
        SealedSecret<SecretKind.Key> s = SealedSecret.withContents(SecretKind.Key.class, BYTES, mode, seg -> {
            for (int i = 0; i < INTS; i++) {
                seg.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, value);
            }
        });
        made.add(s);
        return s;
    }

    /** {@return the counter, or throws if its copies differ: a torn or corrupted value} */
    private static int value(MemorySegment seg) {
        int v = seg.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 0);
        for (int i = 1; i < INTS; i++) {
            int w = seg.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            if (w != v) {
                throw new AssertionError("torn value: copy 0 is " + v + ", copy " + i + " is " + w);
            }
        }
        return v;
    }

    private static long epoch(SealedSecret<?> s) {
        Lock r = s.stateForTests().lock.readLock();
        r.lock();
        try {
            return s.stateForTests().key().epoch();
        } finally {
            r.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private static Set<SealedState> vaultLive() throws ReflectiveOperationException {
        Field f = Vault.class.getDeclaredField("LIVE");
        f.setAccessible(true);
        return (Set<SealedState>) f.get(null);
    }

    private static Stats keyStats() throws ReflectiveOperationException {
        Field f = ProcessKey.class.getDeclaredField("KEYS");
        f.setAccessible(true);
        return ((GuardedAllocator) f.get(null)).stats();
    }

    /** A thread that runs {@code body} until stopped, recording what it throws. */
    private static Thread loop(String name, AtomicBoolean stop, Queue<Throwable> failures, Runnable body) {
        return Thread.ofPlatform().name(name).start(() -> {
            try {
                while (!stop.get()) {
                    body.run();
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
    }

    private static void assertNoFailures(Queue<Throwable> failures) {
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " thread(s) failed; the first: "
                    + failures.peek());
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    // ---------------------------------------------------------------- rekey under load

    @Test
    void readersAndWritersSeeNeitherTornNorStaleValuesAndNoWriteIsLost() throws Exception {
        int n = 2000;
        List<SealedSecret<SecretKind.Key>> secrets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            secrets.add(counter(i % 5 == 0 ? SealingMode.SHIELDED : SealingMode.COFFER, 0));
        }
        AtomicIntegerArray writes = new AtomicIntegerArray(n);
        AtomicBoolean stop = new AtomicBoolean();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong reads = new AtomicLong();
        AtomicLong rekeys = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int[] seen = new int[n]; // per reader: a counter never goes back
            threads.add(loop("reader-" + t, stop, failures, () -> {
                int i = ThreadLocalRandom.current().nextInt(n);
                int v = secrets.get(i).read(RekeyUnderLoadTest::value);
                if (v < seen[i]) {
                    throw new AssertionError("secret " + i + " went back from " + seen[i] + " to " + v);
                }
                seen[i] = v;
                reads.incrementAndGet();
            }));
            threads.add(loop("writer-" + t, stop, failures, () -> {
                int i = ThreadLocalRandom.current().nextInt(n);
                secrets.get(i).write(seg -> {
                    int v = value(seg);
                    for (int k = 0; k < INTS; k++) {
                        seg.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, k, v + 1);
                    }
                });
                writes.incrementAndGet(i);
            }));
        }
        threads.add(loop("rekey", stop, failures, () -> {
            SealedSecret.rekey();
            rekeys.incrementAndGet();
            // Only this thread rekeys: every secret is now under its mode's current key, and every write since
            // sealed under it too.
            for (SealedSecret<SecretKind.Key> s : secrets) {
                long current = Vault.current(s.mode()).epoch();
                if (epoch(s) != current) {
                    throw new AssertionError("a secret is at epoch " + epoch(s) + " after a rekey to " + current);
                }
            }
        }));
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < deadline && (rekeys.get() < 5 || System.nanoTime() < deadline - 2_000_000_000L)
                && failures.isEmpty()) {
            Thread.sleep(20);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertNoFailures(failures);
        assertTrue(rekeys.get() >= 2, "only " + rekeys.get() + " rekeys ran");
        for (int i = 0; i < n; i++) {
            assertEquals(writes.get(i), (int) secrets.get(i).read(RekeyUnderLoadTest::value), "secret " + i);
        }
        System.out.printf("under load: %d rekeys of %d secrets, %d reads, %d writes%n", rekeys.get(), n,
                reads.get(), Arrays.stream(toArray(writes)).sum());
    }

    private static int[] toArray(AtomicIntegerArray a) {
        int[] out = new int[a.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i);
        }
        return out;
    }

    @Test
    void aQuietRekeyMovesEverySecretOnceToTheNextEpoch() {
        List<SealedSecret<SecretKind.Key>> secrets = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            secrets.add(counter(i % 3 == 0 ? SealingMode.SHIELDED : SealingMode.COFFER, i));
        }
        long[] epochs = new long[secrets.size()];
        List<byte[]> storage = new ArrayList<>();
        for (int i = 0; i < secrets.size(); i++) {
            epochs[i] = epoch(secrets.get(i));
            storage.add(secrets.get(i).stateForTests().insecureCopyOfStorage());
        }
        long moved = SealedSecret.rekey();
        assertTrue(moved >= secrets.size() && moved <= Vault.live(), "moved " + moved + " of " + Vault.live());
        for (int i = 0; i < secrets.size(); i++) {
            SealedSecret<SecretKind.Key> s = secrets.get(i);
            assertEquals(epochs[i] + 1, epoch(s), "secret " + i);
            assertFalse(Arrays.equals(storage.get(i), s.stateForTests().insecureCopyOfStorage()), "secret " + i);
            assertEquals(i, (int) s.read(RekeyUnderLoadTest::value));
        }
    }

    /**
     * With 100,000 secrets a rekey takes a while; a reader of one of them goes on reading meanwhile, locked out only
     * while that one secret moves. Had it to wait for the whole rekey, it would complete one read at most.
     */
    @Test
    void aReaderIsNotHeldUpForTheWholeRekey() throws Exception {
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            counter(SealingMode.COFFER, 7);
        }
        SealedSecret<SecretKind.Key> watched = made.get(n / 2);
        AtomicBoolean stop = new AtomicBoolean();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong reads = new AtomicLong();
        Thread reader = loop("reader", stop, failures, () -> {
            if (watched.read(RekeyUnderLoadTest::value) != 7) {
                throw new AssertionError("wrong value");
            }
            reads.incrementAndGet();
        });
        while (reads.get() < 1000 && failures.isEmpty()) {
            Thread.sleep(1);
        }
        long before = reads.get();
        long t0 = System.nanoTime();
        long moved = SealedSecret.rekey();
        long t1 = System.nanoTime();
        long during = reads.get() - before;
        stop.set(true);
        reader.join();
        assertNoFailures(failures);
        assertTrue(moved >= n, "moved " + moved);
        System.out.printf("a rekey of %d secrets took %d ms; one reader completed %d reads meanwhile%n", moved,
                (t1 - t0) / 1_000_000, during);
        assertTrue(during >= 10, "a reader completed only " + during + " reads during a rekey of "
                + (t1 - t0) / 1_000_000 + " ms");
    }

    @Test
    void aSecretClosedDuringARekeyStaysClosed() throws Exception {
        long storageBefore = Vault.storage().stats().liveSecrets();
        int n = 20_000;
        List<SealedSecret<SecretKind.Key>> secrets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            secrets.add(counter(i % 10 == 0 ? SealingMode.SHIELDED : SealingMode.COFFER, i));
        }
        List<SealedState> states = secrets.stream().map(SealedSecret::stateForTests).toList();
        AtomicBoolean stop = new AtomicBoolean();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong rekeys = new AtomicLong();
        Thread rekeyer = loop("rekey", stop, failures, () -> {
            SealedSecret.rekey();
            rekeys.incrementAndGet();
        });
        // The rekeyer loops without a pause: once it has finished one, a rekey is in progress while they close.
        while (rekeys.get() < 1 && failures.isEmpty()) {
            Thread.sleep(1);
        }
        long rekeysBefore = rekeys.get();
        for (SealedSecret<SecretKind.Key> s : secrets) {
            s.close();
        }
        long rekeysDuring = rekeys.get() - rekeysBefore;
        // Let the rekeys run on over the closed secrets a little longer: none may come back.
        long until = rekeys.get() + 2;
        while (rekeys.get() < until && failures.isEmpty()) {
            Thread.sleep(1);
        }
        stop.set(true);
        rekeyer.join();
        assertNoFailures(failures);
        Set<SealedState> live = vaultLive();
        for (int i = 0; i < n; i++) {
            SealedSecret<SecretKind.Key> s = secrets.get(i);
            assertTrue(s.isDestroyed());
            assertFalse(live.contains(states.get(i)), "secret " + i + " is back in the vault");
            assertThrows(IllegalStateException.class, () -> s.read(seg -> null));
            assertThrows(IllegalStateException.class, s::close);
        }
        assertTrue(Vault.storage().stats().liveSecrets() <= storageBefore,
                "storage not freed: " + Vault.storage().stats() + ", " + storageBefore + " live before");
        System.out.printf("closed %d secrets while %d rekeys completed%n", n, rekeysDuring);
    }

    /**
     * A rekey waits for every read in progress; from inside a read it would wait for itself, forever, and hold up
     * every later rekey. It is refused instead, and leaves every secret readable and the next rekey free to run.
     */
    @Test
    void aRekeyFromInsideAReadIsRefusedRatherThanHanging() throws Exception {
        SealedSecret<SecretKind.Key> s = counter(SealingMode.COFFER, 3);
        SealedSecret<SecretKind.Key> other = counter(SealingMode.SHIELDED, 4);
        Queue<Throwable> thrown = new ConcurrentLinkedQueue<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                s.read(seg -> SealedSecret.rekey());
            } catch (Throwable e) {
                thrown.add(e);
            }
        });
        t.join(Duration.ofSeconds(30));
        assertFalse(t.isAlive(), "rekey() inside read() hangs");
        assertEquals(1, thrown.size());
        assertTrue(thrown.peek() instanceof IllegalStateException, thrown.peek().toString());
        assertEquals(3, (int) s.read(RekeyUnderLoadTest::value));
        assertEquals(4, (int) other.read(RekeyUnderLoadTest::value));
        long epoch = Vault.current(SealingMode.COFFER).epoch();
        assertTrue(SealedSecret.rekey() >= 2);
        assertEquals(epoch + 1, epoch(s));
        assertEquals(3, (int) s.read(RekeyUnderLoadTest::value));
        // Inside a write too, and inside the writer of a new secret: the walk could wait for a thread that waits
        // for this one. Refused before anything changes: no new key is made.
        long now = Vault.current(SealingMode.COFFER).epoch();
        assertThrows(IllegalStateException.class, () -> s.write(seg -> SealedSecret.rekey()));
        assertThrows(IllegalStateException.class,
                () -> SealedSecret.withContents(SecretKind.Key.class, 8, seg -> SealedSecret.rekey()));
        assertEquals(now, Vault.current(SealingMode.COFFER).epoch());
        assertEquals(3, (int) s.read(RekeyUnderLoadTest::value));
        // Stopping a periodic rekey from inside a read could wait for a rekey that waits for the read: refused too.
        PeriodicRekey periodic = SealedSecret.rekeyEvery(Duration.ofHours(1));
        assertThrows(IllegalStateException.class, () -> s.read(seg -> {
            periodic.close();
            return null;
        }));
        periodic.close();
    }

    @Test
    void secretsMadeWhileRekeysRunAllReadBack() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong rekeys = new AtomicLong();
        counter(SealingMode.COFFER, 0); // something for the first rekeys to move
        Thread rekeyer = loop("rekey", stop, failures, () -> {
            SealedSecret.rekey();
            rekeys.incrementAndGet();
        });
        List<List<SealedSecret<SecretKind.Key>>> byThread = List.of(new ArrayList<>(), new ArrayList<>());
        List<Thread> makers = new ArrayList<>();
        for (int t = 0; t < byThread.size(); t++) {
            List<SealedSecret<SecretKind.Key>> mine = byThread.get(t);
            makers.add(Thread.ofPlatform().name("maker-" + t).start(() -> {
                try {
                    for (int i = 0; i < 5000; i++) {
                        SealingMode mode = i % 4 == 0 ? SealingMode.SHIELDED : SealingMode.COFFER;
                        int v = i;
                        mine.add(SealedSecret.withContents(SecretKind.Key.class, BYTES, mode, seg -> {
                            for (int k = 0; k < INTS; k++) {
                                seg.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, k, v);
                            }
                        }));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : makers) {
            t.join();
        }
        stop.set(true);
        rekeyer.join();
        byThread.forEach(made::addAll);
        assertNoFailures(failures);
        assertTrue(rekeys.get() >= 1, "no rekey ran while secrets were made");
        for (List<SealedSecret<SecretKind.Key>> mine : byThread) {
            assertEquals(5000, mine.size());
            for (int i = 0; i < mine.size(); i++) {
                SealedSecret<SecretKind.Key> s = mine.get(i);
                assertEquals(i, (int) s.read(RekeyUnderLoadTest::value));
                assertEquals(Vault.current(s.mode()).epoch(), epoch(s));
            }
        }
        System.out.printf("made 10000 secrets while %d rekeys ran%n", rekeys.get());
    }

    @Test
    void theOldKeyMaterialIsDestroyedByEachRekey() throws Exception {
        SealedSecret<SecretKind.Key> coffer = counter(SealingMode.COFFER, 1);
        SealedSecret<SecretKind.Key> shielded = counter(SealingMode.SHIELDED, 2);
        SealedSecret.rekey(); // a rekey left unfinished by an earlier failure would free its keys here
        Stats before = keyStats();
        // One key per mode: the coffer's two halves and the shielded prekey.
        assertEquals(3, before.liveSecrets(), before.toString());
        for (int i = 0; i < 5; i++) {
            ProcessKey oldCoffer = Vault.current(SealingMode.COFFER);
            ProcessKey oldShielded = Vault.current(SealingMode.SHIELDED);
            SealedSecret.rekey();
            assertEquals(oldCoffer.epoch() + 1, Vault.current(SealingMode.COFFER).epoch());
            assertEquals(oldShielded.epoch() + 1, Vault.current(SealingMode.SHIELDED).epoch());
            Stats after = keyStats();
            assertEquals(before.liveSecrets(), after.liveSecrets(), after.toString());
            assertEquals(before.bytesInUse(), after.bytesInUse(), after.toString());
        }
        assertEquals(1, (int) coffer.read(RekeyUnderLoadTest::value));
        assertEquals(2, (int) shielded.read(RekeyUnderLoadTest::value));
    }

    // ---------------------------------------------------------------- periodic

    @Test
    void aPeriodicRekeyRekeysUntilClosedAndNotAfter() throws Exception {
        SealedSecret<SecretKind.Key> s = counter(SealingMode.COFFER, 5);
        long epoch = epoch(s);
        PeriodicRekey p = SealedSecret.rekeyEvery(Duration.ofMillis(20));
        long completed;
        long epochAtClose;
        try {
            assertEquals(Duration.ofMillis(20), p.interval());
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (p.completed() < 3 && System.nanoTime() < deadline) {
                assertEquals(5, (int) s.read(RekeyUnderLoadTest::value));
                Thread.sleep(5);
            }
            assertTrue(p.completed() >= 3, "only " + p.completed() + " periodic rekeys in 20 s");
        } finally {
            p.close();
            completed = p.completed();
            epochAtClose = epoch(s);
        }
        assertTrue(epochAtClose >= epoch + 3, "epoch " + epoch + " -> " + epochAtClose);
        Thread.sleep(200); // ten intervals
        assertEquals(completed, p.completed(), "a rekey ran after close");
        assertEquals(epochAtClose, epoch(s), "the secret moved after close");
        assertDoesNotThrow(p::close);
        assertTrue(p.toString().contains("stopped"), p.toString());
        assertEquals(5, (int) s.read(RekeyUnderLoadTest::value));
    }

    @Test
    void aPeriodicRekeyIntervalUnderAMillisecondIsRefused() {
        for (Duration d : List.of(Duration.ZERO, Duration.ofNanos(999_999), Duration.ofMillis(-20),
                Duration.ofSeconds(-1))) {
            assertThrows(IllegalArgumentException.class, () -> SealedSecret.rekeyEvery(d), d.toString());
        }
        assertThrows(NullPointerException.class, () -> SealedSecret.rekeyEvery(null));
        try (PeriodicRekey p = SealedSecret.rekeyEvery(Duration.ofMillis(1))) {
            assertEquals(Duration.ofMillis(1), p.interval());
        }
        try (PeriodicRekey p = SealedSecret.rekeyEvery(Duration.ofDays(365_000))) {
            assertEquals(0, p.completed());
        }
    }

    @Test
    void aPeriodicRekeyLeavesEverySecretReadable() throws Exception {
        List<SealedSecret<SecretKind.Key>> secrets = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            secrets.add(counter(i % 2 == 0 ? SealingMode.SHIELDED : SealingMode.COFFER, i));
        }
        byte[][] before = new byte[secrets.size()][];
        for (int i = 0; i < before.length; i++) {
            before[i] = secrets.get(i).insecureCopyToHeap();
        }
        try (PeriodicRekey p = SealedSecret.rekeyEvery(Duration.ofMillis(1))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (p.completed() < 5 && System.nanoTime() < deadline) {
                for (int i = 0; i < before.length; i++) {
                    assertArrayEquals(before[i], secrets.get(i).insecureCopyToHeap());
                }
            }
            assertTrue(p.completed() >= 5, p.toString());
        }
    }
}
