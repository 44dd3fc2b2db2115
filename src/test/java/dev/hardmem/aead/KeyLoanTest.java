package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.testing.Hkdf25;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import static dev.hardmem.aead.Fixtures.hex;
import static dev.hardmem.aead.Fixtures.key;
import static dev.hardmem.aead.Fixtures.randomKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A key lent for one function: usable inside it, destroyed and wiped after it, on every path. */
class KeyLoanTest {
    /** RFC 4231, test case 2: a key shorter than the block. */
    @Test
    void hmacSha256ThroughMacGivesRfc4231TestCase2() throws Exception {
        try (Secret<SecretKind.Key> k = key("Jefe".getBytes(StandardCharsets.US_ASCII))) {
            byte[] tag = KeyLoan.lend(k, "HmacSHA256", key -> {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac.doFinal("what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII));
            });
            assertArrayEquals(hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), tag);
        }
    }

    /** RFC 5869, test case A.1, through {@code javax.crypto.KDF} (Java 25). */
    @Test
    void hkdfSha256ThroughKdfGivesRfc5869A1() throws Exception {
        assumeTrue(Hkdf25.available(), "javax.crypto.KDF is Java 25");
        try (Secret<SecretKind.Seed> ikm = Secret.fromBytesWiping(SecretKind.Seed.class,
                hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"))) {
            byte[] okm = KeyLoan.lend(ikm, "HKDF-SHA256", k -> Hkdf25.deriveData("HKDF-SHA256", k,
                    hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42));
            assertArrayEquals(hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c"
                    + "5db02d56ecc4c5bf34007208d5b887185865"), okm);
        }
    }

