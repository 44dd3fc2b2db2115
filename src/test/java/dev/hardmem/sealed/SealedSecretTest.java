package dev.hardmem.sealed;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;

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
        SealedSecret<SecretKind.Key> a = SealedSecret.random(SecretKind.Key.class, 32);
        SealedSecret<SecretKind.Key> b = SealedSecret.random(SecretKind.Key.class, 32, SealingMode.SHIELDED);
        byte[] before = a.insecureCopyToHeap();
        byte[] storage = a.stateForTests().insecureCopyOfStorage();
        ProcessKey old = a.stateForTests().key();
        assertTrue(SealedSecret.rekey() >= 2);
        assertArrayEquals(before, a.insecureCopyToHeap());
        assertFalse(Arrays.equals(storage, a.stateForTests().insecureCopyOfStorage()));
        assertEquals(old.epoch() + 1, a.stateForTests().key().epoch());
        b.read(seg -> null);
        a.close();
        b.close();
    }

    @Test
    void aFlippedBitInTheStorageFailsClosed() {
        try (SealedSecret<SecretKind.Key> s = SealedSecret.random(SecretKind.Key.class, 32)) {
            s.write(seg -> {
            });
            assertThrows(MemoryCorruptionError.class, () -> {
                s.stateForTests().flipStorageBitForTests(30 * 8 + 3);
                s.read(seg -> null);
            });
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
