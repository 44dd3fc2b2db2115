package dev.hardmem.guarded;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every tier and backing of the guarded allocator promises, written once. A subclass names one configuration
 * (a policy, the tier its secrets come from, and how a user gets a secret from it) and adds what holds only there.
 */
abstract class TierContract {
    static final long SIZE = 32;

    /** {@return the policy of the allocators this configuration makes} */
    abstract GuardPolicy policy();

    /** {@return the tier its secrets come from} */
    abstract Tier tier();

    /** {@return whether its secrets' pages are {@code PROT_NONE} outside an access} */
    boolean protectsPages() {
        return false;
    }

    /** {@return a new secret of {@code size} bytes from {@code a}, the way a user of this configuration gets one} */
    Held allocate(GuardedAllocator a, long size) {
        return new AllocationHeld(a.allocate(size, 1, tier()));
    }

    /** One secret, through the API its configuration is used by; the raw address is for tests only. */
    interface Held {
        long address();

        long size();

        /** {@return what {@code body} computes from the secret's segment, inside an access of the secret} */
        <T> T access(boolean writable, Function<MemorySegment, T> body);

        /** Frees it: wipes it and gives it back. */
        void free();

        /** {@return what the refusal of a second free says} */
        String alreadyFreed();
    }

    /** An {@link Allocation}: its segment is accessible for its whole life. */
    record AllocationHeld(Allocation x, long address) implements Held {
        AllocationHeld(Allocation x) {
            this(x, x.segment().address());
        }

        @Override
        public long size() {
            return x.segment().byteSize();
        }

        @Override
        public <T> T access(boolean writable, Function<MemorySegment, T> body) {
            return body.apply(x.segment());
        }

        @Override
        public void free() {
            x.close();
        }

        @Override
        public String alreadyFreed() {
            return "already freed";
        }
    }

    /** A {@link Secret}: its bytes are reachable only inside {@code read} and {@code write}. */
    record SecretHeld(Secret<SecretKind.Key> s, long address) implements Held {
        SecretHeld(Secret<SecretKind.Key> s) {
            this(s, s.read(MemorySegment::address));
        }

        @Override
        public long size() {
            return s.size();
        }

        @Override
        public <T> T access(boolean writable, Function<MemorySegment, T> body) {
            if (!writable) {
                return s.read(body::apply);
            }
            List<T> out = new ArrayList<>(1);
            s.write(w -> out.add(body.apply(w)));
            return out.get(0);
        }

        @Override
        public void free() {
            s.close();
        }

        @Override
        public String alreadyFreed() {
            return "Already closed";
        }
    }

    GuardedAllocator fresh() {
        return GuardedAllocator.create(policy());
    }

    /** Writes {@code value} at {@code address}, as native code would, inside an access of {@code h}. */
    static void scribble(Held h, long address, byte value) {
        h.access(true, s -> {
            Memory.at(address, 1).set(ValueLayout.JAVA_BYTE, 0, value);
            return null;
        });
    }

    /**
     * {@return the first byte of the canary that a one-byte overrun reaches} Past the end of a slab slot; before
     * the start of an isolated secret (past its end is the guard page).
     */
    long canaryByte(Held h) {
        return tier() == Tier.SLAB ? h.address() + h.size() : h.address() - 1;
    }

    /** {@return what {@code verify()} says about a slot written after it was freed, in this tier's words} */
    String writeAfterFreeWords() {
        return tier() == Tier.SLAB ? "write after free" : "written after";
    }

