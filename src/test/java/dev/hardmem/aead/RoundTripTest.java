package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.UsedNonce;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.crypto.AEADBadTagException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.hardmem.aead.Fixtures.bytes;
import static dev.hardmem.aead.Fixtures.heap;
import static dev.hardmem.aead.Fixtures.offHeap;
import static dev.hardmem.aead.Fixtures.randomKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

/** Whatever the lengths and contents, what is sealed opens to the same bytes, on and off the heap. */
class RoundTripTest {
    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void sealThenOpenGivesThePlaintextBack(Algorithm alg) {
        try (Secret<SecretKind.Key> k = randomKey()) {
            SealingKey sealing = SealingKey.of(alg, k);
            OpeningKey opening = OpeningKey.of(alg, k);
            qt().withExamples(150).forAll(integers().between(0, 5000), integers().between(0, 300),
                    integers().all()).checkAssert((length, aadLength, seed) -> {
                        byte[] plaintext = pattern(length, seed);
                        byte[] aad = pattern(aadLength, ~seed);
                        try (SecretArena arena = SecretArena.ofConfined()) {
                            Sealed sealed = sealing.seal(offHeap(arena, plaintext), heap(aad));
                            assertEquals(length + alg.tagLength(), sealed.ciphertext().length);
                            assertEquals(alg.nonceLength(), sealed.nonce().length());
                            MemorySegment out = arena.allocate(length + 7);
                            out.fill((byte) 0x77);
                            long n = opening.open(UsedNonce.fromWire(sealed.nonce().bytes()),
                                    heap(sealed.ciphertext()), offHeap(arena, aad), out);
                            assertEquals((long) length, n);
                            assertArrayEquals(plaintext, bytes(out.asSlice(0, length)));
                            for (long i = length; i < out.byteSize(); i++) {
                                assertEquals((byte) 0x77, out.get(ValueLayout.JAVA_BYTE, i), "beyond the plaintext");
                            }
                        } catch (AEADBadTagException e) {
                            throw new AssertionError(e);
                        }
                    });
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aPlaintextInsideASecretSealsWithoutLeavingIt(Algorithm alg) throws AEADBadTagException {
        try (Secret<SecretKind.Key> k = randomKey();
             Secret<SecretKind.Seed> seed = Secret.random(SecretKind.Seed.class, 64);
             SecretArena arena = SecretArena.ofConfined()) {
            byte[] aad = {1, 2, 3};
            Sealed sealed = seed.read(s -> SealingKey.of(alg, k).seal(s, heap(aad)));
            MemorySegment out = arena.allocate(64);
            OpeningKey.of(alg, k).open(sealed.nonce(), heap(sealed.ciphertext()), heap(aad), out);
            Secret<SecretKind.Seed> back = Secret.withContents(SecretKind.Seed.class, 64, s -> s.copyFrom(out));
            try (back) {
                assertTrue(seed.contentEquals(back));
            }
        }
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        long x = seed;
        for (int i = 0; i < length; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            b[i] = (byte) (x >>> 56);
        }
        return b;
    }
}
