package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.nonce.NullArguments;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;
import dev.hardmem.testing.Dummies;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.function.Supplier;

import static dev.hardmem.aead.Fixtures.randomKey;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every public method of the package throws {@link NullPointerException} for a {@code null} argument. */
class NullsTest {
    @Test
    void everyPublicMethodRejectsNull() {
        try (Secret<SecretKind.Key> k = randomKey()) {
            // One sealing key per secret and algorithm: each sample gets a key of its own, kept reachable.
            Supplier<SealingKey> sealing = () -> SealingKey.of(Algorithm.AES_256_GCM, Dummies.keptKey());
            Map<Class<?>, Supplier<?>> samples = Map.of(
                    Algorithm.class, () -> Algorithm.CHACHA20_POLY1305,
                    Secret.class, () -> k,
                    NonceSequence.class, CounterNonceSequence::withRandomPrefix,
                    UnusedNonce.class, () -> CounterNonceSequence.withRandomPrefix().next(),
                    UsedNonce.class, () -> UsedNonce.fromWire(new byte[12]),
                    MemorySegment.class, () -> MemorySegment.ofArray(new byte[32]),
                    byte[].class, () -> new byte[32],
                    String.class, () -> "AES_256_GCM");
            int n = 0;
            n += NullArguments.check(SealingKey.class, sealing, samples);
            n += NullArguments.check(OpeningKey.class, () -> OpeningKey.of(Algorithm.AES_256_GCM, k), samples);
            n += NullArguments.check(Sealed.class, () -> new Sealed(UsedNonce.fromWire(new byte[12]), new byte[16]),
                    samples);
            n += NullArguments.check(Algorithm.class, () -> Algorithm.AES_256_GCM, samples);
            // of x5, seal x5, open x4, the Sealed constructor x2, Algorithm.valueOf x1.
            assertTrue(n >= 17, "checked " + n);
        }
    }
}
