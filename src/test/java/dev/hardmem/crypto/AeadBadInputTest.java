package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.internal.os.HugeSegments;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceReuseException;
import dev.hardmem.nonce.RandomNonceSequence;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;
import dev.hardmem.testing.FreeLog;
import dev.hardmem.testing.OtherThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.crypto.AEADBadTagException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.hardmem.crypto.Vectors.bytes;
import static dev.hardmem.crypto.Vectors.offHeap;
import static dev.hardmem.crypto.Vectors.randomKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bad input is a clear exception, with nothing written to the destination and no nonce consumed where the
 * javadoc says so: wrong key sizes, short and long nonces, truncated and tampered messages, tag-only input, sizes
 * past libsodium's limits and around 4 GiB (refused before anything is allocated), closed secrets and segments, and
 * segments of another thread.
 */
class AeadBadInputTest {
    private static final byte MARKER = 0x5A;
    private static final byte[] PLAINTEXT = "attack at dawn, bring snacks".getBytes(StandardCharsets.US_ASCII);
    private static final MemorySegment NO_AAD = MemorySegment.NULL;

    private static MemorySegment marked(Arena arena, long size) {
        return arena.allocate(Math.max(1, size)).asSlice(0, size).fill(MARKER);
    }

    private static void assertUntouched(MemorySegment destination) {
        for (byte b : bytes(destination)) {
            assertEquals(MARKER, b, "the refused open wrote to the destination");
        }
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void keysOfTheWrongSizeAreRefusedNamingTheSizes(AeadAlgorithm a) {
        AeadAssume.runs(a);
        for (int size : new int[] {1, 16, 31, 33, 64}) {
            try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, size)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> AeadSealingKey.of(a, k));
                assertTrue(e.getMessage().contains("32-byte key, this one has " + size + " bytes"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> AeadOpeningKey.of(a, k));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void noncesOfTheWrongLengthAreRefused(AeadAlgorithm a) throws Exception {
        AeadAssume.runs(a);
        try (Secret<SecretKind.Key> k = randomKey(); Arena arena = Arena.ofConfined()) {
            AeadOpeningKey opening = AeadOpeningKey.of(a, k);
            MemorySegment out = marked(arena, 10);
            for (int n : new int[] {1, a.nonceLength() - 1, a.nonceLength() + 1, 32}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opening.open(
                        UsedNonce.fromWire(new byte[n]), arena.allocate(26), NO_AAD, out));
                assertTrue(e.getMessage().contains("this one has " + n + " bytes"), e.getMessage());
            }
            assertUntouched(out);
            var wrongLength = a == AeadAlgorithm.XCHACHA20_POLY1305 ? CounterNonceSequence.withRandomPrefix()
                    : RandomNonceSequence.of192Bits();
            assertThrows(IllegalArgumentException.class, () -> AeadSealingKey.of(a, k, wrongLength));
        }
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void aNonceOfAnotherSequenceOrUsedIsRefusedAndAFreshOneIsNotConsumedByARefusal(AeadAlgorithm a) {
        AeadAssume.runs(a);
        try (Secret<SecretKind.Key> k = randomKey(); Secret<SecretKind.Key> k2 = randomKey();
             Arena arena = Arena.ofConfined()) {
            AeadSealingKey sealing = AeadSealingKey.of(a, k);
            MemorySegment plaintext = offHeap(arena, PLAINTEXT);
            MemorySegment out = marked(arena, a.sealedLength(PLAINTEXT.length));
            UnusedNonce foreign = AeadSealingKey.of(a, k2).nonceSequence().next();
            assertThrows(IllegalArgumentException.class, () -> sealing.seal(foreign, plaintext, NO_AAD, out));
            assertFalse(foreign.isConsumed());

            UnusedNonce mine = sealing.nonceSequence().next();
            assertThrows(IllegalArgumentException.class, () -> sealing.seal(mine, plaintext, NO_AAD,
                    out.asSlice(0, out.byteSize() - 1)));
            assertThrows(IllegalArgumentException.class, () -> sealing.seal(mine, plaintext, NO_AAD, out.asReadOnly()));
            assertFalse(mine.isConsumed(), "a refused seal consumed the nonce");
            assertUntouched(out);

            sealing.seal(mine, plaintext, NO_AAD, out);
            assertThrows(NonceReuseException.class, () -> sealing.seal(mine, plaintext, NO_AAD, out));
        }
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void everyTruncationAndEveryBitFlipOfAWireMessageIsABadTagAndWritesNothing(AeadAlgorithm a) throws Exception {
        AeadAssume.runs(a);
        try (Secret<SecretKind.Key> k = randomKey(); Arena arena = Arena.ofConfined()) {
            byte[] aad = {1, 2, 3};
            MemorySegment wire = arena.allocate(a.wireLength(PLAINTEXT.length));
            AeadSealingKey.of(a, k).sealToWire(offHeap(arena, PLAINTEXT), MemorySegment.ofArray(aad), wire);
            AeadOpeningKey opening = AeadOpeningKey.of(a, k);
            MemorySegment out = marked(arena, PLAINTEXT.length);
            for (long length = 0; length < wire.byteSize(); length++) {
                long l = length;
                assertThrows(AEADBadTagException.class, () -> opening.openWire(wire.asSlice(0, l),
                        MemorySegment.ofArray(aad), out), "truncated to " + length);
            }
            byte[] message = bytes(wire);
            for (int bit = 0; bit < message.length * 8; bit++) {
                message[bit / 8] ^= (byte) (1 << (bit % 8));
                byte[] tampered = message.clone();
                assertThrows(AEADBadTagException.class, () -> opening.openWire(MemorySegment.ofArray(tampered),
                        MemorySegment.ofArray(aad), out), "bit " + bit);
                message[bit / 8] ^= (byte) (1 << (bit % 8));
            }
            assertThrows(AEADBadTagException.class, () -> opening.openWire(wire, MemorySegment.ofArray(new byte[] {1,
                    2, 4}), out));
            assertThrows(AEADBadTagException.class, () -> opening.openWire(wire, NO_AAD, out));
            assertUntouched(out);
            assertEquals(PLAINTEXT.length, opening.openWire(MemorySegment.ofArray(message),
                    MemorySegment.ofArray(aad), out), "the control: the untampered message opens");
            assertArrayEquals(PLAINTEXT, bytes(out));
        }
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void aZeroLengthPlaintextIsATagOnlyMessageAndATagOnlyForgeryIsRefused(AeadAlgorithm a) throws Exception {
        AeadAssume.runs(a);
        try (Secret<SecretKind.Key> k = randomKey(); Arena arena = Arena.ofConfined()) {
            AeadSealingKey sealing = AeadSealingKey.of(a, k);
            MemorySegment sealed = arena.allocate(a.tagLength());
            UsedNonce n = sealing.seal(sealing.nonceSequence().next(), MemorySegment.NULL, NO_AAD, sealed);
            AeadOpeningKey opening = AeadOpeningKey.of(a, k);
            assertEquals(0, opening.open(n, sealed, NO_AAD, MemorySegment.NULL));
            MemorySegment forged = arena.allocate(a.tagLength()).copyFrom(sealed);
            forged.set(ValueLayout.JAVA_BYTE, 15, (byte) (forged.get(ValueLayout.JAVA_BYTE, 15) ^ 0x80));
            assertThrows(AEADBadTagException.class, () -> opening.open(n, forged, NO_AAD, MemorySegment.NULL));
            MemorySegment wire = arena.allocate(a.wireLength(0));
            assertEquals(a.nonceLength() + a.tagLength(), sealing.sealToWire(MemorySegment.NULL, NO_AAD, wire));
            assertEquals(0, opening.openWire(wire, NO_AAD, MemorySegment.NULL));
        }
    }

    @Test
    void aFailedOpenWipesItsScratchMemoryAndLeavesTheDestinationAlone() throws Exception {
        for (AeadAlgorithm a : AeadAlgorithm.values()) {
            if (!a.isAvailable()) {
                continue;
            }
            try (Secret<SecretKind.Key> k = randomKey(); SecretArena arena = SecretArena.ofConfined()) {
                byte[] plaintext = new byte[4096];
                java.util.Arrays.fill(plaintext, (byte) 0x77);
                MemorySegment wire = arena.allocate(a.wireLength(plaintext.length));
                AeadSealingKey.of(a, k).sealToWire(offHeap(arena, plaintext), NO_AAD, wire);
                wire.set(ValueLayout.JAVA_BYTE, wire.byteSize() - 1,
                        (byte) (wire.get(ValueLayout.JAVA_BYTE, wire.byteSize() - 1) ^ 1));
                MemorySegment out = marked(arena, plaintext.length);
                List<FreeLog.Freed> freed;
                try (FreeLog log = FreeLog.start()) {
                    assertThrows(AEADBadTagException.class, () -> AeadOpeningKey.of(a, k).openWire(wire, NO_AAD, out));
                    freed = log.all();
                }
                assertUntouched(out);
                // libsodium's AES-GCM decrypts as it verifies: into scratch memory, wiped before it is freed. The
                // ChaCha20 AEADs check the tag with nothing written: no plaintext-sized scratch at all.
                boolean scratch = freed.stream().anyMatch(f -> f.size() >= plaintext.length
                        && f.size() < plaintext.length + 64);
                assertEquals(a == AeadAlgorithm.AES_256_GCM, scratch, a + ": " + freed);
                assertTrue(freed.stream().allMatch(FreeLog.Freed::zero), a + ": scratch not wiped before free");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void sizesPastTheLimitAreRefusedBeforeAnyNonceOrAllocationAndSizesAround4GiBAreExact(AeadAlgorithm a)
            throws Exception {
        AeadAssume.runs(a);
        long max = a.maxPlaintextLength();
        assertTrue(max >= (1L << 32), a + ": libsodium allows at least 4 GiB: " + max);
        try (Secret<SecretKind.Key> k = randomKey(); Arena arena = Arena.ofConfined()) {
            AeadSealingKey sealing = AeadSealingKey.of(a, k);
            AeadOpeningKey opening = AeadOpeningKey.of(a, k);
            MemorySegment small = marked(arena, 64);
            UnusedNonce nonce = sealing.nonceSequence().next();
            IllegalArgumentException over = assertThrows(IllegalArgumentException.class,
                    () -> sealing.seal(nonce, HugeSegments.unbacked(max + 1), NO_AAD, small));
            assertTrue(over.getMessage().contains(String.valueOf(max + 1)) && over.getMessage().contains(
                    String.valueOf(max)), over.getMessage());
            assertThrows(IllegalArgumentException.class, () -> sealing.sealToWire(HugeSegments.unbacked(max + 1),
                    NO_AAD, small));
            assertThrows(IllegalArgumentException.class, () -> opening.open(UsedNonce.fromWire(new byte[
                    a.nonceLength()]), HugeSegments.unbacked(max + 1 + a.tagLength()), NO_AAD, small));
            long wireOver = max + 1 + a.tagLength() + a.nonceLength();
            if (wireOver > 0) { // XChaCha20's limit leaves no room: the sum would overflow, and no segment is larger
                IllegalArgumentException wire = assertThrows(IllegalArgumentException.class,
                        () -> opening.openWire(HugeSegments.unbacked(wireOver), NO_AAD, small));
                assertTrue(wire.getMessage().contains(String.valueOf(max)), wire.getMessage());
            }
            // Legal sizes reach the next check (the destination) with their exact length: no int truncation.
            for (long size : new long[] {(1L << 32) - a.tagLength(), (1L << 32) - 1, 1L << 32, (1L << 32) + 1,
                    max}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> sealing.seal(nonce, HugeSegments.unbacked(size), NO_AAD, small));
                assertTrue(e.getMessage().contains((size + a.tagLength()) + " are needed"), e.getMessage());
                IllegalArgumentException o = assertThrows(IllegalArgumentException.class,
                        () -> opening.open(UsedNonce.fromWire(new byte[a.nonceLength()]),
                                HugeSegments.unbacked(size + a.tagLength()), NO_AAD, small));
                assertTrue(o.getMessage().contains(size + " are needed"), o.getMessage());
            }
            assertFalse(nonce.isConsumed());
            assertFalse(sealing.nonceSequence().isExhausted());
            assertUntouched(small);
        }
        assertThrows(IllegalArgumentException.class, () -> a.sealedLength(-1));
        assertThrows(IllegalArgumentException.class, () -> a.wireLength(Long.MAX_VALUE - a.nonceLength()));
        assertEquals((1L << 32) + 16, a.sealedLength(1L << 32));
        assertEquals((1L << 32) + 16 + a.nonceLength(), a.wireLength(1L << 32));
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void closedKeysAndSegmentsAndSegmentsOfAnotherThreadAreRefused(AeadAlgorithm a) throws Throwable {
        AeadAssume.runs(a);
        Secret<SecretKind.Key> k = randomKey();
        AeadSealingKey sealing = AeadSealingKey.of(a, k);
        AeadOpeningKey opening = AeadOpeningKey.of(a, k);
        try (Arena arena = Arena.ofConfined(); OtherThread other = OtherThread.start()) {
            MemorySegment plaintext = offHeap(arena, PLAINTEXT);
            MemorySegment wire = arena.allocate(a.wireLength(PLAINTEXT.length));
            sealing.sealToWire(plaintext, NO_AAD, wire);
            MemorySegment out = marked(arena, PLAINTEXT.length);
            MemorySegment elsewhere = other.confinedSegment(PLAINTEXT.length, (byte) 1);
            assertThrows(WrongThreadException.class, () -> opening.openWire(wire, NO_AAD, elsewhere));
            assertThrows(WrongThreadException.class, () -> sealing.sealToWire(elsewhere, NO_AAD, wire));
            Arena gone = Arena.ofConfined();
            MemorySegment dead = gone.allocate(16);
            gone.close();
            assertThrows(IllegalStateException.class, () -> sealing.sealToWire(dead, NO_AAD, wire));
            assertThrows(IllegalStateException.class, () -> opening.openWire(wire, dead, out));

            k.close();
            UnusedNonce n = sealing.nonceSequence().next();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> sealing.seal(n, plaintext, NO_AAD, wire));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertFalse(n.isConsumed());
            assertThrows(IllegalStateException.class, () -> opening.openWire(wire, NO_AAD, out));
            assertThrows(IllegalStateException.class, () -> AeadOpeningKey.of(a, k));
            assertUntouched(out);
        }
    }

    @Test
    void aSecretServesOneAlgorithmWithOneSealingKeyAcrossTheJcaAndNativePaths() {
        try (Secret<SecretKind.Key> k = randomKey()) {
            SealingKey.of(Algorithm.CHACHA20_POLY1305, k);
            IllegalStateException twice = assertThrows(IllegalStateException.class,
                    () -> AeadSealingKey.of(AeadAlgorithm.CHACHA20_POLY1305, k));
            assertTrue(twice.getMessage().contains("already has"), twice.getMessage());
            AeadOpeningKey.of(AeadAlgorithm.CHACHA20_POLY1305, k); // the same algorithm: opening is fine
            IllegalStateException other = assertThrows(IllegalStateException.class,
                    () -> AeadOpeningKey.of(AeadAlgorithm.XCHACHA20_POLY1305, k));
            assertTrue(other.getMessage().contains("already serves ChaCha20-Poly1305"), other.getMessage());
        }
        try (Secret<SecretKind.Key> k = randomKey()) {
            AeadSealingKey.of(AeadAlgorithm.XCHACHA20_POLY1305, k);
            assertThrows(IllegalStateException.class, () -> SealingKey.of(Algorithm.CHACHA20_POLY1305, k));
            assertThrows(IllegalStateException.class, () -> AeadSealingKey.of(AeadAlgorithm.XCHACHA20_POLY1305, k));
        }
        try (Secret<SecretKind.Key> k = randomKey(); Secret<SecretKind.Key> k2 = randomKey()) {
            AeadSealingKey s = AeadSealingKey.of(AeadAlgorithm.XCHACHA20_POLY1305, k);
            assertThrows(IllegalStateException.class,
                    () -> AeadSealingKey.of(AeadAlgorithm.XCHACHA20_POLY1305, k2, s.nonceSequence()));
        }
    }

    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void sealAndOpenInPlaceAndOnTheHeap(AeadAlgorithm a) throws Exception {
        AeadAssume.runs(a);
        try (Secret<SecretKind.Key> k = randomKey(); SecretArena arena = SecretArena.ofConfined()) {
            AeadSealingKey sealing = AeadSealingKey.of(a, k);
            AeadOpeningKey opening = AeadOpeningKey.of(a, k);
            MemorySegment buffer = arena.allocate(a.wireLength(PLAINTEXT.length));
            MemorySegment.copy(MemorySegment.ofArray(PLAINTEXT), 0, buffer, 0, PLAINTEXT.length);
            sealing.sealToWire(buffer.asSlice(0, PLAINTEXT.length), NO_AAD, buffer);   // in place, overlapping
            assertEquals(PLAINTEXT.length, opening.openWire(buffer, NO_AAD, buffer));  // and back
            assertArrayEquals(PLAINTEXT, bytes(buffer.asSlice(0, PLAINTEXT.length)));

            byte[] heapWire = new byte[(int) a.wireLength(PLAINTEXT.length)];
            sealing.sealToWire(MemorySegment.ofArray(PLAINTEXT.clone()), MemorySegment.ofArray(new byte[] {9}),
                    MemorySegment.ofArray(heapWire));
            byte[] back = new byte[PLAINTEXT.length];
            opening.openWire(MemorySegment.ofArray(heapWire), MemorySegment.ofArray(new byte[] {9}),
                    MemorySegment.ofArray(back));
            assertArrayEquals(PLAINTEXT, back);
        }
    }

    /**
     * The open that checks the tag first and then decrypts straight into the destination (the ChaCha20 AEADs) runs
     * only where that is safe: exactly in place, or apart from every input. A destination that overlaps the
     * ciphertext by a byte either way, or reaches into the tag, or (in the wire form) covers the nonce, goes through
     * scratch memory. Every one gives the plaintext, a larger destination keeps its tail, and the free log shows
     * which path ran: a message over 4 KiB through scratch memory frees a block of its own.
     */
    @ParameterizedTest
    @EnumSource(AeadAlgorithm.class)
    void everyOverlapOfDestinationAndInputGivesThePlaintextByTheRightPath(AeadAlgorithm a) throws Exception {
        AeadAssume.runs(a);
        byte[] plaintext = new byte[5000];
        for (int i = 0; i < plaintext.length; i++) {
            plaintext[i] = (byte) (i * 31 + 7);
        }
        boolean apartPossible = a != AeadAlgorithm.AES_256_GCM;
        try (Secret<SecretKind.Key> k = randomKey(); SecretArena arena = SecretArena.ofConfined()) {
            AeadSealingKey sealing = AeadSealingKey.of(a, k);
            AeadOpeningKey opening = AeadOpeningKey.of(a, k);
            long sealed = a.sealedLength(plaintext.length);
            // destination offset from the ciphertext's start; Long.MIN_VALUE: memory apart, 16 bytes longer
            long[] offsets = {0, 1, -1, plaintext.length - 8, Long.MIN_VALUE};
            for (long offset : offsets) {
                MemorySegment buffer = arena.allocate(sealed + 2 * plaintext.length);
                MemorySegment ciphertext = buffer.asSlice(plaintext.length, sealed);
                UsedNonce nonce = sealing.seal(sealing.nonceSequence().next(), offHeap(arena, plaintext), NO_AAD,
                        ciphertext);
                boolean apart = offset == Long.MIN_VALUE;
                MemorySegment destination = apart ? arena.allocate(plaintext.length + 16).fill((byte) 0x3c)
                        : buffer.asSlice(plaintext.length + offset, plaintext.length);
                List<FreeLog.Freed> freed;
                try (FreeLog log = FreeLog.start()) {
                    assertEquals(plaintext.length, opening.open(nonce, ciphertext, NO_AAD, destination));
                    freed = log.all();
                }
                String what = a + " at offset " + offset;
                assertArrayEquals(plaintext, bytes(destination.asSlice(0, plaintext.length)), what);
                if (apart) {
                    assertEquals(-1, destination.asSlice(plaintext.length).mismatch(
                            arena.allocate(16).fill((byte) 0x3c)), what + ": the tail was written");
                }
                boolean direct = apartPossible && (offset == 0 || apart);
                assertEquals(!direct, freed.stream().anyMatch(f -> f.size() >= plaintext.length
                        && f.size() < plaintext.length + 64), what + ": " + freed);
            }
            // The wire form opened onto itself: the destination covers the nonce, so scratch memory.
            MemorySegment wire = arena.allocate(a.wireLength(plaintext.length));
            sealing.sealToWire(offHeap(arena, plaintext), NO_AAD, wire);
            assertEquals(plaintext.length, opening.openWire(wire, NO_AAD, wire));
            assertArrayEquals(plaintext, bytes(wire.asSlice(0, plaintext.length)), a + " wire in place");
        }
    }
}
