package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.internal.os.Sodium;
import dev.hardmem.nonce.UsedNonce;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.crypto.AEADBadTagException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.ThreadLocalRandom;

import static dev.hardmem.crypto.Vectors.bytes;
import static dev.hardmem.crypto.Vectors.offHeap;
import static dev.hardmem.crypto.Vectors.randomKey;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Messages sealed by libsodium called directly (its combined mode, through the thin bindings) open in hardmem, in
 * both forms, and hardmem's open in libsodium; and the JCA and native ChaCha20-Poly1305 and AES-256-GCM open each
 * other's messages. Random keys, nonces, lengths (0, 1, 15, 16, 17, 4096 and 65,537 bytes) and additional data.
 */
class AeadInteropTest {
    private static final int[] LENGTHS = {0, 1, 15, 16, 17, 4096, 65_537};

    /**
     * libsodium's own function family for {@code a}, bound here from the C prototypes rather than through hardmem's
     * {@code SodiumAead}: a wrong descriptor or argument order there would otherwise be wrong on both sides, and
     * still round-trip.
     */
    private static String family(AeadAlgorithm a) {
        return switch (a) {
            case XCHACHA20_POLY1305 -> "crypto_aead_xchacha20poly1305_ietf";
            case CHACHA20_POLY1305 -> "crypto_aead_chacha20poly1305_ietf";
            case AES_256_GCM -> "crypto_aead_aes256gcm";
        };
    }

    /** {@code int encrypt(c, clen_p, m, mlen, ad, adlen, nsec, npub, k)}, combined mode */
    private static int sodiumEncrypt(AeadAlgorithm a, MemorySegment c, MemorySegment m, MemorySegment ad,
                                     MemorySegment npub, MemorySegment k) throws Throwable {
        MethodHandle h = Sodium.handle(family(a) + "_encrypt", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));
        return (int) h.invokeExact(c, MemorySegment.NULL, m, m.byteSize(), ad, ad.byteSize(), MemorySegment.NULL,
                npub, k);
    }

    /** {@code int decrypt(m, mlen_p, nsec, c, clen, ad, adlen, npub, k)}, combined mode */
    private static int sodiumDecrypt(AeadAlgorithm a, MemorySegment m, MemorySegment c, MemorySegment ad,
                                     MemorySegment npub, MemorySegment k) throws Throwable {
        MethodHandle h = Sodium.handle(family(a) + "_decrypt", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        return (int) h.invokeExact(m, MemorySegment.NULL, MemorySegment.NULL, c, c.byteSize(), ad, ad.byteSize(),
                npub, k);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void libsodiumSealsHardmemOpensBothForms(AeadAlgorithm a) throws Throwable {
        AeadAssume.runs(a);
        for (int length : LENGTHS) {
            try (Secret<SecretKind.Key> k = randomKey(); Arena arena = Arena.ofConfined()) {
                byte[] plaintext = random(length);
                byte[] aad = random(length % 7);
                byte[] nonce = random(a.nonceLength());
                MemorySegment sealed = arena.allocate(length + a.tagLength());
                int r = k.read(key -> sodiumEncrypt(a, sealed, offHeap(arena, plaintext),
                        offHeap(arena, aad), offHeap(arena, nonce), key));
                assertEquals(0, r);

                AeadOpeningKey opening = AeadOpeningKey.of(a, k);
                MemorySegment out = arena.allocate(Math.max(1, length));
                assertEquals(length, opening.open(UsedNonce.fromWire(nonce), sealed, MemorySegment.ofArray(aad),
                        out));
                assertArrayEquals(plaintext, bytes(out.asSlice(0, length)));

                MemorySegment wire = arena.allocate(a.wireLength(length));
                MemorySegment.copy(MemorySegment.ofArray(nonce), 0, wire, 0, nonce.length);
                MemorySegment.copy(sealed, 0, wire, nonce.length, sealed.byteSize());
                out.fill((byte) 0);
                assertEquals(length, opening.openWire(wire, MemorySegment.ofArray(aad), out));
                assertArrayEquals(plaintext, bytes(out.asSlice(0, length)));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void hardmemSealsLibsodiumOpensBothForms(AeadAlgorithm a) throws Throwable {
        AeadAssume.runs(a);
        for (int length : LENGTHS) {
            try (Secret<SecretKind.Key> k = randomKey(); Arena arena = Arena.ofConfined()) {
                byte[] plaintext = random(length);
                byte[] aad = random(length % 5);
                AeadSealingKey sealing = AeadSealingKey.of(a, k);

                MemorySegment sealed = arena.allocate(a.sealedLength(length));
                UsedNonce nonce = sealing.seal(sealing.nonceSequence().next(), MemorySegment.ofArray(plaintext),
                        offHeap(arena, aad), sealed);
                assertArrayEquals(plaintext, libsodiumOpens(a, k, arena, nonce.bytes(), sealed, aad));

                MemorySegment wire = arena.allocate(a.wireLength(length));
                assertEquals(wire.byteSize(), sealing.sealToWire(offHeap(arena, plaintext), offHeap(arena, aad),
                        wire));
                byte[] wireNonce = bytes(wire.asSlice(0, a.nonceLength()));
                assertNotEquals(nonce, UsedNonce.fromWire(wireNonce), "a second seal drew a new nonce");
                assertArrayEquals(plaintext, libsodiumOpens(a, k, arena, wireNonce, wire.asSlice(a.nonceLength()),
                        aad));
            }
        }
    }

    private static byte[] libsodiumOpens(AeadAlgorithm a, Secret<SecretKind.Key> k, Arena arena, byte[] nonce,
                                         MemorySegment sealed, byte[] aad) throws Throwable {
        MemorySegment out = arena.allocate(sealed.byteSize() - a.tagLength());
        int r = k.read(key -> sodiumDecrypt(a, out, sealed, offHeap(arena, aad), offHeap(arena, nonce),
                key));
        assertEquals(0, r, "libsodium refused what hardmem sealed");
        return bytes(out);
    }

    @Test
    void jcaAndNativeOpenEachOthersMessagesOfTheSameAlgorithm() throws AEADBadTagException {
        for (Algorithm jca : Algorithm.values()) {
            AeadAlgorithm a = AeadAlgorithm.valueOf(jca.name());
            if (!a.isAvailable()) {
                continue;
            }
            byte[] plaintext = random(100);
            byte[] aad = random(3);
            try (Secret<SecretKind.Key> k = randomKey(); SecretArena arena = SecretArena.ofConfined()) {
                Sealed byJca = SealingKey.of(jca, k).seal(offHeap(arena, plaintext), MemorySegment.ofArray(aad));
                MemorySegment out = arena.allocate(100);
                AeadOpeningKey.of(a, k).open(byJca.nonce(), MemorySegment.ofArray(byJca.ciphertext()),
                        MemorySegment.ofArray(aad), out);
                assertArrayEquals(plaintext, bytes(out));
            }
            try (Secret<SecretKind.Key> k = randomKey(); SecretArena arena = SecretArena.ofConfined()) {
                MemorySegment sealed = arena.allocate(a.sealedLength(100));
                AeadSealingKey sealing = AeadSealingKey.of(a, k);
                UsedNonce n = sealing.seal(sealing.nonceSequence().next(), offHeap(arena, plaintext),
                        MemorySegment.ofArray(aad), sealed);
                MemorySegment out = arena.allocate(100);
                OpeningKey.of(jca, k).open(n, sealed, MemorySegment.ofArray(aad), out);
                assertArrayEquals(plaintext, bytes(out));
            }
        }
    }
}
