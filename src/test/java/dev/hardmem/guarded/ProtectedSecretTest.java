package dev.hardmem.guarded;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.SystemCallException;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.FaultyOs;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Smaps;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Isolated secrets with access-scoped protection: the {@link TierContract}, through {@code Secret} (the only API
 * that protects), and pages that are unreadable outside {@code read}/{@code write}, on a real process.
 */
class ProtectedSecretTest extends TierContract {
    @Override
    GuardPolicy policy() {
        return GuardPolicy.defaults().withAccessProtection(true);
    }

    @Override
    Tier tier() {
        return Tier.ISOLATED;
    }

    @Override
    boolean protectsPages() {
        return true;
    }

    @Override
    Held allocate(GuardedAllocator a, long size) {
        return new SecretHeld(Secret.withContents(SecretKind.Key.class, size, a, s -> { }));
    }

    @Test
    void aProtectedSecretOutsideAnyScopeGivesEfault() throws Exception {
        GuardedAllocator a = fresh();
        try (FreeWatch watch = FreeWatch.start()) {
            try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32, a)) {
                long address = key.read(s -> s.address());
                assertEquals(Errno.EFAULT, GuardProbe.probe(address), "outside any scope");
                assertEquals("---p", Smaps.find(address).perms());
                key.read(s -> {
                    assertEquals(0, GuardProbe.probe(address), "inside read");
                    assertEquals("r--p", Smaps.find(address).perms());
                    // One writer or many readers: a write inside a read is refused and opens nothing.
                    assertThrows(IllegalStateException.class, () -> key.write(w -> { }));
                    assertEquals("r--p", Smaps.find(address).perms(), "still read-only");
                    return null;
                });
                key.write(w -> assertEquals("rw-p", Smaps.find(address).perms(), "inside write"));
                assertEquals(Errno.EFAULT, GuardProbe.probe(address), "closed again");

                // Concurrent readers: the pages stay readable until the last one leaves.
                CountDownLatch inside = new CountDownLatch(2);
                CountDownLatch leave = new CountDownLatch(1);
                AtomicInteger seen = new AtomicInteger();
                Runnable reader = () -> key.read(s -> {
                    inside.countDown();
                    try {
                        leave.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    seen.addAndGet(s.get(ValueLayout.JAVA_BYTE, 0) == s.get(ValueLayout.JAVA_BYTE, 0) ? 1 : 0);
                    return null;
                });
                Thread t1 = Thread.ofPlatform().start(reader);
                Thread t2 = Thread.ofPlatform().start(reader);
                inside.await();
                assertEquals(0, GuardProbe.probe(address), "two readers inside");
                leave.countDown();
                t1.join();
                t2.join();
                assertEquals(2, seen.get());
                assertEquals(Errno.EFAULT, GuardProbe.probe(address), "both left");
                assertTrue(Smaps.find(address).hasFlags("lo", "dd", "wf"));
            }
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks(), "wiped before free even though its pages were PROT_NONE");
        }
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }

    @Test
    void accessScopedProtectionCountsReadersAndWriters() {
        GuardedAllocator a = fresh();
        GuardedHeap heap = a.heap();
        Block b = heap.allocateForSecret(32, 1);
        long addr = b.raw().address();
        assertEquals(Errno.EFAULT, GuardProbe.probe(addr), "outside any scope");
        b.enter(false);
        assertEquals(0, GuardProbe.probe(addr), "readable inside read");
        assertEquals("r--p", Smaps.find(addr).perms());
        b.enter(false);
        b.enter(true);
        assertEquals("rw-p", Smaps.find(addr).perms(), "writable inside a nested write");
        b.exit(true);
        assertEquals("r--p", Smaps.find(addr).perms());
        b.exit(false);
        assertEquals(0, GuardProbe.probe(addr), "one reader still open");
        b.exit(false);
        assertEquals(Errno.EFAULT, GuardProbe.probe(addr), "closed again");
        assertTrue(Smaps.find(addr).hasFlags("lo", "dd", "wf"), "still locked while PROT_NONE");
        b.enter(true);
        b.raw().fill((byte) 1);
        b.exit(true);
        b.enter(true);
        b.raw().fill((byte) 0);
        b.exit(true);
        heap.free(b);
        a.close();
    }

    @Test
    void aFailedMprotectLeavesTheProtectionCountsTrue() {
        FaultyOs os = new FaultyOs();
        GuardedAllocator a = TestAllocators.create(policy(), os);
        try (FreeWatch watch = FreeWatch.start()) {
            Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32, a);
            long address = key.read(MemorySegment::address);
            os.inject("mprotect", Errno.ENOMEM, 1);
            assertThrows(SystemCallException.class, () -> key.read(s -> s.get(ValueLayout.JAVA_BYTE, 0)));
            assertEquals(Errno.EFAULT, GuardProbe.probe(address), "still PROT_NONE");
            // Had the failed read been counted, this one would skip mprotect and the JVM would die touching
            // PROT_NONE memory.
            byte b = key.read(s -> s.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(b, (byte) key.read(s -> s.get(ValueLayout.JAVA_BYTE, 0)));
            os.inject("mprotect", Errno.ENOMEM, 1);
            assertThrows(RuntimeException.class, key::close); // the Secret's own wipe cannot open the pages ...
            assertEquals(1, watch.blocks(), "... but the allocator still freed it");
            assertTrue(key.isDestroyed());
            // ... and wiped it: the freed run stays mapped in the pool, so read it back through a raw view.
            assertEquals(0, GuardProbe.probe(address));
            assertTrue(FreeWatch.isZero(Memory.at(address, 32)), "the allocator wiped the whole run");
        }
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }

    @Test
    void aFreeWhoseMprotectFailsChangesNothingAndALaterFreeWipesAndFreesIt() {
        FaultyOs os = new FaultyOs();
        GuardedAllocator a = TestAllocators.create(policy(), os);
        GuardedHeap heap = TestAllocators.heapOf(a);
        try (FreeWatch watch = FreeWatch.start()) {
            Block b = heap.allocateForSecret(32, 1);
            b.enter(true);
            b.raw().fill((byte) 0x5A);
            b.exit(true);
            os.inject("mprotect", Errno.ENOMEM, 1);
            assertThrows(SystemCallException.class, () -> heap.free(b));
            assertEquals(0, watch.blocks(), "not freed");
            assertEquals(1, a.stats().liveSecrets(), "still live");
            assertEquals(Errno.EFAULT, GuardProbe.probe(b.address()), "still PROT_NONE");
            b.enter(true); // the secret is intact, and can be wiped and freed as any other
            assertEquals((byte) 0x5A, b.raw().get(ValueLayout.JAVA_BYTE, 31));
            b.wipe();
            b.exit(true);
            heap.free(b);
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
            assertThrows(IllegalStateException.class, () -> heap.free(b), "freed once, not twice");
        }
        assertEquals(0, a.stats().liveSecrets());
        a.close();
    }
}
