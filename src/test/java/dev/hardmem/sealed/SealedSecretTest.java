package dev.hardmem.sealed;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Memory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SealedSecretTest {
    @ParameterizedTest
    @EnumSource(SealingMode.class)
    void whatIsWrittenIsReadBackAndTheStorageHoldsOnlyCiphertext(SealingMode mode) {
        byte[] pattern = new byte[48];
        Arrays.fill(pattern, (byte) 0x5a);
        try (SealedSecret<SecretKind.Key> s = SealedSecret.withContents(SecretKind.Key.class, 48, mode,
                seg -> seg.copyFrom(java.lang.foreign.MemorySegment.ofArray(pattern)))) {
            assertArrayEquals(pattern, s.insecureCopyToHeap());
            byte[] storage = s.stateForTests().insecureCopyOfStorage();
            assertEquals(48 + 24 + 16, storage.length);
            assertEquals(-1, indexOf(storage, new byte[] {0x5a, 0x5a, 0x5a, 0x5a}));
            s.write(seg -> seg.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            assertEquals((byte) 1, (byte) s.read(seg -> seg.get(ValueLayout.JAVA_BYTE, 0)));
            assertFalse(Arrays.equals(storage, s.stateForTests().insecureCopyOfStorage()));
        }
    }

    @Test
    void rekeyMovesEverySecretAndTheyStillRead() {
        try (SealedSecret<SecretKind.Key> a = SealedSecret.random(SecretKind.Key.class, 32);
             SealedSecret<SecretKind.Key> b = SealedSecret.random(SecretKind.Key.class, 32, SealingMode.SHIELDED)) {
            for (SealedSecret<SecretKind.Key> s : List.of(a, b)) {
                byte[] before = s.insecureCopyToHeap();
                byte[] storage = s.stateForTests().insecureCopyOfStorage();
                ProcessKey old = s.stateForTests().key();
                assertTrue(SealedSecret.rekey() >= 2);
                assertArrayEquals(before, s.insecureCopyToHeap(), s.mode().name());
                byte[] now = s.stateForTests().insecureCopyOfStorage();
                assertFalse(Arrays.equals(Arrays.copyOf(storage, 24), Arrays.copyOf(now, 24)), "a new nonce");
                assertFalse(Arrays.equals(storage, now), s.mode().name());
                assertEquals(old.epoch() + 1, s.stateForTests().key().epoch(), s.mode().name());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SealingMode.class)
    void aFlippedBitInTheStorageFailsClosed(SealingMode mode) {
        try (SealedSecret<SecretKind.Key> s = SealedSecret.random(SecretKind.Key.class, 32, mode)) {
            AtomicInteger calls = new AtomicInteger();
            s.stateForTests().flipStorageBitForTests(30 * 8 + 3);
            assertThrows(MemoryCorruptionError.class, () -> s.read(seg -> calls.incrementAndGet()));
            assertThrows(MemoryCorruptionError.class, () -> s.write(seg -> calls.incrementAndGet()));
            assertThrows(MemoryCorruptionError.class, s::insecureCopyToHeap);
            assertEquals(0, calls.get(), "a lambda ran on a secret that does not verify");
            s.stateForTests().flipStorageBitForTests(30 * 8 + 3); // the control: flipped back, it reads again
            assertEquals(32, (int) s.read(seg -> (int) seg.byteSize()));
        }
    }

    /** A reader that throws leaves the scratch slot it read in zeroed, as one that returns does. */
    @ParameterizedTest
    @EnumSource(SealingMode.class)
    void aReaderThatThrowsLeavesItsScratchMemoryWiped(SealingMode mode) {
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0x5a);
        try (SealedSecret<SecretKind.Key> s = SealedSecret.withContents(SecretKind.Key.class, 32, mode,
                seg -> seg.copyFrom(MemorySegment.ofArray(ones)))) {
            AtomicLong at = new AtomicLong();
            assertThrows(IllegalStateException.class, () -> s.read(seg -> {
                at.set(seg.address());
                throw new IllegalStateException("the reader failed");
            }));
            MemorySegment slot = Memory.at(at.get(), 32);
            assertEquals(-1, slot.mismatch(MemorySegment.ofArray(new byte[32])), "the plaintext is still there");
            long control = s.read(seg -> seg.address());
            assertEquals(at.get(), control, "the same slot both times");
        }
    }

    @Test
    void fromTakesTheContentsAndClosesTheSource() {
        Secret<SecretKind.Key> source = Secret.random(SecretKind.Key.class, 32);
        byte[] expected = source.insecureCopyToHeap();
        try (SealedSecret<SecretKind.Key> s = SealedSecret.from(source)) {
            assertTrue(source.isDestroyed());
            assertArrayEquals(expected, s.insecureCopyToHeap());
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
