package dev.hardmem;

import dev.hardmem.SecretKind.Key;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.internal.os.UserCalls;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.FreeLog;
import dev.hardmem.testing.FreeWatch;
import dev.hardmem.testing.Gc;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arenas and secrets that become unreachable without being closed: the cleaner wipes and frees them and a warning
 * names where they were opened; and it never does so while a segment of the arena is still reachable.
 */
class LeakTest {
    private static final long TIMEOUT_MS = 10_000;

    /** Opens an arena, fills segments, and forgets the arena; returns the addresses of its segments. */
    private static List<Long> leakAnArena(boolean shared) {
        SecretArena arena = shared ? SecretArena.ofShared() : SecretArena.ofConfined();
        List<Long> addresses = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            MemorySegment s = arena.allocate(i * 100L, 8);
            s.fill((byte) 0xA7);
            addresses.add(s.address());
        }
        return addresses;
    }

    private static long leakASecret() {
        Secret<Key> s = Secret.withContents(Key.class, 64, m -> m.fill((byte) 0x4B));
        return s.read(MemorySegment::address);
    }

    @Test
    void anUnclosedConfinedArenaIsWipedAndFreedByTheCleaner() throws InterruptedException {
        assertArenaCleaned(false);
    }

    @Test
    void anUnclosedSharedArenaIsWipedAndFreedByTheCleaner() throws InterruptedException {
        assertArenaCleaned(true);
    }

    private static void assertArenaCleaned(boolean shared) throws InterruptedException {
        try (FreeLog log = FreeLog.start()) {
            List<Long> addresses = leakAnArena(shared);
            for (int i = 0; i < addresses.size(); i++) {
                Optional<FreeLog.Freed> f = log.awaitFreed(addresses.get(i), TIMEOUT_MS);
                assertTrue(f.isPresent(), "segment " + i + " was not freed within " + TIMEOUT_MS + " ms");
                assertEquals((i + 1) * 100L, f.get().size());
                assertTrue(f.get().zero(), "segment " + i + " was freed without being wiped");
            }
        }
    }

    @Test
    void anUnclosedSecretIsWipedAndFreedByTheCleaner() throws InterruptedException {
        try (FreeLog log = FreeLog.start()) {
            long address = leakASecret();
            Optional<FreeLog.Freed> f = log.awaitFreed(address, TIMEOUT_MS);
            assertTrue(f.isPresent(), "not freed within " + TIMEOUT_MS + " ms");
            assertEquals(64, f.get().size());
            assertTrue(f.get().zero());
        }
    }

    @Test
    void arenasAndSecretsLeakedByThreadsThatEndedAreStillWipedAndFreed() throws Exception {
        // What keeps a leak registration reachable is the list of the thread that opened the owner: it must outlive
        // the thread, platform or virtual.
        for (Thread.Builder builder : List.of(Thread.ofPlatform(), Thread.ofVirtual())) {
            try (FreeLog log = FreeLog.start()) {
                List<Long> addresses = new java.util.concurrent.CopyOnWriteArrayList<>();
                Thread t = builder.start(() -> {
                    addresses.addAll(leakAnArena(false));
                    addresses.addAll(leakAnArena(true));
                    addresses.add(leakASecret());
                });
                t.join();
                for (long address : addresses) {
                    Optional<FreeLog.Freed> f = log.awaitFreed(address, TIMEOUT_MS);
                    assertTrue(f.isPresent(), "not freed within " + TIMEOUT_MS + " ms (" + builder + ")");
                    assertTrue(f.get().zero(), "freed without being wiped (" + builder + ")");
                }
            }
        }
    }

    private record Kept(MemorySegment segment, WeakReference<SecretArena> arena) {
    }

    private static Kept keepASegmentDropTheArena() {
        SecretArena arena = SecretArena.ofConfined();
        MemorySegment s = arena.allocate(256);
        s.fill((byte) 0x3C);
        return new Kept(s, new WeakReference<>(arena));
    }

    @Test
    void theCleanerWaitsWhileASegmentIsReachableEvenIfTheArenaIsNot() throws InterruptedException {
        try (FreeLog log = FreeLog.start()) {
            Kept kept = keepASegmentDropTheArena();
            MemorySegment segment = kept.segment();
            long address = segment.address();
            assertTrue(Gc.awaitCollected(kept.arena(), Duration.ofSeconds(10)),
                    "the SecretArena object was never collected");
            // The arena object is gone; give the cleaner every chance to run (wrongly) before looking.
            Gc.runFor(Duration.ofMillis(200));
            assertTrue(log.at(address).isEmpty(), "freed while a segment was still reachable");
            assertTrue(segment.scope().isAlive());
            for (long i = 0; i < segment.byteSize(); i++) {
                assertEquals((byte) 0x3C, segment.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
            segment.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            // Now drop the segment too: the cleaner runs.
            kept = null;
            segment = null;
            Optional<FreeLog.Freed> f = log.awaitFreed(address, TIMEOUT_MS);
            assertTrue(f.isPresent(), "not freed once nothing was reachable");
            assertTrue(f.get().zero());
        }
    }

    @Test
    void closedOwnersAreNotCleanedAgain() throws InterruptedException {
        // By address, not a global count: other tests' leaked owners may be cleaned during this one's gc.
        try (FreeLog log = FreeLog.start()) {
            SecretArena arena = SecretArena.ofConfined();
            MemorySegment segment = arena.allocate(10).fill((byte) 1);
            long arenaBlock = segment.address();
            arena.close();
            Secret<Key> s = Secret.random(Key.class, 10);
            long secretBlock = s.read(MemorySegment::address);
            s.close();
            arena = null;
            s = null;
            segment = null;
            Gc.runFor(Duration.ofMillis(100));
            for (long address : new long[] {arenaBlock, secretBlock}) {
                List<FreeLog.Freed> frees = log.all().stream().filter(f -> f.address() == address).toList();
                assertEquals(1, frees.size(), "each block freed exactly once");
                assertTrue(frees.get(0).zero());
            }
        }
    }

    // ---------------------------------------------------------------- the warning, seen from a child JVM

    /**
     * Leaks one confined arena and one secret, waits until the cleaner has reported both through
     * {@code System.Logger} (java.util.logging, whose default console handler writes to stderr), and prints how
     * many blocks were freed and how many were dirty.
     */
    public static final class LeakingMain {
        static void leakAnArenaHere() {
            SecretArena.ofConfined().allocate(32).fill((byte) 1);
        }

        static void leakASecretHere() {
            Secret.random(Key.class, 16);
        }

        /**
         * Passes everything on to the real stderr, and counts the reports it sees go by. The console handler takes
         * System.err when logging first starts, so installing this first puts it in the handler's path without
         * naming java.util.logging (the tests are compiled in a module that does not read it).
         */
        static final class Tee extends PrintStream {
            final AtomicInteger reports = new AtomicInteger();
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();
            private final PrintStream real;

            Tee(PrintStream real) {
                super(real, true);
                this.real = real;
            }

            @Override
            public synchronized void write(int b) {
                real.write(b);
                if (b == '\n') {
                    if (line.toString().contains("was not closed")) {
                        reports.incrementAndGet();
                    }
                    line.reset();
                } else {
                    line.write(b);
                }
            }

            @Override
            public synchronized void write(byte[] buf, int off, int len) {
                for (int i = 0; i < len; i++) {
                    write(buf[off + i]);
                }
            }

            @Override
            public void flush() {
                real.flush();
            }
        }

        public static void main(String[] args) throws InterruptedException {
            Tee tee = new Tee(System.err);
            System.setErr(tee);
            if (args.length > 0 && args[0].equals("close")) {
                // Owners closed by their owner are no leak; a report would come from close() itself, at once.
                try (FreeWatch watch = FreeWatch.start()) {
                    SecretArena arena = SecretArena.ofConfined();
                    arena.allocate(32).fill((byte) 1);
                    arena.close();
                    Secret.random(Key.class, 16).close();
                    Secret.random(Key.class, 16).destroy();
                    System.out.println("freed=" + watch.blocks() + " dirty=" + watch.dirtyBlocks() + " reports="
                            + tee.reports.get());
                }
                return;
            }
            if (args.length > 0 && args[0].equals("failedClose")) {
                closeAfterFailuresThenLeakOne(tee);
                return;
            }
            try (FreeWatch watch = FreeWatch.start()) {
                leakAnArenaHere();
                leakASecretHere();
                Gc.awaitUntil(() -> tee.reports.get() >= 2, Duration.ofSeconds(20));
                System.out.println("freed=" + watch.blocks() + " dirty=" + watch.dirtyBlocks() + " reports="
                        + tee.reports.get());
            }
        }

        /**
         * Closes arenas of every kind whose first close failed (refused while qsort held a segment) or threw (a user
         * cleanup failed), then leaks one arena, which must be the only report; prints as {@link #main} does.
         */
        private static void closeAfterFailuresThenLeakOne(Tee tee) throws InterruptedException {
            GuardedAllocator allocator = GuardedAllocator.create(GuardPolicy.defaults().withIsolatedOnly(true));
            List<Supplier<SecretArena>> kinds = List.of(SecretArena::ofConfined, SecretArena::ofShared,
                    SecretArena::ofConfinedUnguarded, SecretArena::ofSharedUnguarded,
                    () -> SecretArena.ofConfined(allocator), () -> SecretArena.ofShared(allocator));
            List<WeakReference<MemorySegment.Scope>> scopes = new ArrayList<>();
            try (FreeWatch watch = FreeWatch.start()) {
                for (Supplier<SecretArena> kind : kinds) {
                    SecretArena refused = kind.get();
                    scopes.add(new WeakReference<>(refused.scope()));
                    MemorySegment ints = refused.allocate(ValueLayout.JAVA_INT, 8).fill((byte) 1);
                    try {
                        UserCalls.qsortInts(ints, () -> attempt(refused::close));
                    } catch (Throwable e) {
                        throw new AssertionError(e);
                    }
                    attempt(refused::close);

                    SecretArena throwing = kind.get();
                    scopes.add(new WeakReference<>(throwing.scope()));
                    throwing.allocate(32).fill((byte) 1);
                    UserCalls.addCleanup(throwing, () -> {
                        throw new IllegalStateException("a user cleanup failed");
                    });
                    attempt(throwing::close);
                }
                leakAnArenaHere();
                // Every arena above is unreachable once its scope is collected; the leaked one is reported.
                Gc.awaitUntil(() -> tee.reports.get() >= 1 && scopes.stream().allMatch(w -> w.get() == null),
                        Duration.ofSeconds(20));
                Gc.runFor(Duration.ofMillis(500)); // every chance for a wrong report to come
                System.out.println("freed=" + watch.blocks() + " dirty=" + watch.dirtyBlocks() + " reports="
                        + tee.reports.get());
            }
        }

        private static void attempt(Runnable r) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // expected: the test looks only at frees and reports
            }
        }
    }

    @Test
    void arenasWhoseCloseFailedOnceOrWhoseCleanupThrewAreNotReportedOnceClosed() throws Exception {
        // 6 kinds x 2 arenas x 1 block, each freed by its close; 1 leaked, freed by the cleaner and reported.
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(), LeakingMain.class, "failedClose");
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("freed=13 dirty=0 reports=1", r.stdout().strip(), r.output());
    }

    @Test
    void withStacksTheWarningNamesWhereTheArenaAndTheSecretWereOpened() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Ddev.hardmem.leakDetection=stack"), LeakingMain.class);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("freed=2 dirty=0 reports=2", r.stdout().strip(), r.output());
        String err = r.stderr();
        assertTrue(err.contains("SecretArena.ofConfined"), r.output());
        assertTrue(err.contains("Secret was not closed"), r.output());
        assertTrue(err.contains("was not closed; the cleaner wiped and freed its memory"), r.output());
        assertTrue(err.contains("It was opened at:"), r.output());
        // The frames of the user code that opened them.
        assertTrue(err.contains("at dev.hardmem.LeakTest$LeakingMain.leakAnArenaHere("), r.output());
        assertTrue(err.contains("at dev.hardmem.LeakTest$LeakingMain.leakASecretHere("), r.output());
        assertTrue(err.contains("WARNING"), r.output());
    }

    @Test
    void ownersThatWereClosedAreNotReported() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(), LeakingMain.class, "close");
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("freed=3 dirty=0 reports=0", r.stdout().strip(), r.output());
        assertFalse(r.stderr().contains("was not closed"), r.output());
    }

    @Test
    void withoutStacksTheWarningSaysHowToGetThem() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(), LeakingMain.class);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("freed=2 dirty=0 reports=2", r.stdout().strip(), r.output());
        String err = r.stderr();
        assertTrue(err.contains("SecretArena.ofConfined"), r.output());
        assertTrue(err.contains("Secret was not closed"), r.output());
        assertTrue(err.contains("Run with -Ddev.hardmem.leakDetection=stack to see where it was opened."),
                r.output());
        assertFalse(err.contains("LeakingMain.leak"), "no stack was captured\n" + r.output());
    }
}
