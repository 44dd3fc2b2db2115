package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import org.junit.jupiter.api.Test;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;

import static dev.hardmem.aead.Fixtures.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JCA key lends the secret's bytes for one operation, and wipes every copy it lent when it is destroyed. */
class BorrowedKeyTest {
    private static byte[] keyBytes() {
        byte[] b = new byte[32];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i + 1);
        }
        return b;
    }

    @Test
    void destroyWipesEveryCopyItLent() {
        try (Secret<SecretKind.Key> k = key(keyBytes())) {
            BorrowedKey jca = new BorrowedKey(k, "AES");
            byte[] first = jca.getEncoded();
            byte[] second = jca.getEncoded();
            assertArrayEquals(keyBytes(), first);
            assertArrayEquals(keyBytes(), second);
            assertEquals(2, jca.lentCopies());
            jca.destroy();
            assertArrayEquals(new byte[32], first);
            assertArrayEquals(new byte[32], second);
            assertTrue(jca.isDestroyed());
            assertEquals(0, jca.lentCopies());
            assertThrows(IllegalStateException.class, jca::getEncoded, "a provider coming back gets no zero key");
        }
    }

    @Test
    void itIsRawRedactedAndNotSerializable() throws Exception {
        try (Secret<SecretKind.Key> k = key(keyBytes())) {
            BorrowedKey jca = new BorrowedKey(k, "ChaCha20");
            assertEquals("RAW", jca.getFormat());
            assertEquals("ChaCha20", jca.getAlgorithm());
            assertEquals("BorrowedKey[ChaCha20, redacted]", jca.toString());
            try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
                assertThrows(NotSerializableException.class, () -> out.writeObject(jca));
            }
            assertEquals(0, jca.lentCopies());
        }
    }

    @Test
    void aClosedSecretLendsNothing() {
        Secret<SecretKind.Key> k = key(keyBytes());
        BorrowedKey jca = new BorrowedKey(k, "AES");
        k.close();
        assertThrows(IllegalStateException.class, jca::getEncoded);
    }

    @Test
    void everyCipherOperationDestroysItsKeyWhateverHappens() throws Exception {
        try (Secret<SecretKind.Key> k = key(keyBytes())) {
            for (Algorithm alg : Algorithm.values()) {
                BorrowedKey ok = new BorrowedKey(k, alg.keyAlgorithm());
                byte[] ct = Jca.run(alg, k, ok, Cipher.ENCRYPT_MODE, new byte[12], c -> c.doFinal(new byte[5]));
                assertEquals(21, ct.length);
                assertTrue(ok.isDestroyed());

                BorrowedKey failing = new BorrowedKey(k, alg.keyAlgorithm());
                assertThrows(AEADBadTagException.class, () -> Jca.run(alg, k, failing, Cipher.DECRYPT_MODE,
                        new byte[12], c -> c.doFinal(new byte[21])));
                assertTrue(failing.isDestroyed());

                BorrowedKey throwing = new BorrowedKey(k, alg.keyAlgorithm());
                assertThrows(ArithmeticException.class, () -> Jca.<Object>run(alg, k, throwing, Cipher.ENCRYPT_MODE,
                        new byte[12], c -> {
                            throw new ArithmeticException("the operation failed");
                        }));
                assertTrue(throwing.isDestroyed());
                assertFalse(k.isDestroyed());
            }
        }
    }
}
