package dev.hardmem.internal.alloc;

import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.FreeLog;
import dev.hardmem.testing.FreeWatch;
import dev.hardmem.testing.Gc;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Scratch}: each lease is zeroed when taken and its bytes are zero again once it closes; leases that cannot
 * share the thread's slot (nested, on a virtual thread, too large) get guarded blocks of their own, wiped and freed
 * on close; and the slot of a thread that ended is freed, quietly, when the next thread makes its slot.
 */
class ScratchTest {
    @Test
    void aLeaseIsZeroedWhenTakenAndItsBytesAreZeroAfterClose() {
        MemorySegment raw;
        try (Scratch.Lease lease = Scratch.take(Scratch.SLOT_SIZE)) {
            raw = lease.memory();
            assertEquals(Scratch.SLOT_SIZE, raw.byteSize());
            assertEquals(0, raw.address() % 64, "aligned to 64 bytes");
            assertTrue(FreeWatch.isZero(raw));
            raw.fill((byte) 0xA5);
        }
        // The slot stays mapped for the thread's life: its raw memory can be read after the lease closed.
        assertTrue(FreeWatch.isZero(raw), "closing the lease zeroed the slot");
        for (long size : new long[] {0, 1, 63, 100, 4095}) {
            try (Scratch.Lease lease = Scratch.take(size)) {
                MemorySegment m = lease.memory();
                assertEquals(size, m.byteSize());
                assertEquals(raw.address(), m.address(), "the thread's slot, again");
                assertTrue(FreeWatch.isZero(m), "zeroed when taken, size " + size);
                m.fill((byte) 0x3C);
            }
            assertTrue(FreeWatch.isZero(raw), "zero after close, size " + size);
        }
    }

    @Test
    void nestedLeasesOnOneThreadGetDistinctMemoryOfTheirOwn() {
        try (Scratch.Lease outer = Scratch.take(256)) {
            MemorySegment a = outer.memory();
            a.fill((byte) 1);
            MemorySegment inner;
            try (FreeWatch watch = FreeWatch.start()) {
                try (Scratch.Lease nested = Scratch.take(256)) {
                    inner = nested.memory();
                    assertTrue(FreeWatch.isZero(inner), "zeroed when taken");
                    assertTrue(inner.address() + 256 <= a.address() || a.address() + 256 <= inner.address(),
                            "the nested lease overlaps the outer one");
                    assertEquals(0, inner.address() % 64);
                    inner.fill((byte) 2);
                    for (long i = 0; i < 256; i++) {
                        assertEquals(1, a.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "byte " + i);
                    }
                }
                assertEquals(1, watch.blocks(), "the nested lease's block is freed on close");
                assertEquals(0, watch.dirtyBlocks(), "and wiped first");
            }
        }
    }

    @Test
    void aVirtualThreadGetsABlockOfItsOwnFreedOnClose() throws InterruptedException {
        long slot;
        try (Scratch.Lease lease = Scratch.take(64)) {
            slot = lease.memory().address();
        }
        AtomicLong seen = new AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        try (FreeLog log = FreeLog.start()) {
            Thread v = Thread.ofVirtual().start(() -> {
                try (Scratch.Lease lease = Scratch.take(64)) {
                    MemorySegment m = lease.memory();
                    seen.set(m.address());
                    if (!FreeWatch.isZero(m)) {
                        throw new AssertionError("not zeroed when taken");
                    }
                    m.fill((byte) 0x77);
                    Thread.yield(); // it may move to another carrier: the memory is the lease's, not the carrier's
                    m.fill((byte) 0x78);
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            v.join();
            assertEquals(null, failed.get());
            assertNotEquals(slot, seen.get(), "a virtual thread does not use a platform thread's slot");
            Optional<FreeLog.Freed> f = log.at(seen.get());
            assertTrue(f.isPresent(), "its block was freed when the lease closed");
            assertEquals(64, f.get().size());
            assertTrue(f.get().zero(), "and wiped first");
        }
    }

    @Test
    void aRequestLargerThanTheSlotGetsABlockOfItsOwnFreedOnClose() {
        long size = Scratch.SLOT_SIZE + 1;
        try (FreeLog log = FreeLog.start()) {
            long address;
            try (Scratch.Lease lease = Scratch.take(size)) {
                MemorySegment m = lease.memory();
                assertEquals(size, m.byteSize());
                assertEquals(0, m.address() % 64);
                assertTrue(FreeWatch.isZero(m));
                m.fill((byte) 0x5A);
                address = m.address();
                assertTrue(log.at(address).isEmpty());
            }
            Optional<FreeLog.Freed> f = log.at(address);
            assertTrue(f.isPresent(), "freed when the lease closed");
            assertEquals(size, f.get().size());
            assertTrue(f.get().zero(), "and wiped first");
        }
        // The slot itself is untouched by it, and still serves.
        try (Scratch.Lease lease = Scratch.take(Scratch.SLOT_SIZE)) {
            assertTrue(FreeWatch.isZero(lease.memory()));
        }
    }

    @Test
    void slotsAndBlocksOfTheirOwnAreNoSecretsOfTheSharedAllocator() throws InterruptedException {
        long before = GuardedAllocator.shared().stats().liveSecrets();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().uncaughtExceptionHandler((x, e) -> failed.set(e)).start(() -> {
            try (Scratch.Lease slot = Scratch.take(32); Scratch.Lease own = Scratch.take(Scratch.SLOT_SIZE + 1)) {
                // More, not different: the leak watcher may free some other test's secret meanwhile.
                if (slot.memory().byteSize() + own.memory().byteSize() != 32 + Scratch.SLOT_SIZE + 1
                        || GuardedAllocator.shared().stats().liveSecrets() > before) {
                    throw new AssertionError("a scratch lease counts among the shared allocator's secrets");
                }
            }
        });
        t.join();
        assertEquals(null, failed.get());
    }

    /**
     * Child JVM: a platform thread takes its slot and ends; the next thread to make a slot takes it back. Prints
     * what was freed.
     */
    public static final class EndedThreadMain {
        public static void main(String[] args) throws InterruptedException {
            AtomicLong address = new AtomicLong();
            try (FreeLog log = FreeLog.start()) {
                Thread t = Thread.ofPlatform().start(() -> {
                    try (Scratch.Lease lease = Scratch.take(32)) {
                        address.set(lease.memory().address());
                        lease.memory().fill((byte) 0x42);
                    }
                });
                t.join();
                t = null;
                Thread next = Thread.ofPlatform().start(() -> {
                    try (Scratch.Lease lease = Scratch.take(32)) {
                        lease.memory().fill((byte) 0x43);
                    }
                });
                next.join();
                Optional<FreeLog.Freed> f = log.awaitFreed(address.get(), 20_000);
                Gc.runFor(Duration.ofMillis(500)); // every chance for a wrong report to come
                System.out.println("freed=" + f.map(x -> x.size() + " zero="
                        + x.zero()).orElse("no"));
            }
        }
    }

    @Test
    void theSlotOfAThreadThatEndedIsFreedWhenTheNextThreadMakesOneWithoutAWarning() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(), EndedThreadMain.class);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("freed=" + Scratch.SLOT_SIZE + " zero=true", r.stdout().strip(), r.output());
        assertFalse(r.stderr().contains("was not closed"), r.output());
        assertTrue(r.stderr().isBlank(), r.output());
    }
}
