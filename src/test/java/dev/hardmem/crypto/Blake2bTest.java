package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Sodium;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keyed BLAKE2b against the BLAKE2 reference keyed vectors ({@code blake2b-kat.txt}: key 00..3f, input 00..n-1,
 * 64-byte output) byte for byte; long inputs, fed in pieces, against libsodium's one-shot
 * {@code crypto_generichash} called directly; the tag checked bit by bit; and the refusals.
 */
class Blake2bTest {
    private static final HexFormat HEX = HexFormat.of();

    /** The first five keyed vectors of the BLAKE2 reference, by input length. */
    private static final String[] KAT = {
        "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786"
                + "b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568",
        "961f6dd1e4dd30f63901690c512e78e4b45e4742ed197c3c5e45c549fd25f2e4"
                + "187b0bc9fe30492b16b0d0bc4ef9b0f34c7003fac09a5ef1532e69430234cebd",
        "da2cfbe2d8409a0f38026113884f84b50156371ae304c4430173d08a99d9fb1b"
                + "983164a3770706d537f49e0c916d9f32b95cc37a95b99d857436f0232c88a965",
        "33d0825dddf7ada99b0e7e307104ad07ca9cfd9692214f1561356315e784f3e5"
                + "a17e364ae9dbb14cb2036df932b77f4b292761365fb328de7afdc6d8998f5fc1",
        "beaa5a3d08f3807143cf621d95cd690514d0b49efff9c91d24b59241ec0eefa5"
                + "f60196d407048bba8d2146828ebcb0488d8842fd56bb4f6df8e19c4b4daab8ac",
    };

