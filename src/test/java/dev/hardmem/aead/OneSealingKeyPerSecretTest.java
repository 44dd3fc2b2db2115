package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Review finding: two sealing keys over one secret started two equal counters and repeated nonces. */
class OneSealingKeyPerSecretTest {
    @Test
    void aSecondSealingKeyForTheSameSecretAndAlgorithmIsRefused() {
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
            SealingKey first = SealingKey.of(Algorithm.CHACHA20_POLY1305, k);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> SealingKey.of(Algorithm.CHACHA20_POLY1305, k));
            assertTrue(e.getMessage().contains("already has"), e.getMessage());
            // The first one still works, and its nonces never repeat.
            byte[] n1 = first.seal(MemorySegment.ofArray(new byte[8]), MemorySegment.NULL).nonce().bytes();
            byte[] n2 = first.seal(MemorySegment.ofArray(new byte[8]), MemorySegment.NULL).nonce().bytes();
            assertFalse(Arrays.equals(n1, n2));
        }
    }
}
