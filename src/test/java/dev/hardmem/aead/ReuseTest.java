package dev.hardmem.aead;

import dev.hardmem.testing.Race;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.NonceReuseException;
import dev.hardmem.nonce.UnusedNonce;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;

import static dev.hardmem.aead.Fixtures.heap;
import static dev.hardmem.aead.Fixtures.randomKey;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A nonce seals once: a second seal throws, and of threads racing to seal with it, exactly one succeeds. */
class ReuseTest {
    private static final MemorySegment NO_AAD = MemorySegment.ofArray(new byte[0]);

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aSecondSealWithTheSameNonceThrows(Algorithm alg) {
        try (Secret<SecretKind.Key> k = randomKey()) {
            SealingKey sealing = SealingKey.of(alg, k);
            UnusedNonce nonce = sealing.nonceSequence().next();
            sealing.seal(nonce, heap(new byte[] {1}), NO_AAD);
            assertThrows(NonceReuseException.class, () -> sealing.seal(nonce, heap(new byte[] {2}), NO_AAD));
            assertThrows(NonceReuseException.class, () -> sealing.seal(nonce, heap(new byte[] {1}), NO_AAD));
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void theConvenienceSealNeverRepeatsANonce(Algorithm alg) {
        try (Secret<SecretKind.Key> k = randomKey()) {
            SealingKey sealing = SealingKey.of(alg, k);
            Set<Object> nonces = new HashSet<>();
            for (int i = 0; i < 1_000; i++) {
                assertTrue(nonces.add(sealing.seal(heap(new byte[8]), NO_AAD).nonce()));
            }
        }
    }

    /** 16 threads seal with one nonce, 200 rounds: exactly one ciphertext per round, 15 exceptions. */
    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void sixteenThreadsSealingWithOneNonceMakeOneCiphertext(Algorithm alg) throws Exception {
        int rounds = 200;
        try (Secret<SecretKind.Key> k = randomKey()) {
            SealingKey sealing = SealingKey.of(alg, k);
            UnusedNonce[] nonces = new UnusedNonce[rounds];
            for (int r = 0; r < rounds; r++) {
                nonces[r] = sealing.nonceSequence().next();
            }
            Race.exactlyOneWinsEveryRound(16, rounds,
                    (thread, r) -> sealing.seal(nonces[r], heap(new byte[] {(byte) thread}), NO_AAD));
        }
    }
}
