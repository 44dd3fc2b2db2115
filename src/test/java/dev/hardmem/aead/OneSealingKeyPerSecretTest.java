package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Function;
import javax.crypto.AEADBadTagException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key separation. Review finding: two sealing keys over one secret started two equal counters and repeated nonces.
 * Issue finding: one secret was accepted as the key of two algorithms. A secret serves one algorithm, with one
 * sealing key and any number of opening keys.
 */
class OneSealingKeyPerSecretTest {
    private static final Algorithm CHACHA = Algorithm.CHACHA20_POLY1305;
    private static final Algorithm AES = Algorithm.AES_256_GCM;

    @Test
    void aSecondSealingKeyForTheSameSecretAndAlgorithmIsRefused() {
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
            SealingKey first = SealingKey.of(CHACHA, k);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SealingKey.of(CHACHA, k));
            assertTrue(e.getMessage().contains("already has"), e.getMessage());
            // The first one still works, and its nonces never repeat.
            byte[] n1 = first.seal(MemorySegment.ofArray(new byte[8]), MemorySegment.NULL).nonce().bytes();
            byte[] n2 = first.seal(MemorySegment.ofArray(new byte[8]), MemorySegment.NULL).nonce().bytes();
            assertFalse(Arrays.equals(n1, n2));
        }
    }

    /** Every way of taking a secret for one algorithm, then for the other: each second step is refused. */
    @Test
    void aSecretServesOneAlgorithmWhicheverKindOfKeyCameFirst() {
        for (Algorithm first : Algorithm.values()) {
            Algorithm other = first == CHACHA ? AES : CHACHA;
            for (Function<Secret<SecretKind.Key>, Object> taken : kinds(first)) {
                for (Function<Secret<SecretKind.Key>, Object> refused : kinds(other)) {
                    try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
                        taken.apply(k);
                        IllegalStateException e = assertThrows(IllegalStateException.class, () -> refused.apply(k),
                                first + " then " + other);
                        assertTrue(e.getMessage().contains("already serves " + first.displayName())
                                && e.getMessage().contains(other.displayName()), e.getMessage());
                    }
                }
            }
        }
    }

    @Test
    void aRefusedAlgorithmLeavesTheSecretUsableForItsOwn() throws AEADBadTagException {
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
            OpeningKey opening = OpeningKey.of(AES, k);
            assertThrows(IllegalStateException.class, () -> SealingKey.of(CHACHA, k));
            assertThrows(IllegalStateException.class, () -> OpeningKey.of(CHACHA, k));
            SealingKey sealing = SealingKey.of(AES, k);
            OpeningKey another = OpeningKey.of(AES, k);
            byte[] text = {1, 2, 3, 4, 5};
            Sealed sealed = sealing.seal(MemorySegment.ofArray(text), MemorySegment.NULL);
            for (OpeningKey o : new OpeningKey[] {opening, another}) {
                byte[] back = new byte[text.length];
                o.open(sealed.nonce(), MemorySegment.ofArray(sealed.ciphertext()), MemorySegment.NULL,
                        MemorySegment.ofArray(back));
                assertArrayEquals(text, back);
            }
        }
    }

    @Test
    void aKeyRefusedForItsLengthOrForBeingClosedTakesNoAlgorithm() {
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
            assertThrows(IllegalArgumentException.class,
                    () -> SealingKey.of(AES, k, dev.hardmem.nonce.CounterNonceSequence.of(new byte[4], 4)));
            SealingKey.of(CHACHA, k);
        }
        Secret<SecretKind.Key> closed = Secret.random(SecretKind.Key.class, 32);
        closed.close();
        assertThrows(IllegalStateException.class, () -> OpeningKey.of(AES, closed));
    }

    private static java.util.List<Function<Secret<SecretKind.Key>, Object>> kinds(Algorithm a) {
        return java.util.List.of(k -> SealingKey.of(a, k), k -> OpeningKey.of(a, k));
    }
}