    /** The same AES-GCM encryption through a loan as through a {@code SecretKeySpec} of the same bytes. */
    @Test
    void aesGcmThroughCipherMatchesPlainJca() throws Exception {
        byte[] bytes = Fixtures.random(32);
        byte[] nonce = new byte[12];
        try (Secret<SecretKind.Key> k = key(bytes)) {
            byte[] lent = KeyLoan.lend(k, "AES", key -> {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                return c.doFinal(new byte[40]);
            });
            Cipher plain = Cipher.getInstance("AES/GCM/NoPadding");
            plain.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(bytes, "AES"), new GCMParameterSpec(128, nonce));
            assertArrayEquals(plain.doFinal(new byte[40]), lent);
        }
    }

    @Test
    void afterTheLoanTheKeyIsDestroyedAndGivesNothing() {
        try (Secret<SecretKind.Key> k = randomKey()) {
            SecretKey escaped = KeyLoan.lend(k, "HmacSHA256", key -> {
                assertFalse(key.isDestroyed());
                assertEquals("HmacSHA256", key.getAlgorithm());
                assertEquals("RAW", key.getFormat());
                assertEquals("BorrowedKey[HmacSHA256, redacted]", key.toString());
                return key;
            });
            assertTrue(escaped.isDestroyed());
            assertThrows(IllegalStateException.class, escaped::getEncoded);
            assertFalse(k.isDestroyed(), "the secret is borrowed, not closed");
        }
    }

    @Test
    void everyCopyHandedOutIsWipedWhenTheLoanEnds() {
        try (Secret<SecretKind.Key> k = randomKey()) {
            byte[] expected = k.insecureCopyToHeap();
            List<byte[]> copies = new ArrayList<>();
            KeyLoan.lend(k, "AES", key -> {
                copies.add(key.getEncoded());
                copies.add(key.getEncoded());
                assertArrayEquals(expected, copies.get(0));
                assertArrayEquals(expected, copies.get(1));
                return null;
            });
            for (byte[] c : copies) {
                assertArrayEquals(new byte[32], c);
            }
        }
    }

    @Test
    void whatTheBorrowerThrowsPassesThroughUnchangedAfterTheCopiesAreWiped() {
        try (Secret<SecretKind.Key> k = randomKey()) {
            List<byte[]> copies = new ArrayList<>();
            InvalidKeyException planted = new InvalidKeyException("planted");
            SecretKey[] seen = new SecretKey[1];
            GeneralSecurityException thrown = assertThrows(GeneralSecurityException.class,
                    () -> KeyLoan.lend(k, "AES", key -> {
                        seen[0] = key;
                        copies.add(key.getEncoded());
                        throw planted;
                    }));
            assertSame(planted, thrown);
            assertTrue(seen[0].isDestroyed());
            assertArrayEquals(new byte[32], copies.get(0));

            Error error = new AssertionError("planted");
            assertSame(error, assertThrows(AssertionError.class, () -> KeyLoan.lend(k, "AES", key -> {
                copies.add(key.getEncoded());
                throw error;
            })));
            assertArrayEquals(new byte[32], copies.get(1));
        }
    }

    @Test
    void theKeyIsNeverSerializedDuringOrAfterTheLoan() throws Exception {
        try (Secret<SecretKind.Key> k = randomKey();
             ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
            SecretKey escaped = KeyLoan.lend(k, "AES", key -> {
                assertThrows(NotSerializableException.class, () -> out.writeObject(key));
                return key;
            });
            assertThrows(NotSerializableException.class, () -> out.writeObject(escaped));
        }
    }

    @Test
    void theBorrowerMayDestroyTheKeyEarly() throws Exception {
        try (Secret<SecretKind.Key> k = randomKey()) {
            KeyLoan.lend(k, "AES", key -> {
                byte[] copy = key.getEncoded();
                key.destroy();
                assertArrayEquals(new byte[32], copy);
                assertThrows(IllegalStateException.class, key::getEncoded);
                return null;
            });
        }
    }

    @Test
    void aSecretClosedDuringTheLoanLendsNothingMore() {
        Secret<SecretKind.Key> k = randomKey();
        KeyLoan.lend(k, "AES", key -> {
            k.close();
            assertThrows(IllegalStateException.class, key::getEncoded);
            return null;
        });
    }

    @Test
    void aClosedOrWriteLockedSecretIsRefusedBeforeTheBorrowerRuns() {
        AtomicBoolean ran = new AtomicBoolean();
        Secret<SecretKind.Key> closed = randomKey();
        closed.close();
        assertThrows(IllegalStateException.class, () -> KeyLoan.lend(closed, "AES", key -> ran.getAndSet(true)));
        try (Secret<SecretKind.Key> k = randomKey()) {
            k.write(s -> assertThrows(IllegalStateException.class,
                    () -> KeyLoan.lend(k, "AES", key -> ran.getAndSet(true))));
            // Nothing was recorded by the refusals: the secret can still be lent under another name.
            KeyLoan.lend(k, "HmacSHA256", key -> null);
        }
        assertFalse(ran.get());
    }

    @Test
    void anEmptyOrBlankAlgorithmNameIsRefused() {
        try (Secret<SecretKind.Key> k = randomKey()) {
            for (String name : new String[] {"", " ", "\t\n"}) {
                assertThrows(IllegalArgumentException.class, () -> KeyLoan.lend(k, name, key -> null));
            }
        }
    }

    @Test
    void aSecretIsLentUnderOneAlgorithmNameInAnyCase() {
        try (Secret<SecretKind.Key> k = randomKey()) {
            KeyLoan.lend(k, "HmacSHA256", key -> null);
            KeyLoan.lend(k, "HMACSHA256", key -> null);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> KeyLoan.lend(k, "AES", key -> null));
            assertTrue(e.getMessage().contains("HmacSHA256") && e.getMessage().contains("AES"), e.getMessage());
        }
    }

    @Test
    void aLentSecretNeverServesAnAeadKeyAndTheReverse() {
        try (Secret<SecretKind.Key> lent = randomKey(); Secret<SecretKind.Key> sealing = randomKey();
             Secret<SecretKind.Key> opening = randomKey()) {
            KeyLoan.lend(lent, "AES", key -> null);
            assertThrows(IllegalStateException.class, () -> SealingKey.of(Algorithm.AES_256_GCM, lent));
            assertThrows(IllegalStateException.class, () -> OpeningKey.of(Algorithm.AES_256_GCM, lent));

            SealingKey.of(Algorithm.AES_256_GCM, sealing);
            OpeningKey.of(Algorithm.CHACHA20_POLY1305, opening);
            for (Secret<SecretKind.Key> k : List.of(sealing, opening)) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> KeyLoan.lend(k, "AES", key -> null));
                assertTrue(e.getMessage().contains("SealingKey or OpeningKey"), e.getMessage());
            }
        }
    }

    @Test
    void aSecretOfAnyKindCanBeLent() {
        try (Secret<SecretKind.Password> p = Secret.fromCharsWiping(SecretKind.Password.class,
                "a password".toCharArray())) {
            int length = KeyLoan.lend(p, "PBEWithHmacSHA256AndAES_256", key -> key.getEncoded().length);
            assertEquals(10, length);
        }
    }
}
