package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.NonceReuseException;
import dev.hardmem.nonce.UnusedNonce;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.hardmem.aead.Fixtures.heap;
import static dev.hardmem.aead.Fixtures.randomKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
        int threads = 16;
        int rounds = 200;
        try (Secret<SecretKind.Key> k = randomKey()) {
            SealingKey sealing = SealingKey.of(alg, k);
            UnusedNonce[] nonces = new UnusedNonce[rounds];
            AtomicInteger[] sealed = new AtomicInteger[rounds];
            AtomicInteger[] refused = new AtomicInteger[rounds];
            for (int r = 0; r < rounds; r++) {
                nonces[r] = sealing.nonceSequence().next();
                sealed[r] = new AtomicInteger();
                refused[r] = new AtomicInteger();
            }
            AtomicInteger arrived = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                byte[] plaintext = {(byte) t};
                workers[t] = Thread.ofPlatform().start(() -> {
                    try {
                        for (int r = 0; r < rounds; r++) {
                            // A spinning gate, so that the threads leave it together.
                            int gate = threads * (r + 1);
                            arrived.incrementAndGet();
                            while (arrived.get() < gate && failure.get() == null) {
                                Thread.yield();
                            }
                            try {
                                sealing.seal(nonces[r], heap(plaintext), NO_AAD);
                                sealed[r].incrementAndGet();
                            } catch (NonceReuseException e) {
                                refused[r].incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            for (Thread w : workers) {
                w.join();
            }
            assertNull(failure.get());
            for (int r = 0; r < rounds; r++) {
                assertEquals(1, sealed[r].get(), "ciphertexts in round " + r);
                assertEquals(threads - 1, refused[r].get(), "refusals in round " + r);
            }
        }
    }
}
