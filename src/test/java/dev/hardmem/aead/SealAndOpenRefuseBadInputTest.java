package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceExhaustedException;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import javax.crypto.AEADBadTagException;

import static dev.hardmem.aead.Fixtures.heap;
import static dev.hardmem.aead.Fixtures.key;
import static dev.hardmem.aead.Fixtures.offHeap;
import static dev.hardmem.aead.Fixtures.random;
import static dev.hardmem.aead.Fixtures.randomKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each bad input gets a clear exception, before any nonce is consumed and before anything is encrypted. */
class SealAndOpenRefuseBadInputTest {
    private static final MemorySegment NO_AAD = MemorySegment.ofArray(new byte[0]);

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void wrongKeyLengthNamesTheLengths(Algorithm alg) {
        for (int n : new int[] {1, 16, 24, 31, 33, 64}) {
            try (Secret<SecretKind.Key> k = key(new byte[n])) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SealingKey.of(alg, k));
                assertTrue(e.getMessage().contains("32-byte key") && e.getMessage().contains(n + " bytes"),
                        e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> OpeningKey.of(alg, k));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void wrongNonceLengthIsRefused(Algorithm alg) {
        try (Secret<SecretKind.Key> k = randomKey(); SecretArena arena = SecretArena.ofConfined()) {
            NonceSequence long24 = CounterNonceSequence.of(new byte[16], 8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SealingKey.of(alg, k, long24));
            assertTrue(e.getMessage().contains("12-byte nonces") && e.getMessage().contains("24-byte"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> SealingKey.of(alg, k, CounterNonceSequence.of(new byte[4], 4)));

            OpeningKey opening = OpeningKey.of(alg, k);
            MemorySegment out = arena.allocate(16);
            for (int n : new int[] {1, 8, 11, 13, 16, 24}) {
                IllegalArgumentException o = assertThrows(IllegalArgumentException.class, () -> opening.open(
                        UsedNonce.fromWire(new byte[n]), heap(new byte[32]), NO_AAD, out));
                assertTrue(o.getMessage().contains(n + " bytes"), o.getMessage());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aClosedKeyIsRefusedAndTheNonceKept(Algorithm alg) {
        Secret<SecretKind.Key> k = randomKey();
        SealingKey sealing = SealingKey.of(alg, k);
        OpeningKey opening = OpeningKey.of(alg, k);
        Sealed sealed = sealing.seal(heap(random(10)), NO_AAD);
        k.close();
        UnusedNonce nonce = sealing.nonceSequence().next();
        assertThrows(IllegalStateException.class, () -> sealing.seal(nonce, heap(random(10)), NO_AAD));
        assertFalse(nonce.isConsumed());
        assertThrows(IllegalStateException.class, () -> sealing.seal(heap(random(10)), NO_AAD));
        byte[] out = new byte[10];
        assertThrows(IllegalStateException.class,
                () -> opening.open(sealed.nonce(), heap(sealed.ciphertext()), NO_AAD, heap(out)));
        assertTrue(Arrays.equals(new byte[10], out));
        assertThrows(IllegalStateException.class, () -> SealingKey.of(alg, k));
        assertThrows(IllegalStateException.class, () -> OpeningKey.of(alg, k));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aNonceFromAnotherKeysSequenceIsRefusedAndStaysUsable(Algorithm alg) throws AEADBadTagException {
        try (Secret<SecretKind.Key> a = randomKey(); Secret<SecretKind.Key> b = randomKey()) {
            SealingKey keyA = SealingKey.of(alg, a);
            SealingKey keyB = SealingKey.of(alg, b);
            UnusedNonce fromA = keyA.nonceSequence().next();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> keyB.seal(fromA, heap(random(10)), NO_AAD));
            assertTrue(e.getMessage().contains("another key"), e.getMessage());
            assertFalse(fromA.isConsumed());
            // Even when the two keys hold the same bytes: the sequence, not the key bytes, is what counts.
            try (Secret<SecretKind.Key> sameAsA = key(a.insecureCopyToHeap())) {
                SealingKey twin = SealingKey.of(alg, sameAsA);
                assertThrows(IllegalArgumentException.class, () -> twin.seal(fromA, heap(random(10)), NO_AAD));
            }
            Sealed sealed = keyA.seal(fromA, heap(new byte[] {1, 2, 3}), NO_AAD);
            byte[] out = new byte[3];
            OpeningKey.of(alg, a).open(sealed.nonce(), heap(sealed.ciphertext()), NO_AAD, heap(out));
            assertEquals(3, out[2]);
        }
    }

    @Test
    void aSequenceServesOneKeyOnly() {
        try (Secret<SecretKind.Key> a = randomKey(); Secret<SecretKind.Key> b = randomKey()) {
            NonceSequence shared = CounterNonceSequence.withRandomPrefix();
            SealingKey keyA = SealingKey.of(Algorithm.AES_256_GCM, a, shared);
            assertSame(shared, keyA.nonceSequence());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> SealingKey.of(Algorithm.AES_256_GCM, b, shared));
            assertTrue(e.getMessage().contains("another key"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> SealingKey.of(Algorithm.AES_256_GCM, a, shared),
                    "even for the same secret: one sequence, one SealingKey");
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void anExhaustedSequenceFailsEveryLaterSeal(Algorithm alg) {
        try (Secret<SecretKind.Key> k = randomKey()) {
            SealingKey sealing = SealingKey.of(alg, k, CounterNonceSequence.of(new byte[11], 1));
            for (int i = 0; i < 256; i++) {
                sealing.seal(heap(new byte[1]), NO_AAD);
            }
            for (int i = 0; i < 3; i++) {
                assertThrows(NonceExhaustedException.class, () -> sealing.seal(heap(new byte[1]), NO_AAD));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void unusableSegmentsAreRefusedBeforeTheNonceIsConsumed(Algorithm alg) throws Exception {
        try (Secret<SecretKind.Key> k = randomKey()) {
            SealingKey sealing = SealingKey.of(alg, k);
            UnusedNonce nonce = sealing.nonceSequence().next();

            Arena closed = Arena.ofConfined();
            MemorySegment dead = offHeap(closed, random(8));
            closed.close();
            assertThrows(IllegalStateException.class, () -> sealing.seal(nonce, dead, NO_AAD));
            assertThrows(IllegalStateException.class, () -> sealing.seal(nonce, heap(random(8)), dead));

            try (Arena confined = Arena.ofConfined()) {
                MemorySegment mine = offHeap(confined, random(8));
                ExecutionException e = assertThrows(ExecutionException.class, () -> CompletableFuture
                        .supplyAsync(() -> sealing.seal(nonce, mine, NO_AAD)).get());
                assertInstanceOf(WrongThreadException.class, e.getCause());
            }
            assertFalse(nonce.isConsumed());
            long before = sequenceDraws(sealing);
            assertThrows(IllegalStateException.class, () -> sealing.seal(dead, NO_AAD));
            assertEquals(before + 1, sequenceDraws(sealing), "a nonce was drawn for a seal that could not run");
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void badDestinationsAreRefusedBeforeDecrypting(Algorithm alg) {
        try (Secret<SecretKind.Key> k = randomKey()) {
            Sealed sealed = SealingKey.of(alg, k).seal(heap(random(20)), NO_AAD);
            OpeningKey opening = OpeningKey.of(alg, k);
            IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> opening.open(
                    sealed.nonce(), heap(sealed.ciphertext()), NO_AAD, heap(new byte[19])));
            assertTrue(small.getMessage().contains("19") && small.getMessage().contains("20"), small.getMessage());
            assertThrows(IllegalArgumentException.class, () -> opening.open(
                    sealed.nonce(), heap(sealed.ciphertext()), NO_AAD, heap(new byte[20]).asReadOnly()));
        }
    }

    @Test
    void aCiphertextShorterThanTheTagIsNotAuthentic() {
        try (Secret<SecretKind.Key> k = randomKey()) {
            OpeningKey opening = OpeningKey.of(Algorithm.CHACHA20_POLY1305, k);
            AEADBadTagException e = assertThrows(AEADBadTagException.class, () -> opening.open(
                    UsedNonce.fromWire(new byte[12]), heap(new byte[15]), NO_AAD, heap(new byte[0])));
            assertTrue(e.getMessage().contains("15"), e.getMessage());
        }
    }

    @Test
    void keysShowNoBytes() {
        try (Secret<SecretKind.Key> k = key(new byte[32]); Secret<SecretKind.Key> other = key(new byte[32])) {
            assertEquals("OpeningKey[AES-256-GCM, key redacted]", OpeningKey.of(Algorithm.AES_256_GCM, k).toString());
            assertEquals("SealingKey[ChaCha20-Poly1305, CounterNonceSequence[12-byte nonces], key redacted]",
                    SealingKey.of(Algorithm.CHACHA20_POLY1305, other).toString());
        }
    }

    /** Draws a nonce from the key's sequence and {@return its counter}: how many were drawn before it. */
    private static long sequenceDraws(SealingKey sealing) {
        byte[] next = sealing.nonceSequence().next().consume().bytes();
        return MemorySegment.ofArray(next).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4);
    }
}
