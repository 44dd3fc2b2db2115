package dev.hardmem.guarded;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind.Key;
import dev.hardmem.internal.os.Proc;
import dev.hardmem.internal.os.Smaps;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.Gc;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Allocators that become unreachable without {@code close()}: the cleaner wipes, unlocks and unmaps what their pools
 * kept and warns, as for a leaked arena; and never while a secret they handed out can still be reached. Run in a
 * child JVM, where the only allocators are the ones the test makes, and where a wrong unmap would crash only it.
 */
class DroppedAllocatorTest {
    static final int ALLOCATORS = 300;

    /** {@return the bytes this process has locked in RAM, from {@code VmLck} in /proc/self/status} */
    static long lockedBytes() {
        for (String line : Proc.read("/proc/self/status").split("\n")) {
            if (line.startsWith("VmLck:")) {
                return Long.parseLong(line.substring(6).replace("kB", "").strip()) * 1024;
            }
        }
        throw new AssertionError("no VmLck in /proc/self/status");
    }

    /** Child: makes and drops allocators that each held a slab, an isolated and a direct secret, all freed. */
    public static final class Dropper {
        static void useAndDrop() {
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
            try (SecretArena arena = SecretArena.ofConfined(a)) {
                arena.allocate(32).fill((byte) 1);
                arena.allocate(10_000).fill((byte) 2);
            }
            try (Allocation x = a.allocate(64)) {
                x.segment().fill((byte) 3);
            }
        }

        public static void main(String[] args) throws InterruptedException {
            useAndDrop(); // the default allocator's and the logger's first mappings are not what is measured
            long lockedBefore = lockedBytes();
            int mapsBefore = Smaps.countMappings();
            for (int i = 0; i < ALLOCATORS; i++) {
                useAndDrop();
            }
            long lockedPeak = lockedBytes();
            int mapsPeak = Smaps.countMappings();
            Gc.awaitUntil(() -> lockedBytes() <= lockedBefore, Duration.ofSeconds(30));
            Gc.runFor(Duration.ofMillis(300)); // the last releases and their warnings
            System.out.println("locked " + lockedBefore + " " + lockedPeak + " " + lockedBytes());
            System.out.println("mappings " + mapsBefore + " " + mapsPeak + " " + Smaps.countMappings());
        }
    }

    @Test
    void droppedAllocatorsAreWipedUnlockedUnmappedAndReported() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx128m"), Dropper.class);
        assertEquals(0, r.exitCode(), r.output());
        String[] locked = r.stdout().lines().filter(l -> l.startsWith("locked ")).findFirst().orElseThrow()
                .split(" ");
        String[] maps = r.stdout().lines().filter(l -> l.startsWith("mappings ")).findFirst().orElseThrow()
                .split(" ");
        long before = Long.parseLong(locked[1]);
        long peak = Long.parseLong(locked[2]);
        long after = Long.parseLong(locked[3]);
        // The control: the measurement sees what the dropped allocators held (a slab and two isolated slots each).
        assertTrue(peak - before > ALLOCATORS * 64 * 1024L, r.output());
        assertTrue(after <= before, "dropped allocators still lock " + (after - before) + " bytes\n" + r.output());
        int mapsBefore = Integer.parseInt(maps[1]);
        int mapsPeak = Integer.parseInt(maps[2]);
        int mapsAfter = Integer.parseInt(maps[3]);
        assertTrue(mapsPeak - mapsBefore > ALLOCATORS * 6, r.output());
        // A few mappings come and go with the JVM itself (GC, JIT); 300 allocators' would be thousands.
        assertTrue(mapsAfter - mapsBefore < 100, "mappings left: " + (mapsAfter - mapsBefore) + "\n" + r.output());
        long warnings = r.stderr().lines().filter(l -> l.contains("GuardedAllocator.create was not closed")).count();
        assertTrue(warnings >= ALLOCATORS / 2, "each dropped allocator is reported (" + warnings + ")\n"
                + r.output());
    }

    /**
     * Child: drops an allocator while a segment of a direct allocation, a segment of an arena (itself dropped too),
     * and a secret are still reachable; they must stay usable and intact, and be wiped and unmapped only once they
     * are unreachable as well.
     */
    public static final class Keeper {
        record Kept(MemorySegment direct, MemorySegment inArena, Secret<Key> secret,
                    WeakReference<GuardedAllocator> allocator) {
        }

        static Kept keepSecretsDropTheAllocator() {
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
            MemorySegment direct = a.allocate(5000).segment().fill((byte) 0x5A);
            MemorySegment inArena = SecretArena.ofShared(a).allocate(48).fill((byte) 0x6B);
            Secret<Key> secret = Secret.withContents(Key.class, 32, a, m -> m.fill((byte) 0x7C));
            return new Kept(direct, inArena, secret, new WeakReference<>(a));
        }

        static boolean allBytes(MemorySegment s, int b) {
            for (long i = 0; i < s.byteSize(); i++) {
                if (s.get(ValueLayout.JAVA_BYTE, i) != (byte) b) {
                    return false;
                }
            }
            return true;
        }

        public static void main(String[] args) throws InterruptedException {
            long lockedBefore = lockedBytes();
            Kept k = keepSecretsDropTheAllocator();
            boolean collected = Gc.awaitCollected(k.allocator(), Duration.ofSeconds(10));
            Gc.runFor(Duration.ofMillis(500)); // every chance for a wrong release to happen first
            boolean intact = allBytes(k.direct(), 0x5A) && allBytes(k.inArena(), 0x6B)
                    && k.secret().read(s -> allBytes(s, 0x7C));
            k.direct().fill((byte) 1); // still writable: a release would have unmapped it and crashed this JVM
            k.inArena().fill((byte) 1);
            long lockedWhileKept = lockedBytes();
            k = null;
            boolean released = Gc.awaitUntil(() -> lockedBytes() <= lockedBefore, Duration.ofSeconds(30));
            System.out.println("collected=" + collected + " intact=" + intact + " lockedWhileKept="
                    + (lockedWhileKept > lockedBefore) + " released=" + released);
        }
    }

    @Test
    void aDroppedAllocatorIsNotReleasedWhileItsSecretsAreReachable() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx128m"), Keeper.class);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("collected=true intact=true lockedWhileKept=true released=true", r.stdout().strip(),
                r.output());
        assertTrue(r.stderr().contains("was not closed"), r.output());
        assertFalse(r.output().contains("SIGSEGV"), r.output());
    }

    /** Child: drops an allocator after a dangling pointer wrote into one of its free slots. */
    public static final class Scribbler {
        static WeakReference<GuardedAllocator> scribbleAndDrop() {
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults());
            Allocation x = a.allocate(32);
            long dangling = x.segment().address();
            x.close();
            dev.hardmem.internal.os.Memory.at(dangling, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x13);
            return new WeakReference<>(a);
        }

        public static void main(String[] args) throws InterruptedException {
            WeakReference<GuardedAllocator> a = scribbleAndDrop();
            boolean collected = Gc.awaitCollected(a, Duration.ofSeconds(10));
            Gc.runFor(Duration.ofMillis(500)); // the release and its reports
            System.out.println("collected=" + collected);
        }
    }

    @Test
    void aWriteAfterFreeInADroppedAllocatorIsReportedWhenItIsReleased() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx128m"), Scribbler.class);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("collected=true", r.stdout().strip(), r.output());
        assertTrue(r.stderr().contains("GuardedAllocator.create was not closed"), r.output());
        assertTrue(r.stderr().contains("memory corruption detected: 1 damaged slot(s)"),
                "the release wiped the evidence unreported\n" + r.output());
    }
}
