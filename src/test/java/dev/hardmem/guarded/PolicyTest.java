package dev.hardmem.guarded;

import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.FaultyOs;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyTest {
    @Test
    void withoutMemfdSecretTheRequiredBackingFailsWithTheReason() {
        FaultyOs os = new FaultyOs().inject("memfd_secret", Errno.ENOSYS, -1);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> TestAllocators.create(GuardPolicy.defaults().withBacking(GuardPolicy.Backing.MEMFD_SECRET), os));
        assertTrue(e.getMessage().contains("ENOSYS"), e.getMessage());
    }

    @Test
    void withoutMemfdSecretTheFallbackIsAnonymousAndSaysWhy() {
        FaultyOs os = new FaultyOs().inject("memfd_secret", Errno.ENOSYS, -1);
        GuardedAllocator a = TestAllocators.create(GuardPolicy.defaults()
                .withBacking(GuardPolicy.Backing.MEMFD_SECRET_OR_ANONYMOUS), os);
        assertEquals("anonymous (memfd_secret unavailable: ENOSYS (Function not implemented))", a.stats().backing());
        try (Allocation x = a.allocate(32)) {
            x.segment().fill((byte) 1);
        }
        a.close();
    }

    @Test
    void withMemfdSecretAvailableTheFallbackPolicyUsesIt() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults()
                .withBacking(GuardPolicy.Backing.MEMFD_SECRET_OR_ANONYMOUS));
        assertEquals("memfd_secret", a.stats().backing());
        a.close();
    }

    @Test
    void isolatedOnlyPutsEvenTinySecretsOnTheirOwnPages() {
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults().withIsolatedOnly(true));
        try (Allocation x = a.allocate(8)) {
            assertEquals(Tier.ISOLATED, x.tier());
        }
        a.close();
    }

    /** Child: overruns a slab secret by one byte with policy HALT, then frees it. */
    public static final class Halter {
        public static void main(String[] args) {
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults()
                    .withOnCorruption(GuardPolicy.OnCorruption.HALT));
            Allocation x = a.allocate(32, 1, Tier.SLAB);
            Memory.at(x.segment().address() + 32, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            x.close();
            System.out.println("still running");
        }
    }

    @Test
    void haltPolicyStopsTheJvm() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of(), Halter.class);
        assertEquals(134, r.exitCode(), r.output());
        assertTrue(r.stderr().contains("memory corruption detected") && r.stderr().contains("Halting"), r.output());
        assertTrue(!r.stdout().contains("still running"), r.output());
    }
}