    private static byte[] counting(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    private static Secret<SecretKind.Key> key(byte[] b) {
        return Secret.fromBytesWiping(SecretKind.Key.class, b.clone());
    }

    @Test
    void theReferenceKeyedVectorsByteForByte() {
        try (Secret<SecretKind.Key> k = key(counting(64))) {
            for (int n = 0; n < KAT.length; n++) {
                byte[] tag = new byte[64];
                Blake2b.mac(k, MemorySegment.ofArray(counting(n)), MemorySegment.ofArray(tag));
                assertEquals(KAT[n], HEX.formatHex(tag), "input of " + n + " bytes");
                assertTrue(Blake2b.verify(k, MemorySegment.ofArray(counting(n)), MemorySegment.ofArray(tag)));
            }
        }
    }

    @Test
    void aDerivedKeyIsPersonalisedAndNeverTheTagOfItsContext() throws Throwable {
        // derive = crypto_generichash_blake2b_salt_personal(key, context, salt 0, "hardmem.derive"): checked against
        // libsodium's one-shot call, and unlike mac on the same key and input (else a tag would be a key).
        MethodHandle h = Sodium.handle("crypto_generichash_blake2b_salt_personal", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        byte[] keyBytes = counting(64);
        try (Secret<SecretKind.Key> k = key(keyBytes); SecretArena arena = SecretArena.ofConfined();
             Arena a = Arena.ofConfined()) {
            MemorySegment personal = a.allocate(16);
            personal.copyFrom(MemorySegment.ofArray(Blake2b.DERIVE_PERSONAL.getBytes(StandardCharsets.US_ASCII)));
            for (int n : new int[] {0, 1, 3, 64, 1000}) {
                for (int length : new int[] {16, 32, 64}) {
                    MemorySegment expected = a.allocate(length);
                    MemorySegment in = a.allocateFrom(ValueLayout.JAVA_BYTE, counting(n));
                    int r = (int) h.invokeExact(expected, (long) length, in, (long) n,
                            a.allocateFrom(ValueLayout.JAVA_BYTE, keyBytes), (long) keyBytes.length,
                            MemorySegment.NULL, personal);
                    assertEquals(0, r);
                    byte[] want = expected.toArray(ValueLayout.JAVA_BYTE);
                    try (Secret<SecretKind.Key> derived = Blake2b.derive(k, MemorySegment.ofArray(counting(n)),
                            SecretKind.Key.class, length)) {
                        assertArrayEquals(want, derived.insecureCopyToHeap(), n + " bytes, output " + length);
                    }
                    MemorySegment into = arena.allocate(length);
                    Blake2b.derive(k, MemorySegment.ofArray(counting(n)), into);
                    assertArrayEquals(want, into.toArray(ValueLayout.JAVA_BYTE));
                    byte[] tag = new byte[length];
                    Blake2b.mac(k, MemorySegment.ofArray(counting(n)), MemorySegment.ofArray(tag));
                    assertFalse(Arrays.equals(want, tag), "the derived key is the tag of its context");
                }
            }
        }
    }

    /** libsodium's one-shot {@code crypto_generichash}, for the inputs no published vector covers. */
    private static byte[] oneShot(byte[] key, byte[] in, int outLength) throws Throwable {
        MethodHandle h = Sodium.handle("crypto_generichash", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG,
                ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(outLength);
            MemorySegment i = a.allocateFrom(ValueLayout.JAVA_BYTE, in);
            MemorySegment k = a.allocateFrom(ValueLayout.JAVA_BYTE, key);
            int r = (int) h.invokeExact(out, (long) outLength, i, (long) in.length, k, (long) key.length);
            assertEquals(0, r);
            return out.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Test
    void inputsLongerThanOnePieceAgreeWithLibsodiumsOneShot() throws Throwable {
        Random r = new Random(42);
        for (int n : new int[] {(1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 17}) {
            byte[] in = new byte[n];
            byte[] k = new byte[16 + r.nextInt(49)];
            r.nextBytes(in);
            r.nextBytes(k);
            int outLength = 16 + r.nextInt(49);
            byte[] tag = new byte[outLength];
            try (Secret<SecretKind.Key> key = key(k)) {
                Blake2b.mac(key, MemorySegment.ofArray(in), MemorySegment.ofArray(tag));
            }
            assertArrayEquals(oneShot(k, in, outLength), tag, n + " bytes");
        }
    }

    @Test
    void everyFlippedBitOfTheTagOrMessageFailsToVerify() {
        byte[] message = counting(100);
        byte[] tag = new byte[32];
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
            Blake2b.mac(k, MemorySegment.ofArray(message), MemorySegment.ofArray(tag));
            for (int bit = 0; bit < tag.length * 8; bit++) {
                tag[bit / 8] ^= (byte) (1 << (bit % 8));
                assertFalse(Blake2b.verify(k, MemorySegment.ofArray(message), MemorySegment.ofArray(tag)));
                tag[bit / 8] ^= (byte) (1 << (bit % 8));
            }
            message[50] ^= 1;
            assertFalse(Blake2b.verify(k, MemorySegment.ofArray(message), MemorySegment.ofArray(tag)));
            message[50] ^= 1;
            assertTrue(Blake2b.verify(k, MemorySegment.ofArray(message), MemorySegment.ofArray(tag)));
        }
    }

    @Test
    void keysAndOutputsOutOfRangeArePasswordsAndHeapDestinationsAreRefused() {
        MemorySegment msg = MemorySegment.ofArray(new byte[3]);
        for (int n : new int[] {1, 15, 65, 100}) {
            try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, n)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Blake2b.mac(k, msg, MemorySegment.ofArray(new byte[32])));
                assertTrue(e.getMessage().contains("16 to 64") && e.getMessage().contains("was " + n),
                        e.getMessage());
            }
        }
        try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32);
             Secret<SecretKind.Password> pw = Secret.fromCharsWiping(SecretKind.Password.class,
                     "sixteen or more chars".toCharArray());
             SecretArena arena = SecretArena.ofConfined()) {
            for (long n : new long[] {0, 15, 65, -1, Long.MAX_VALUE}) {
                assertThrows(IllegalArgumentException.class, () -> Blake2b.derive(k, msg, SecretKind.Key.class, n));
            }
            for (int n : new int[] {0, 15, 65}) {
                byte[] tag = new byte[n];
                assertThrows(IllegalArgumentException.class, () -> Blake2b.mac(k, msg, MemorySegment.ofArray(tag)));
                assertThrows(IllegalArgumentException.class,
                        () -> Blake2b.verify(k, msg, MemorySegment.ofArray(tag)));
            }
            assertThrows(IllegalArgumentException.class, () -> Blake2b.derive(pw, msg, SecretKind.Key.class, 32));
            byte[] heap = new byte[32];
            assertThrows(IllegalArgumentException.class, () -> Blake2b.derive(k, msg, MemorySegment.ofArray(heap)));
            assertArrayEquals(new byte[32], heap);
            assertThrows(IllegalArgumentException.class,
                    () -> Blake2b.mac(k, msg, arena.allocate(32).asReadOnly()));
        }
        Secret<SecretKind.Key> closed = Secret.random(SecretKind.Key.class, 32);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Blake2b.mac(closed, msg, MemorySegment.ofArray(new byte[32])));
    }
}
