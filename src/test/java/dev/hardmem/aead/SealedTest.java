package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.UsedNonce;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import javax.crypto.AEADBadTagException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/** A {@code Sealed} is a value: nothing its caller does to an array changes it. */
class SealedTest {
    @Test
    void changingTheArrayCiphertextReturnsChangesNothing() throws AEADBadTagException {
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
            byte[] text = {10, 20, 30, 40};
            Sealed sealed = SealingKey.of(Algorithm.CHACHA20_POLY1305, k)
                    .seal(MemorySegment.ofArray(text), MemorySegment.NULL);
            byte[] before = sealed.ciphertext();
            int hash = sealed.hashCode();

            byte[] got = sealed.ciphertext();
            assertNotSame(got, sealed.ciphertext());
            got[0] ^= 1;
            got[got.length - 1] ^= 1;

            assertArrayEquals(before, sealed.ciphertext());
            assertEquals(hash, sealed.hashCode());
            byte[] back = new byte[text.length];
            OpeningKey.of(Algorithm.CHACHA20_POLY1305, k).open(sealed.nonce(),
                    MemorySegment.ofArray(sealed.ciphertext()), MemorySegment.NULL, MemorySegment.ofArray(back));
            assertArrayEquals(text, back);
        }
    }

    @Test
    void changingTheArrayGivenToTheConstructorChangesNothing() {
        byte[] given = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
        Sealed sealed = new Sealed(UsedNonce.fromWire(new byte[12]), given);
        given[0] = 99;
        assertEquals(1, sealed.ciphertext()[0]);
        assertEquals(new Sealed(UsedNonce.fromWire(new byte[12]), sealed.ciphertext()), sealed);
    }
}