    @Test
    void aNewSecretIsZeroedAndDisjointFromEveryOther() {
        GuardedAllocator a = fresh();
        for (int round = 0; round < 2; round++) { // the second round reuses the slots the first one dirtied
            List<Held> live = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Held h = allocate(a, 1 + (i * 37) % 300);
                assertTrue(h.access(false, FreeWatch::isZero), "round " + round + ", secret " + i);
                h.access(true, s -> s.fill((byte) 0xEE));
                live.add(h);
            }
            live.sort((p, q) -> Long.compareUnsigned(p.address(), q.address()));
            for (int i = 1; i < live.size(); i++) {
                assertTrue(live.get(i - 1).address() + live.get(i - 1).size() <= live.get(i).address(), "overlap");
            }
            live.forEach(Held::free);
        }
        a.close();
    }

    @Test
    void aSecretIsExactlyTheSizeAskedForAndCannotGrow() {
        GuardedAllocator a = fresh();
        Held x = allocate(a, SIZE);
        x.access(false, s -> {
            assertEquals(SIZE, s.byteSize());
            assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, SIZE));
            assertThrows(IndexOutOfBoundsException.class, () -> s.asSlice(0, SIZE + 1));
            return null;
        });
        x.free();
        a.close();
    }

    @Test
    void aSegmentCannotBeUsedAfterFree() {
        GuardedAllocator a = fresh();
        Held x = allocate(a, SIZE);
        MemorySegment kept = x.access(false, s -> s);
        x.free();
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        a.close();
    }

    @Test
    void freeWipesTheSecretBeforeGivingItBack() {
        GuardedAllocator a = fresh();
        long address;
        try (FreeWatch watch = FreeWatch.start()) {
            Held x = allocate(a, SIZE);
            address = x.address();
            x.access(true, s -> s.fill((byte) 0x77));
            x.free();
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks(), "wiped before it was freed");
        }
        // The freed slot stays mapped, accessible, in its pool: read it back through a raw (test-only) view.
        assertTrue(FreeWatch.isZero(Memory.at(address, SIZE)));
        a.close();
    }

    @Test
    void aCanaryOverrunIsReportedAtFreeAndTheSlotQuarantinedWipedAndNeverReused() {
        GuardedAllocator a = fresh();
        Held x = allocate(a, SIZE);
        long damaged = x.address();
        // A native one-byte overrun out of the secret, of a byte the canary does not hold there.
        scribble(x, canaryByte(x), (byte) ~x.access(false, m -> Memory.at(canaryByte(x), 1).get(ValueLayout.JAVA_BYTE,
                0)));
        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, x::free);
        assertTrue(e.getMessage().contains("canary"), e.getMessage());
        Stats s = a.stats();
        assertEquals(1, s.canaryFailures());
        assertEquals(1, s.quarantinedSlots());
        assertEquals(0, s.liveSecrets(), "the failed free still freed it");
        assertTrue(FreeWatch.isZero(Memory.at(damaged, SIZE)), "the damaged slot is wiped");
        for (int i = 0; i < 200; i++) {
            Held y = allocate(a, SIZE);
            assertNotEquals(damaged, y.address(), "a quarantined slot came back");
            y.free();
        }
        a.close();
    }

    @Test
    void aNulTerminatorWrittenOnePastTheSecretOrOneBeforeItIsReportedAtFree() {
        // The classic off-by-one: buf[size] = 0 past a slab secret that fills its class, buf[-1] = 0 before an
        // isolated one (past its end is the guard page). The canary byte there is never zero, so the zero shows.
        GuardedAllocator a = fresh();
        for (int i = 0; i < 50; i++) { // fresh canaries each round on the isolated tier: no byte is zero by chance
            Held x = allocate(a, SIZE);
            scribble(x, canaryByte(x), (byte) 0);
            MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, x::free);
            assertTrue(e.getMessage().contains("canary"), e.getMessage());
        }
        assertEquals(50, a.stats().canaryFailures());
        a.close();
    }

    @Test
    void verifyFindsAWriteAfterFreeAndReportsItOnce() {
        GuardedAllocator a = fresh();
        Held x = allocate(a, SIZE);
        long freed = x.address();
        x.free();
        Memory.at(freed + 10, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // a dangling native pointer writes
        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify);
        assertTrue(e.getMessage().contains("verify found 1"), e.getMessage());
        assertTrue(e.getMessage().contains(writeAfterFreeWords()), e.getMessage());
        a.verify(); // quarantined: not reported twice
        assertEquals(1, a.stats().quarantinedSlots());
        a.close();
    }

    @Test
    void closeFindsAWriteAfterFreeBeforeItUnmapsAndStillReleasesEverything() {
        GuardedAllocator a = fresh();
        Held x = allocate(a, SIZE);
        long freed = x.address();
        x.free();
        Memory.at(freed + 10, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // a dangling native pointer writes
        MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::close,
                "closing unmapped the slot and erased the write after free, unreported");
        assertTrue(e.getMessage().contains("verify found 1"), e.getMessage());
        assertTrue(e.getMessage().contains("closing"), e.getMessage());
        assertEquals(0, a.stats().mappings(), "the allocator was released all the same");
        assertThrows(IllegalStateException.class, () -> a.allocate(SIZE), "and it is closed");
    }

    @Test
    void verifyFindsADamagedCanaryOnALiveSecretUnlessItsPagesAreProtected() {
        GuardedAllocator a = fresh();
        Held ok = allocate(a, SIZE);
        Held x = allocate(a, SIZE);
        a.verify(); // nothing wrong yet
        scribble(x, canaryByte(x), (byte) 0); // the canary byte next to a secret is never zero
        if (protectsPages()) {
            a.verify(); // PROT_NONE pages are not read by verify(): the canary is checked at free
            assertThrows(MemoryCorruptionError.class, x::free);
        } else {
            MemoryCorruptionError e = assertThrows(MemoryCorruptionError.class, a::verify);
            assertTrue(e.getMessage().contains("verify found 1"), e.getMessage());
            x.free(); // already reported and wiped: freeing it lets it go
        }
        ok.free();
        assertEquals(1, a.stats().canaryFailures());
        assertEquals(1, a.stats().quarantinedSlots());
        a.close();
    }

    @Test
    void aSecondFreeIsRefusedAndChangesNothing() {
        GuardedAllocator a = fresh();
        Held x = allocate(a, SIZE);
        Held y = allocate(a, SIZE);
        x.free();
        Stats before = a.stats();
        IllegalStateException twice = assertThrows(IllegalStateException.class, x::free);
        assertTrue(twice.getMessage().contains(x.alreadyFreed()), twice.getMessage());
        assertEquals(before, a.stats());
        y.free();
        a.close();
    }

    @Test
    void aFreeByAnotherAllocatorIsRefusedAndChangesNothing() {
        GuardedAllocator a = fresh();
        GuardedAllocator other = fresh();
        GuardedHeap mine = TestAllocators.heapOf(a);
        Block b = mine.allocate(SIZE, 1, tier(), protectsPages());
        Stats before = a.stats();
        Stats otherBefore = other.stats();
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> TestAllocators.heapOf(other).free(b));
        assertTrue(foreign.getMessage().contains("not allocated by"), foreign.getMessage());
        assertEquals(before, a.stats());
        assertEquals(otherBefore, other.stats());
        b.enter(true);
        b.wipe();
        b.exit(true);
        mine.free(b);
        other.close();
        a.close();
    }

    @Test
    void statsCountLiveSecretsAndTheirBytesBackToZero() {
        GuardedAllocator a = fresh();
        List<Held> live = new ArrayList<>();
        long bytes = 0;
        for (long size : new long[] {1, 17, SIZE, 100, 1000}) {
            live.add(allocate(a, size));
            bytes += size;
        }
        assertEquals(live.size(), a.stats().liveSecrets());
        assertEquals(bytes, a.stats().bytesInUse());
        assertTrue(a.stats().bytesLocked() >= bytes);
        live.forEach(Held::free);
        assertEquals(0, a.stats().liveSecrets());
        assertEquals(0, a.stats().bytesInUse());
        a.close();
    }

    @Test
    void anAllocatorWithLiveSecretsRefusesToCloseAndChangesNothing() {
        GuardedAllocator a = fresh();
        Held x = allocate(a, SIZE);
        IllegalStateException busy = assertThrows(IllegalStateException.class, a::close);
        assertTrue(busy.getMessage().contains("1 live"), busy.getMessage());
        x.access(true, s -> s.fill((byte) 9)); // still mapped, still usable
        byte last = x.access(false, s -> s.get(ValueLayout.JAVA_BYTE, SIZE - 1));
        assertEquals(9, last);
        a.verify();
        x.free();
        a.close();
    }

    @Test
    void aClosedAllocatorRefusesEverythingButStats() {
        GuardedAllocator a = fresh();
        allocate(a, SIZE).free();
        a.close();
        assertThrows(IllegalStateException.class, () -> allocate(a, SIZE));
        assertThrows(IllegalStateException.class, a::verify);
        assertThrows(IllegalStateException.class, a::close);
        assertEquals(0, a.stats().liveSecrets());
    }
}
