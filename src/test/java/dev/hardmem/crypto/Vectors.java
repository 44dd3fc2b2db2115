package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.InsecureNonceSequence;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/** Published AEAD test vectors, byte for byte, and small helpers for the tests of this package. */
final class Vectors {
    /** One published vector: key, nonce, additional data, plaintext, ciphertext and tag. */
    record Vector(String source, AeadAlgorithm algorithm, byte[] key, byte[] nonce, byte[] aad, byte[] plaintext,
                  byte[] ciphertext, byte[] tag) {
        /** {@return the ciphertext followed by the tag: libsodium's combined form} */
        byte[] sealed() {
            return concat(ciphertext, tag);
        }

        /** {@return the nonce, the ciphertext and the tag: hardmem's wire form} */
        byte[] wire() {
            return concat(nonce, concat(ciphertext, tag));
        }

        @Override
        public String toString() {
            return source;
        }
    }

    private static final byte[] SUNSCREEN = ("Ladies and Gentlemen of the class of '99: If I could offer you only one"
            + " tip for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_80_9F = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] AAD_5051 = hex("50515253c0c1c2c3c4c5c6c7");

    /** draft-irtf-cfrg-xchacha-03, appendix A.3.1. */
    static final Vector XCHACHA_A31 = new Vector("draft-irtf-cfrg-xchacha A.3.1", AeadAlgorithm.XCHACHA20_POLY1305,
            KEY_80_9F, hex("404142434445464748494a4b4c4d4e4f5051525354555657"), AAD_5051, SUNSCREEN, hex(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
            + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
            + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
            + "21f9664c97637da9768812f615c68b13b52e"), hex("c0875924c1c7987947deafd8780acf49"));

    /** RFC 8439, section 2.8.2. */
    static final Vector RFC8439_282 = new Vector("RFC 8439 2.8.2", AeadAlgorithm.CHACHA20_POLY1305, KEY_80_9F,
            hex("070000004041424344454647"), AAD_5051, SUNSCREEN, hex(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116"), hex("1ae10b594f09e26a7e902ecbd0600691"));

    /**
     * The GCM specification (McGrew and Viega, 2005), test case 16: AES-256, 96-bit IV, 60-byte plaintext, 20-byte
     * AAD; also in NIST CAVP's and Wycheproof's AES-GCM sets.
     */
    static final Vector GCM_16 = new Vector("GCM spec test case 16", AeadAlgorithm.AES_256_GCM,
            hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"), hex("cafebabefacedbaddecaf888"),
            hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"), hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"), hex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"), hex("76fc6ece0f4e1768cddf8853bb2d551b"));

    private Vectors() {
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static Secret<SecretKind.Key> key(byte[] bytes) {
        return Secret.fromBytesWiping(SecretKind.Key.class, bytes.clone());
    }

    static Secret<SecretKind.Key> randomKey() {
        return Secret.random(SecretKind.Key.class, 32);
    }

    /** {@return a native segment of {@code arena} holding {@code bytes}} */
    static MemorySegment offHeap(Arena arena, byte[] bytes) {
        MemorySegment s = arena.allocate(Math.max(1, bytes.length)).asSlice(0, bytes.length);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }

    static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Test only: hands out the given nonce once. Known answers must seal with the published nonce. */
    static final class VectorNonce extends InsecureNonceSequence {
        private final byte[] nonce;
        private boolean given;

        VectorNonce(byte[] nonce) {
            super(nonce.length);
            this.nonce = nonce.clone();
        }

        @Override
        protected boolean nextNonce(byte[] destination) {
            if (given) {
                return false;
            }
            given = true;
            System.arraycopy(nonce, 0, destination, 0, nonce.length);
            return true;
        }
    }
}
