package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.crypto.Vectors.Vector;
import dev.hardmem.crypto.Vectors.VectorNonce;
import dev.hardmem.nonce.UsedNonce;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import javax.crypto.AEADBadTagException;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static dev.hardmem.crypto.Vectors.bytes;
import static dev.hardmem.crypto.Vectors.key;
import static dev.hardmem.crypto.Vectors.offHeap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The published vectors through the public API, byte for byte: sealing with a test-only sequence that yields the
 * vector's nonce, in both output forms; opening the published bytes in both forms. Plaintexts live in a
 * {@link SecretArena}.
 */
class AeadKnownAnswerTest {
    static List<Vector> vectors() {
        return List.of(Vectors.XCHACHA_A31, Vectors.RFC8439_282, Vectors.GCM_16);
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void sealGivesThePublishedCiphertextAndTag(Vector v) {
        AeadAssume.runs(v.algorithm());
        try (Secret<SecretKind.Key> k = key(v.key()); SecretArena arena = SecretArena.ofConfined()) {
            AeadSealingKey sealing = AeadSealingKey.of(v.algorithm(), k, new VectorNonce(v.nonce()));
            MemorySegment out = arena.allocate(v.algorithm().sealedLength(v.plaintext().length));
            UsedNonce used = sealing.seal(sealing.nonceSequence().next(), offHeap(arena, v.plaintext()),
                    MemorySegment.ofArray(v.aad()), out);
            assertArrayEquals(v.nonce(), used.bytes());
            assertArrayEquals(v.sealed(), bytes(out));
        }
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void sealToWireGivesTheNonceThenThePublishedCiphertextAndTag(Vector v) {
        AeadAssume.runs(v.algorithm());
        try (Secret<SecretKind.Key> k = key(v.key()); SecretArena arena = SecretArena.ofConfined()) {
            AeadSealingKey sealing = AeadSealingKey.of(v.algorithm(), k, new VectorNonce(v.nonce()));
            MemorySegment out = arena.allocate(v.algorithm().wireLength(v.plaintext().length));
            long n = sealing.sealToWire(offHeap(arena, v.plaintext()), offHeap(arena, v.aad()), out);
            assertEquals(v.wire().length, n);
            assertArrayEquals(v.wire(), bytes(out));
        }
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void openGivesThePublishedPlaintextInBothForms(Vector v) throws AEADBadTagException {
        AeadAssume.runs(v.algorithm());
        try (Secret<SecretKind.Key> k = key(v.key()); SecretArena arena = SecretArena.ofConfined()) {
            AeadOpeningKey opening = AeadOpeningKey.of(v.algorithm(), k);
            MemorySegment out = arena.allocate(v.plaintext().length);
            assertEquals(v.plaintext().length, opening.open(UsedNonce.fromWire(v.nonce()),
                    MemorySegment.ofArray(v.sealed()), MemorySegment.ofArray(v.aad()), out));
            assertArrayEquals(v.plaintext(), bytes(out));
            out.fill((byte) 0);
            assertEquals(v.plaintext().length, opening.openWire(offHeap(arena, v.wire()), offHeap(arena, v.aad()),
                    out));
            assertArrayEquals(v.plaintext(), bytes(out));
        }
    }
}
