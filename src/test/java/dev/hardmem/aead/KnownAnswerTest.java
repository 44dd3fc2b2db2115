package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.UsedNonce;
import org.junit.jupiter.api.Test;

import javax.crypto.AEADBadTagException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.hardmem.aead.Fixtures.bytes;
import static dev.hardmem.aead.Fixtures.heap;
import static dev.hardmem.aead.Fixtures.hex;
import static dev.hardmem.aead.Fixtures.key;
import static dev.hardmem.aead.Fixtures.offHeap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Published test vectors through the public API: sealing with a test-only sequence that yields the vector's nonce,
 * opening with the vector's nonce as a {@link UsedNonce} from the wire. Plaintexts live in a {@link SecretArena}.
 */
class KnownAnswerTest {
    /** RFC 8439 §2.8.2: key 80..9f. */
    private static final byte[] RFC8439_KEY = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] RFC8439_NONCE = hex("07000000 4041424344454647");
    private static final byte[] RFC8439_AAD = hex("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] RFC8439_PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you "
            + "only one tip for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RFC8439_CIPHERTEXT = hex(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116");
    private static final byte[] RFC8439_TAG = hex("1ae10b594f09e26a7e902ecbd0600691");

    /**
     * The GCM specification (McGrew and Viega, "The Galois/Counter Mode of Operation", 2005), test case 16: AES-256,
     * 96-bit IV, 60-byte plaintext, 20-byte AAD. Also in Wycheproof's and NIST CAVP's AES-GCM sets.
     */
    private static final byte[] GCM16_KEY = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    private static final byte[] GCM16_IV = hex("cafebabefacedbaddecaf888");
    private static final byte[] GCM16_AAD = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    private static final byte[] GCM16_PLAINTEXT = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    private static final byte[] GCM16_CIPHERTEXT = hex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
    private static final byte[] GCM16_TAG = hex("76fc6ece0f4e1768cddf8853bb2d551b");

    @Test
    void rfc8439Section282Seals() {
        assertSeals(Algorithm.CHACHA20_POLY1305, RFC8439_KEY, RFC8439_NONCE, RFC8439_AAD, RFC8439_PLAINTEXT,
                RFC8439_CIPHERTEXT, RFC8439_TAG);
    }

    @Test
    void rfc8439Section282Opens() throws AEADBadTagException {
        assertOpens(Algorithm.CHACHA20_POLY1305, RFC8439_KEY, RFC8439_NONCE, RFC8439_AAD, RFC8439_PLAINTEXT,
                RFC8439_CIPHERTEXT, RFC8439_TAG);
    }

    @Test
    void gcmSpecTestCase16Seals() {
        assertSeals(Algorithm.AES_256_GCM, GCM16_KEY, GCM16_IV, GCM16_AAD, GCM16_PLAINTEXT, GCM16_CIPHERTEXT,
                GCM16_TAG);
    }

    @Test
    void gcmSpecTestCase16Opens() throws AEADBadTagException {
        assertOpens(Algorithm.AES_256_GCM, GCM16_KEY, GCM16_IV, GCM16_AAD, GCM16_PLAINTEXT, GCM16_CIPHERTEXT,
                GCM16_TAG);
    }

    private static void assertSeals(Algorithm alg, byte[] key, byte[] nonce, byte[] aad, byte[] plaintext,
                                    byte[] ciphertext, byte[] tag) {
        try (Secret<SecretKind.Key> k = key(key); SecretArena arena = SecretArena.ofConfined()) {
            SealingKey sealing = SealingKey.of(alg, k, new TestVectorNonces(nonce));
            Sealed sealed = sealing.seal(sealing.nonceSequence().next(), offHeap(arena, plaintext), heap(aad));
            assertArrayEquals(nonce, sealed.nonce().bytes());
            assertArrayEquals(concat(ciphertext, tag), sealed.ciphertext());
        }
    }

    private static void assertOpens(Algorithm alg, byte[] key, byte[] nonce, byte[] aad, byte[] plaintext,
                                    byte[] ciphertext, byte[] tag) throws AEADBadTagException {
        try (Secret<SecretKind.Key> k = key(key); SecretArena arena = SecretArena.ofConfined()) {
            MemorySegment out = arena.allocate(plaintext.length);
            long n = OpeningKey.of(alg, k).open(UsedNonce.fromWire(nonce), heap(concat(ciphertext, tag)),
                    offHeap(arena, aad), out);
            assertEquals(plaintext.length, n);
            assertArrayEquals(plaintext, bytes(out));
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
