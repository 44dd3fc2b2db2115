package dev.hardmem.guarded;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Smaps;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A {@code Secret} with access-scoped protection is unreadable outside read/write, on a real process. */
class ProtectedSecretTest {
    @Test
    void aProtectedSecretOutsideAnyScopeGivesEfault() throws Exception {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults().withAccessProtection(true));
        try (FreeWatch watch = FreeWatch.start()) {
            try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32, a)) {
                long address = key.read(s -> s.address());
                assertEquals(Errno.EFAULT, GuardProbe.probe(address), "outside any scope");
                assertEquals("---p", Smaps.find(address).perms());
                key.read(s -> {
                    assertEquals(0, GuardProbe.probe(address), "inside read");
                    assertEquals("r--p", Smaps.find(address).perms());
                    key.write(w -> assertEquals("rw-p", Smaps.find(address).perms(), "nested write"));
                    assertEquals("r--p", Smaps.find(address).perms(), "back to read-only");
                    return null;
                });
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
}
