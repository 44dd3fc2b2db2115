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
import java.util.Arrays;

import static dev.hardmem.aead.Fixtures.bytes;
import static dev.hardmem.aead.Fixtures.heap;
import static dev.hardmem.aead.Fixtures.offHeap;
import static dev.hardmem.aead.Fixtures.random;
import static dev.hardmem.aead.Fixtures.randomKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every single-bit change of the ciphertext, the tag, the nonce and the AAD, and every change of length, is
 * rejected with {@link AEADBadTagException}, and the destination is left exactly as it was.
 */
class TamperTest {
    private static final byte MARK = 0x5a;

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void everyChangeIsRejectedAndReleasesNothing(Algorithm alg) throws AEADBadTagException {
        byte[] plaintext = random(37);
        byte[] aad = random(13);
        try (Secret<SecretKind.Key> k = randomKey(); SecretArena arena = SecretArena.ofConfined()) {
            SealingKey sealing = SealingKey.of(alg, k);
            Sealed sealed = sealing.seal(offHeap(arena, plaintext), heap(aad));
            byte[] ct = sealed.ciphertext();
            byte[] nonce = sealed.nonce().bytes();
            OpeningKey opening = OpeningKey.of(alg, k);
            MemorySegment destination = arena.allocate(ct.length);
            destination.fill(MARK);

            // The untouched message opens: the changes below are what makes the difference.
            assertEquals(plaintext.length, opening.open(sealed.nonce(), heap(ct), heap(aad), destination));
            assertArrayEquals(plaintext, bytes(destination.asSlice(0, plaintext.length)));
            destination.fill(MARK);

            int rejected = 0;
            for (int bit = 0; bit < ct.length * 8; bit++) {   // ciphertext and tag
                rejected += rejects(opening, nonce, flip(ct, bit), aad, destination);
            }
            for (int bit = 0; bit < nonce.length * 8; bit++) {
                rejected += rejects(opening, flip(nonce, bit), ct, aad, destination);
            }
            for (int bit = 0; bit < aad.length * 8; bit++) {
                rejected += rejects(opening, nonce, ct, flip(aad, bit), destination);
            }
            rejected += rejects(opening, nonce, ct, Arrays.copyOf(aad, aad.length - 1), destination);
            rejected += rejects(opening, nonce, ct, Arrays.copyOf(aad, aad.length + 1), destination);
            rejected += rejects(opening, nonce, ct, new byte[0], destination);
            for (int cut = 1; cut <= ct.length; cut++) {     // truncated, down to nothing
                rejected += rejects(opening, nonce, Arrays.copyOf(ct, ct.length - cut), aad, destination);
            }
            rejected += rejects(opening, nonce, Arrays.copyOf(ct, ct.length + 1), aad, destination);
            // Tag swapped for the tag of another message.
            Sealed other = sealing.seal(offHeap(arena, plaintext), heap(aad));
            byte[] mixed = ct.clone();
            System.arraycopy(other.ciphertext(), plaintext.length, mixed, plaintext.length, alg.tagLength());
            rejected += rejects(opening, nonce, mixed, aad, destination);

            assertEquals(ct.length * 8 + nonce.length * 8 + aad.length * 8 + 3 + ct.length + 1 + 1, rejected);
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void anotherKeyIsRejected(Algorithm alg) {
        try (Secret<SecretKind.Key> k = randomKey(); Secret<SecretKind.Key> other = randomKey();
             SecretArena arena = SecretArena.ofConfined()) {
            Sealed sealed = SealingKey.of(alg, k).seal(offHeap(arena, random(100)), heap(new byte[0]));
            MemorySegment destination = arena.allocate(100);
            destination.fill(MARK);
            assertThrows(AEADBadTagException.class, () -> OpeningKey.of(alg, other)
                    .open(sealed.nonce(), heap(sealed.ciphertext()), heap(new byte[0]), destination));
            assertUntouched(destination);
        }
    }

    private static int rejects(OpeningKey opening, byte[] nonce, byte[] ct, byte[] aad, MemorySegment destination) {
        assertThrows(AEADBadTagException.class,
                () -> opening.open(UsedNonce.fromWire(nonce), heap(ct), heap(aad), destination));
        assertUntouched(destination);
        return 1;
    }

    private static void assertUntouched(MemorySegment destination) {
        for (long i = 0; i < destination.byteSize(); i++) {
            assertEquals(MARK, destination.get(ValueLayout.JAVA_BYTE, i), "destination byte " + i);
        }
    }

    private static byte[] flip(byte[] b, int bit) {
        byte[] c = b.clone();
        c[bit / 8] ^= (byte) (1 << (bit % 8));
        return c;
    }
}
