package dev.hardmem.proof;

import dev.hardmem.ConstantTime;
import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.crypto.AeadOpeningKey;
import dev.hardmem.crypto.AeadSealingKey;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.testing.Hunt;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.AEADBadTagException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native AEAD path end to end on a real process: a child JVM seals, opens, and fails to open (a flipped tag,
 * other additional data) with every algorithm of {@code dev.hardmem.crypto} that runs here, keys and plaintexts
 * made from random patterns in guarded memory, in both wire forms; then it dumps its whole heap, dead objects
 * included. None of the key or plaintext patterns may be in the dump. Controls: a pattern kept in a plain
 * {@code byte[]} is found, and so is the plaintext of a ChaCha20-Poly1305 open through JCA in the same process,
 * which the JDK copies to the heap ({@code HeapDumpHuntTest#noSecretPatternIsInTheHeapDumpButTheControlIs}).
 */
class NativeAeadHeapHuntTest {
    static final String JCA_OPEN = "JCA ChaCha20-Poly1305 plaintext, opened (the JDK's copy: must be found)";

    /** Child: prints {@code name=hex} for each pattern. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Map<String, String> patterns = new LinkedHashMap<>();
            List<Object> keep = new ArrayList<>();
            SecretArena texts = SecretArena.ofConfined();
            keep.add(texts);
            for (AeadAlgorithm a : AeadAlgorithm.values()) {
                if (!a.isAvailable()) {
                    continue;
                }
                Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32);
                keep.add(key);
                patterns.put(a + " key", key.read(Hunt::hex32));
                AeadSealingKey sealing = AeadSealingKey.of(a, key);
                AeadOpeningKey opening = AeadOpeningKey.of(a, key);
                byte[] aad = {1, 2, 3};

                MemorySegment sealedOnly = random(texts, 32);
                patterns.put(a + " plaintext, sealed", Hunt.hex32(sealedOnly));
                sealing.sealToWire(sealedOnly, MemorySegment.ofArray(aad),
                        texts.allocate(a.wireLength(32)));

                for (int size : new int[] {32, 65_536}) {
                    MemorySegment plaintext = random(texts, size);
                    patterns.put(a + " plaintext of " + size + " bytes, sealed and opened (combined)",
                            Hunt.hex32(plaintext.asSlice(size - 32)));
                    MemorySegment sealed = texts.allocate(a.sealedLength(size));
                    var nonce = sealing.seal(sealing.nonceSequence().next(), plaintext, MemorySegment.ofArray(aad),
                            sealed);
                    MemorySegment back = texts.allocate(size);
                    opening.open(nonce, MemorySegment.ofArray(sealed.toArray(ValueLayout.JAVA_BYTE)),
                            MemorySegment.ofArray(aad), back);
                    check(ConstantTime.equals(back, plaintext), a + " round trip");
                }

                MemorySegment wired = random(texts, 32);
                patterns.put(a + " plaintext, sealed and opened (wire)", Hunt.hex32(wired));
                MemorySegment wire = texts.allocate(a.wireLength(32));
                sealing.sealToWire(wired, MemorySegment.ofArray(aad), wire);
                MemorySegment back = texts.allocate(32);
                opening.openWire(wire, MemorySegment.ofArray(aad), back);
                check(ConstantTime.equals(back, wired), a + " wire round trip");

                for (String change : new String[] {"a flipped tag bit", "other AAD"}) {
                    MemorySegment plaintext = random(texts, 32);
                    patterns.put(a + " plaintext, open failed: " + change, Hunt.hex32(plaintext));
                    MemorySegment w = texts.allocate(a.wireLength(32));
                    sealing.sealToWire(plaintext, MemorySegment.ofArray(aad), w);
                    byte[] otherAad = aad.clone();
                    if (change.startsWith("a flipped")) {
                        w.set(ValueLayout.JAVA_BYTE, w.byteSize() - 1,
                                (byte) (w.get(ValueLayout.JAVA_BYTE, w.byteSize() - 1) ^ 1));
                    } else {
                        otherAad[0] ^= 1;
                    }
                    MemorySegment destination = texts.allocate(32);
                    try {
                        opening.openWire(MemorySegment.ofArray(w.toArray(ValueLayout.JAVA_BYTE)),
                                MemorySegment.ofArray(otherAad), destination);
                        throw new AssertionError(a + ": the open did not fail");
                    } catch (AEADBadTagException expected) {
                        check(destination.mismatch(texts.allocate(32)) == -1, a + ": the failed open wrote");
                    }
                }
            }

            // The contrast, in the same process: JCA's ChaCha20-Poly1305 open leaves the plaintext on the heap.
            Secret<SecretKind.Key> jcaKey = Secret.random(SecretKind.Key.class, 32);
            keep.add(jcaKey);
            MemorySegment jcaPlaintext = random(texts, 32);
            patterns.put(JCA_OPEN, Hunt.hex32(jcaPlaintext));
            Sealed sealed = SealingKey.of(Algorithm.CHACHA20_POLY1305, jcaKey).seal(jcaPlaintext, MemorySegment.NULL);
            OpeningKey.of(Algorithm.CHACHA20_POLY1305, jcaKey).open(sealed.nonce(),
                    MemorySegment.ofArray(sealed.ciphertext()), MemorySegment.NULL, texts.allocate(32));

            byte[] control = new byte[32];
            new SecureRandom().nextBytes(control);
            patterns.put("control", HexFormat.of().formatHex(control));
            keep.add(control);

            Hunt.dumpHeap(args[0]);
            StringBuilder out = new StringBuilder();
            patterns.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
            System.out.print(out);
            System.out.println(keep.size());
        }

        private static MemorySegment random(SecretArena arena, int size) {
            MemorySegment s = arena.allocate(size);
            Libc.getrandom(s);
            return s;
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what);
            }
        }
    }

    @Test
    void noKeyOrPlaintextOfTheNativePathIsInTheHeapDumpButTheJcaCopyAndTheControlAre() throws Exception {
        Hunt.HeapHunt h = Hunt.heapOfChild(Holder.class);
        assertTrue(h.patterns().size() >= 2 + 8 * 2, "too few patterns: " + h.child().output());
        assertTrue(h.found().get("control") > 0, "control: the byte[] pattern must be in the dump");
        assertTrue(h.found().get(JCA_OPEN) > 0, "the JDK's ChaCha20-Poly1305 decrypt copy must be found: the hunt"
                + " sees plaintext that reaches the heap (else the JDK changed; see HeapDumpHuntTest)");
        h.assertNothingElseFound(Set.of(JCA_OPEN));
    }
}
