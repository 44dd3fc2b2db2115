package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.testing.OtherThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HKDF against RFC 5869's SHA-256 vectors (appendix A.1 to A.3) byte for byte, HKDF-SHA512 against the JDK's own
 * {@code javax.crypto.KDF} on test data, and every refusal made before anything is written.
 */
class HkdfTest {
    private static final HexFormat HEX = HexFormat.of();

    /** One RFC 5869 vector: IKM, salt, info, L, PRK, OKM. */
    private record Vector(String name, byte[] ikm, byte[] salt, byte[] info, int length, String prk, String okm) {
    }

    private static byte[] range(int from, int toInclusive) {
        byte[] b = new byte[toInclusive - from + 1];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    private static byte[] repeat(int value, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static final Vector[] RFC_5869 = {
        new Vector("A.1", repeat(0x0b, 22), range(0x00, 0x0c), range(0xf0, 0xf9), 42,
                "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
        new Vector("A.2", range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82,
                "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                        + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                        + "cc30c58179ec3e87c14c01d5c1f3434f1d87"),
        new Vector("A.3", repeat(0x0b, 22), new byte[0], new byte[0], 42,
                "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
    };

    private static Secret<SecretKind.Seed> seed(byte[] bytes) {
        return Secret.fromBytesWiping(SecretKind.Seed.class, bytes.clone());
    }

    private static MemorySegment heap(byte[] b) {
        return MemorySegment.ofArray(b);
    }

    @Test
    void rfc5869Sha256VectorsExtractExpandAndDeriveByteForByte() {
        for (Vector v : RFC_5869) {
            try (Secret<SecretKind.Seed> ikm = seed(v.ikm());
                 Secret<SecretKind.Key> prk = Hkdf.SHA256.extract(heap(v.salt()), ikm);
                 Secret<SecretKind.Key> okm = Hkdf.SHA256.expand(prk, heap(v.info()), SecretKind.Key.class,
                         v.length());
                 Secret<SecretKind.Key> derived = Hkdf.SHA256.derive(ikm, heap(v.salt()), heap(v.info()),
                         SecretKind.Key.class, v.length());
                 SecretArena arena = SecretArena.ofConfined()) {
                assertEquals(v.prk(), HEX.formatHex(prk.insecureCopyToHeap()), v.name() + " PRK");
                assertEquals(v.okm(), HEX.formatHex(okm.insecureCopyToHeap()), v.name() + " OKM by expand");
                assertEquals(v.okm(), HEX.formatHex(derived.insecureCopyToHeap()), v.name() + " OKM by derive");

                MemorySegment into = arena.allocate(v.length());
                Hkdf.SHA256.derive(ikm, heap(v.salt()), heap(v.info()), into);
                assertEquals(v.okm(), HEX.formatHex(into.toArray(ValueLayout.JAVA_BYTE)), v.name() + " derive into");
                MemorySegment expanded = arena.allocate(v.length());
                Hkdf.SHA256.expand(prk, heap(v.info()), expanded);
                assertEquals(v.okm(), HEX.formatHex(expanded.toArray(ValueLayout.JAVA_BYTE)), v.name()
                        + " expand into");
            }
        }
    }

    @Test
    void aNativeSaltAndInfoGiveTheSameAsHeapOnes() {
        Vector v = RFC_5869[1];
        try (Arena a = Arena.ofConfined(); Secret<SecretKind.Seed> ikm = seed(v.ikm());
             Secret<SecretKind.Key> okm = Hkdf.SHA256.derive(ikm, a.allocateFrom(ValueLayout.JAVA_BYTE, v.salt()),
                     a.allocateFrom(ValueLayout.JAVA_BYTE, v.info()), SecretKind.Key.class, v.length())) {
            assertEquals(v.okm(), HEX.formatHex(okm.insecureCopyToHeap()));
        }
    }

    /** {@return HKDF by the JDK's {@code javax.crypto.KDF} (Java 25), called reflectively: hardmem builds for 22} */
    private static byte[] jdkHkdf(String alg, byte[] ikm, byte[] salt, byte[] info, int length) throws Exception {
        Class<?> kdfClass = Class.forName("javax.crypto.KDF");
        Object kdf = kdfClass.getMethod("getInstance", String.class).invoke(null, alg);
        Object builder = Class.forName("javax.crypto.spec.HKDFParameterSpec").getMethod("ofExtract").invoke(null);
        Class<?> b = builder.getClass();
        builder = find(b, "addIKM", byte[].class).invoke(builder, (Object) ikm);
        if (salt.length > 0) {
            builder = find(b, "addSalt", byte[].class).invoke(builder, (Object) salt);
        }
        Object params = find(b, "thenExpand", byte[].class, int.class).invoke(builder, info, length);
        return (byte[]) kdfClass.getMethod("deriveData", AlgorithmParameterSpec.class).invoke(kdf, params);
    }

    private static Method find(Class<?> c, String name, Class<?>... types) throws NoSuchMethodException {
        for (Class<?> i : c.getInterfaces()) {
            try {
                return i.getMethod(name, types);
            } catch (NoSuchMethodException e) {
                // try the class
            }
        }
        Method m = c.getMethod(name, types);
        m.setAccessible(true);
        return m;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 32, 63, 64, 65, 128, 1000, 16320})
    void sha512AgreesWithTheJdksKdf(int length) throws Exception {
        Random r = new Random(length);
        byte[] ikm = new byte[1 + r.nextInt(100)];
        byte[] salt = new byte[r.nextInt(200)];
        byte[] info = new byte[r.nextInt(300)];
        r.nextBytes(ikm);
        r.nextBytes(salt);
        r.nextBytes(info);
        byte[] expected = jdkHkdf("HKDF-SHA512", ikm, salt, info, length);
        try (Secret<SecretKind.Seed> s = seed(ikm);
             Secret<SecretKind.Key> okm = Hkdf.SHA512.derive(s, heap(salt), heap(info), SecretKind.Key.class,
                     length)) {
            assertArrayEquals(expected, okm.insecureCopyToHeap());
        }
    }

    @Test
    void sha256AtItsLongestAgreesWithTheJdksBlockByBlock() throws Exception {
        // 255 blocks: the counter byte reaches 0xff; a signed-byte slip would show in the last blocks.
        byte[] ikm = repeat(7, 40);
        try (Secret<SecretKind.Seed> s = seed(ikm);
             Secret<SecretKind.Key> okm = Hkdf.SHA256.derive(s, heap(new byte[0]), heap(new byte[] {1}),
                     SecretKind.Key.class, Hkdf.SHA256.maxOutputLength())) {
            byte[] jdk = jdkHkdf("HKDF-SHA256", ikm, new byte[0], new byte[] {1},
                    (int) Hkdf.SHA256.maxOutputLength());
            assertArrayEquals(jdk, okm.insecureCopyToHeap());
        }
    }

    @Test
    void lengthsOutOfRangeAreRefusedNamingTheBounds() {
        try (Secret<SecretKind.Seed> ikm = Secret.random(SecretKind.Seed.class, 32)) {
            for (Hkdf h : Hkdf.values()) {
                for (long bad : new long[] {0, -1, h.maxOutputLength() + 1, Long.MAX_VALUE, Long.MIN_VALUE}) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> h.derive(ikm, heap(new byte[0]), heap(new byte[0]), SecretKind.Key.class, bad));
                    assertTrue(e.getMessage().contains("1 to " + h.maxOutputLength()) && e.getMessage()
                            .contains(String.valueOf(bad)), e.getMessage());
                }
            }
        }
    }

    @Test
    void aShortPseudorandomKeyOrAPasswordIsRefused() {
        try (Secret<SecretKind.Key> shortKey = Secret.random(SecretKind.Key.class, 31);
             Secret<SecretKind.Password> password = Secret.fromCharsWiping(SecretKind.Password.class,
                     "correct horse".toCharArray())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Hkdf.SHA256.expand(shortKey, heap(new byte[0]), SecretKind.Key.class, 32));
            assertTrue(e.getMessage().contains("at least 32") && e.getMessage().contains("31"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Hkdf.SHA256.extract(heap(new byte[0]), password));
            assertTrue(e.getMessage().contains("Argon2id"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Hkdf.SHA512.derive(password, heap(new byte[0]),
                    heap(new byte[0]), SecretKind.Key.class, 32));
        }
    }

    @Test
    void aDestinationThatCannotHoldAKeyIsRefusedAndNothingIsWritten() {
        try (Secret<SecretKind.Seed> ikm = Secret.random(SecretKind.Seed.class, 32);
             SecretArena arena = SecretArena.ofConfined()) {
            byte[] onHeap = new byte[32];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Hkdf.SHA256.derive(ikm, heap(new byte[0]), heap(new byte[0]), heap(onHeap)));
            assertTrue(e.getMessage().contains("Java heap"), e.getMessage());
            assertArrayEquals(new byte[32], onHeap);
            MemorySegment readOnly = arena.allocate(32).asReadOnly();
            assertThrows(IllegalArgumentException.class,
                    () -> Hkdf.SHA256.derive(ikm, heap(new byte[0]), heap(new byte[0]), readOnly));
            MemorySegment tooLong = arena.allocate(Hkdf.SHA256.maxOutputLength() + 1).fill((byte) 0x5a);
            assertThrows(IllegalArgumentException.class,
                    () -> Hkdf.SHA256.derive(ikm, heap(new byte[0]), heap(new byte[0]), tooLong));
            assertTrue(allEqual(tooLong, (byte) 0x5a), "a refused call wrote to the destination");
            assertThrows(IllegalArgumentException.class,
                    () -> Hkdf.SHA256.derive(ikm, heap(new byte[0]), heap(new byte[0]), arena.allocate(0)));
        }
    }

    @Test
    void closedSecretsAndSegmentsAndOtherThreadsAreRefusedWithTheJdksExceptions() throws Exception {
        Secret<SecretKind.Seed> closed = Secret.random(SecretKind.Seed.class, 32);
        closed.close();
        SecretArena gone = SecretArena.ofConfined();
        MemorySegment dead = gone.allocate(32);
        gone.close();
        try (Secret<SecretKind.Seed> ikm = Secret.random(SecretKind.Seed.class, 32);
             SecretArena arena = SecretArena.ofConfined();
             OtherThread other = OtherThread.start()) {
            MemorySegment out = arena.allocate(32).fill((byte) 0x5a);
            assertThrows(IllegalStateException.class,
                    () -> Hkdf.SHA256.derive(closed, heap(new byte[0]), heap(new byte[0]), out));
            assertThrows(IllegalStateException.class,
                    () -> Hkdf.SHA256.derive(ikm, heap(new byte[0]), heap(new byte[0]), dead));
            assertThrows(IllegalStateException.class,
                    () -> Hkdf.SHA256.derive(ikm, dead, heap(new byte[0]), out));
            MemorySegment elsewhere = other.confinedSegment(16, (byte) 1);
            assertThrows(WrongThreadException.class,
                    () -> Hkdf.SHA256.derive(ikm, heap(new byte[0]), elsewhere, out));
            assertThrows(WrongThreadException.class, () -> other.call(() -> {
                Hkdf.SHA256.derive(ikm, heap(new byte[0]), heap(new byte[0]), out);
                return null;
            }, 10));
            assertTrue(allEqual(out, (byte) 0x5a), "a refused call wrote to the destination");
            assertThrows(IllegalStateException.class, () -> ikm.write(w -> Hkdf.SHA256.derive(ikm,
                    heap(new byte[0]), heap(new byte[0]), SecretKind.Key.class, 32)));
        }
    }

    @Test
    void differentInfoOrSaltGiveDifferentKeysAndTheSameGiveTheSame() {
        try (Secret<SecretKind.Seed> ikm = Secret.random(SecretKind.Seed.class, 32);
             Secret<SecretKind.Key> a = Hkdf.SHA512.derive(ikm, heap(new byte[] {1}), heap(new byte[] {2}),
                     SecretKind.Key.class, 32);
             Secret<SecretKind.Key> b = Hkdf.SHA512.derive(ikm, heap(new byte[] {1}), heap(new byte[] {3}),
                     SecretKind.Key.class, 32);
             Secret<SecretKind.Key> c = Hkdf.SHA512.derive(ikm, heap(new byte[] {0}), heap(new byte[] {2}),
                     SecretKind.Key.class, 32);
             Secret<SecretKind.Key> d = Hkdf.SHA512.derive(ikm, heap(new byte[] {1}), heap(new byte[] {2}),
                     SecretKind.Key.class, 32)) {
            assertFalse(a.contentEquals(b));
            assertFalse(a.contentEquals(c));
            assertTrue(a.contentEquals(d));
        }
    }

    private static boolean allEqual(MemorySegment m, byte value) {
        for (long i = 0; i < m.byteSize(); i++) {
            if (m.get(ValueLayout.JAVA_BYTE, i) != value) {
                return false;
            }
        }
        return true;
    }
}
