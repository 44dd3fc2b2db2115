package dev.hardmem.guarded;

import dev.hardmem.SecretArena;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Smaps;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slabs backed by {@code memfd_secret(2)}: the {@link TierContract} holds whatever the pages come from. The contract
 * runs with {@link GuardPolicy.Backing#MEMFD_SECRET_OR_ANONYMOUS}, so on a kernel without {@code memfd_secret} it
 * still runs, on anonymous memory, and each test reports which backing it had.
 */
class MemfdSecretTierTest extends TierContract {
    @Override
    GuardPolicy policy() {
        return GuardPolicy.defaults().withBacking(GuardPolicy.Backing.MEMFD_SECRET_OR_ANONYMOUS);
    }

    @Override
    Tier tier() {
        return Tier.SLAB;
    }

    @BeforeEach
    void sayWhichBacking(TestReporter reporter) {
        GuardedAllocator a = fresh();
        String backing = a.stats().backing();
        a.close();
        reporter.publishEntry("backing", backing);
        if (!backing.equals("memfd_secret")) {
            System.err.println(getClass().getSimpleName() + ": memfd_secret is unavailable; the contract ran on "
                    + backing);
        }
        assertTrue(backing.equals("memfd_secret") || backing.startsWith("anonymous (memfd_secret unavailable: "),
                backing);
    }

    @Test
    void memfdSecretBackingWorksAndItsGuardsHold() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults()
                .withBacking(GuardPolicy.Backing.MEMFD_SECRET));
        assertEquals("memfd_secret", a.stats().backing());
        try (SecretArena arena = SecretArena.ofConfined(a)) {
            MemorySegment slab = arena.allocate(32);
            MemorySegment iso = arena.allocate(10_000);
            slab.fill((byte) 5);
            iso.fill((byte) 6);
            assertEquals(5, slab.get(ValueLayout.JAVA_BYTE, 31));
            assertEquals(Errno.EFAULT, GuardProbe.probe(iso.address() + iso.byteSize()), "trailing guard");
            Smaps.Mapping m = Smaps.find(iso.address());
            assertEquals("rw-s", m.perms(), "a shared mapping of the secret file");
            assertTrue(m.hasFlags("lo", "dd"), "secretmem is locked and not dumped: " + m.flags());
            assertEquals("---p", Smaps.read().stream().filter(x -> x.start() == m.end()).findFirst()
                    .orElseThrow().perms(), "the guard is anonymous PROT_NONE, outside the secret file");
        }
        a.close();
    }
}
