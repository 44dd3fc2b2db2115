package dev.hardmem.sealed;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Sodium;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The partial-read model. An "attacker" is given copies of what a memory disclosure could yield: the key material
 * of a mode and the storage (nonce, ciphertext, tag) of every sealed secret, and it knows the construction. It opens
 * secrets with libsodium called through handles of its own, bound here from the C prototypes, and its own
 * derivation of the key, never through {@link ProcessKey}:
 * <ul>
 *   <li>shielded: key = BLAKE2b-256(prekey), no key, a zero salt, personalisation {@code "hardmem.sealed.1"}
 *       (libsodium's one-shot {@code crypto_generichash_blake2b_salt_personal});</li>
 *   <li>coffer: key = left ⊕ HChaCha20(key = right, input = {@code "hardmem.coffer.1"});</li>
 *   <li>XChaCha20-Poly1305 (IETF), nonce = storage[0, 24), ciphertext and tag = storage[24, end), associated data =
 *       the secret's id, 8 bytes, little-endian.</li>
 * </ul>
 * With every bit, the attacker opens every secret to the bytes {@code read} gives (the control: the model is the
 * implementation). With one bit of the material wrong, anywhere, it opens none: a key one bit off is as useless as
 * a random one, and says nothing of the plaintext.
 *
 * <p>What this does and does not show: the derivation has no slack, so an attacker's read must be exact. An
 * attacker who knows <em>which</em> bits it is unsure of needs only 2<sup>k</sup> tries for k of them; the defence
 * rests on read errors at unknown places in 131,072 bits (shielded) or on missing a whole page (coffer).
 *
 * <p>The live version flips one bit of the key material in place: every {@code read} and {@code write} of every
 * secret of that mode then fails closed with {@link MemoryCorruptionError} without calling the lambda, and flipped
 * back, they work again.
 */
class PartialDisclosureTest {
    private static final int SECRETS = 6;
    private static final int[] SIZES = {1, 32, 32, 64, 333, 4000};

    private static MethodHandle blake2b;
    private static MethodHandle hchacha20;
    private static MethodHandle decrypt;

    private final List<SealedSecret<SecretKind.Key>> made = new ArrayList<>();

    /** What a disclosure of one secret yields, and what {@code read} says it holds. */
    private record Disclosed(long id, byte[] storage, byte[] plain) {
    }

    @BeforeAll
    static void bind() {
        assumeTrue(SealedSecret.isAvailable(), "libsodium is missing");
        Sodium.require();
        // int crypto_generichash_blake2b_salt_personal(out, outlen, in, inlen, key, keylen, salt, personal)
        blake2b = Sodium.handle("crypto_generichash_blake2b_salt_personal", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        // int crypto_core_hchacha20(out, in, k, c)
        hchacha20 = Sodium.handle("crypto_core_hchacha20", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS));
        // int crypto_aead_xchacha20poly1305_ietf_decrypt(m, mlen_p, nsec, c, clen, ad, adlen, npub, k)
        decrypt = Sodium.handle("crypto_aead_xchacha20poly1305_ietf_decrypt", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
    }

    @AfterEach
    void closeThem() {
        made.forEach(SealedSecret::close);
    }

    // ---------------------------------------------------------------- the attacker

    /** {@return the process key, derived from the disclosed {@code material} (in native memory)} */
    private static MemorySegment deriveKey(SealingMode mode, List<MemorySegment> material, Arena arena)
            throws Throwable {
        MemorySegment key = arena.allocate(32);
        if (mode == SealingMode.SHIELDED) {
            MemorySegment prekey = material.getFirst();
            int rc = (int) blake2b.invokeExact(key, 32L, prekey, prekey.byteSize(), MemorySegment.NULL, 0L,
                    MemorySegment.NULL, ascii(arena, "hardmem.sealed.1"));
            assertEquals(0, rc);
        } else {
            int rc = (int) hchacha20.invokeExact(key, ascii(arena, "hardmem.coffer.1"), material.get(1),
                    MemorySegment.NULL);
            assertEquals(0, rc);
            for (long i = 0; i < 32; i++) {
                key.set(ValueLayout.JAVA_BYTE, i, (byte) (key.get(ValueLayout.JAVA_BYTE, i)
                        ^ material.getFirst().get(ValueLayout.JAVA_BYTE, i)));
            }
        }
        return key;
    }

    /** {@return the plaintext of a disclosed secret under {@code key} as the secret {@code id}, or null} */
    private static byte[] open(MemorySegment key, long id, byte[] storage) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocateFrom(ValueLayout.JAVA_BYTE, storage);
            MemorySegment ad = arena.allocate(8);
            ad.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, id);
            MemorySegment c = s.asSlice(24);
            MemorySegment m = arena.allocate(Math.max(1, c.byteSize() - 16));
            int rc = (int) decrypt.invokeExact(m, MemorySegment.NULL, MemorySegment.NULL, c, c.byteSize(), ad, 8L,
                    s.asSlice(0, 24), key);
            return rc == 0 ? m.asSlice(0, c.byteSize() - 16).toArray(ValueLayout.JAVA_BYTE) : null;
        }
    }

    private static MemorySegment ascii(Arena arena, String s) {
        return arena.allocateFrom(ValueLayout.JAVA_BYTE, s.getBytes(StandardCharsets.US_ASCII));
    }

    /** {@return how many of {@code secrets} open under the key derived from {@code material}} */
    private static int opened(SealingMode mode, List<MemorySegment> material, List<Disclosed> secrets)
            throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = deriveKey(mode, material, arena);
            int n = 0;
            for (Disclosed d : secrets) {
                if (open(key, d.id(), d.storage()) != null) {
                    n++;
                }
            }
            return n;
        }
    }

    // ---------------------------------------------------------------- the disclosure

    private List<SealedSecret<SecretKind.Key>> make(SealingMode mode) {
        List<SealedSecret<SecretKind.Key>> secrets = new ArrayList<>();
        for (int i = 0; i < SECRETS; i++) {
            SealedSecret<SecretKind.Key> s = SealedSecret.random(SecretKind.Key.class, SIZES[i], mode);
            made.add(s);
            secrets.add(s);
        }
        return secrets;
    }

    /** Copies every secret's storage, and the key material they are sealed under (one key for all), as a read would. */
    private static List<Disclosed> disclose(List<SealedSecret<SecretKind.Key>> secrets, List<byte[][]> material) {
        List<Disclosed> out = new ArrayList<>();
        ProcessKey key = null;
        for (SealedSecret<SecretKind.Key> s : secrets) {
            byte[] plain = s.insecureCopyToHeap();
            SealedState state = s.stateForTests();
            Lock r = state.lock.readLock();
            r.lock();
            try {
                if (key == null) {
                    key = state.key();
                    material.add(key.insecureCopyOfMaterial());
                }
                assertSame(key, state.key(), "the secrets are sealed under different keys: a rekey ran meanwhile");
                out.add(new Disclosed(state.id, state.insecureCopyOfStorage(), plain));
            } finally {
                r.unlock();
            }
        }
        return out;
    }

    private static List<MemorySegment> offHeap(byte[][] material, Arena arena) {
        List<MemorySegment> m = new ArrayList<>();
        for (byte[] part : material) {
            m.add(arena.allocateFrom(ValueLayout.JAVA_BYTE, part));
        }
        return m;
    }

    private static void flip(List<MemorySegment> material, long bit) {
        MemorySegment part = material.get((int) (bit / (material.getFirst().byteSize() * 8)));
        long b = bit % (material.getFirst().byteSize() * 8);
        part.set(ValueLayout.JAVA_BYTE, b / 8, (byte) (part.get(ValueLayout.JAVA_BYTE, b / 8) ^ (1 << (b % 8))));
    }

    // ---------------------------------------------------------------- the model

    @ParameterizedTest
    @EnumSource(SealingMode.class)
    void withEveryBitTheAttackerOpensEverySecretToWhatReadGives(SealingMode mode) throws Throwable {
        List<byte[][]> material = new ArrayList<>();
        List<Disclosed> secrets = disclose(make(mode), material);
        byte[][] m = material.getFirst();
        if (mode == SealingMode.SHIELDED) {
            assertEquals(1, m.length);
            assertEquals(16 * 1024, m[0].length);
        } else {
            assertEquals(2, m.length);
            assertEquals(32, m[0].length);
            assertEquals(32, m[1].length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = deriveKey(mode, offHeap(m, arena), arena);
            for (Disclosed d : secrets) {
                assertArrayEquals(d.plain(), open(key, d.id(), d.storage()), "secret " + d.id());
                // Bound to its identity: the same storage as another secret's does not open.
                assertNull(open(key, d.id() + 1, d.storage()));
                assertNull(open(key, d.id() ^ (1L << 40), d.storage()));
            }
        }
    }

    @Test
    void oneWrongBitAnywhereInTheCofferHalvesOpensNothing() throws Throwable {
        List<byte[][]> material = new ArrayList<>();
        List<Disclosed> secrets = disclose(make(SealingMode.COFFER), material);
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> m = offHeap(material.getFirst(), arena);
            assertEquals(SECRETS, opened(SealingMode.COFFER, m, secrets));
            for (long bit = 0; bit < 512; bit++) {  // every bit of both halves
                flip(m, bit);
                assertEquals(0, opened(SealingMode.COFFER, m, secrets), "bit " + bit + " wrong, yet it opened");
                flip(m, bit);
            }
            assertEquals(SECRETS, opened(SealingMode.COFFER, m, secrets));
        }
    }

    @Test
    void oneWrongBitAnywhereInThePrekeyOpensNothing() throws Throwable {
        List<byte[][]> material = new ArrayList<>();
        List<Disclosed> secrets = disclose(make(SealingMode.SHIELDED), material);
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> m = offHeap(material.getFirst(), arena);
            assertEquals(SECRETS, opened(SealingMode.SHIELDED, m, secrets));
            // One bit of every byte, the bit moving through the byte; and every bit of the first and last bytes.
            List<Long> bits = new ArrayList<>();
            for (long b = 0; b < 16 * 1024; b++) {
                bits.add(b * 8 + (b * 5 + 3) % 8);
            }
            for (long bit = 0; bit < 8; bit++) {
                bits.add(bit);
                bits.add(16 * 1024 * 8 - 1 - bit);
            }
            for (long bit : bits) {
                flip(m, bit);
                assertEquals(0, opened(SealingMode.SHIELDED, m, secrets), "bit " + bit + " wrong, yet it opened");
                flip(m, bit);
            }
            assertEquals(SECRETS, opened(SealingMode.SHIELDED, m, secrets));
        }
    }

    @ParameterizedTest
    @EnumSource(SealingMode.class)
    void oneWrongBitAnywhereInAStorageOpensNotThatOne(SealingMode mode) throws Throwable {
        List<byte[][]> material = new ArrayList<>();
        Disclosed d = disclose(make(mode), material).get(1); // 32 bytes: 72 bytes of nonce, ciphertext and tag
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = deriveKey(mode, offHeap(material.getFirst(), arena), arena);
            assertNotNull(open(key, d.id(), d.storage()), "the control: the storage as it is opens");
            for (int bit = 0; bit < d.storage().length * 8; bit++) {
                byte[] changed = d.storage().clone();
                changed[bit / 8] ^= (byte) (1 << (bit % 8));
                assertNull(open(key, d.id(), changed), "storage bit " + bit);
            }
        }
    }

    // ---------------------------------------------------------------- live

    private static List<Long> liveBits(SealingMode mode) {
        return mode == SealingMode.COFFER
                ? List.of(0L, 7L, 100L, 255L, 256L, 300L, 511L)
                : List.of(0L, 1L, 8191L, 65_536L, 100_003L, 131_071L);
    }

    @ParameterizedTest
    @EnumSource(SealingMode.class)
    void aFlippedBitInTheLiveKeyMaterialFailsEveryReadAndWriteClosed(SealingMode mode) {
        List<SealedSecret<SecretKind.Key>> secrets = make(mode);
        List<byte[]> expected = new ArrayList<>();
        secrets.forEach(s -> expected.add(s.insecureCopyToHeap()));
        ProcessKey key = Vault.current(mode);
        AtomicInteger called = new AtomicInteger();
        for (long bit : liveBits(mode)) {
            key.flipMaterialBitForTests(bit);
            try {
                for (SealedSecret<SecretKind.Key> s : secrets) {
                    assertThrows(MemoryCorruptionError.class, () -> s.read(seg -> called.incrementAndGet()),
                            "bit " + bit);
                    assertThrows(MemoryCorruptionError.class, () -> s.write(seg -> called.incrementAndGet()),
                            "bit " + bit);
                    assertThrows(MemoryCorruptionError.class, () -> s.contentEquals(s), "bit " + bit);
                }
            } finally {
                key.flipMaterialBitForTests(bit);
            }
            assertEquals(0, called.get(), "a lambda was given bytes under a wrong key");
            for (int i = 0; i < secrets.size(); i++) {
                assertArrayEquals(expected.get(i), secrets.get(i).insecureCopyToHeap(), "after bit " + bit);
            }
        }
        // A write after all that seals under the key as it is again, and reads back.
        byte[] fresh = new byte[SIZES[2]];
        ThreadLocalRandom.current().nextBytes(fresh);
        secrets.get(2).write(seg -> seg.copyFrom(MemorySegment.ofArray(fresh)));
        assertArrayEquals(fresh, secrets.get(2).insecureCopyToHeap());
        assertFalse(Arrays.equals(fresh, expected.get(2)));
    }
}
