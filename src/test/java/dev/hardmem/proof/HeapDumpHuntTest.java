package dev.hardmem.proof;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.hardmem.ConstantTime;
import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.testing.Hunt;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import javax.crypto.AEADBadTagException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM makes secrets of every kind from random 32-byte patterns, uses them through the public API, then
 * dumps its whole heap (dead objects included) with {@code HotSpotDiagnosticMXBean.dumpHeap}. The dump is
 * searched for every pattern: none may be there. Control: a pattern kept in a plain {@code byte[]} is found.
 */
class HeapDumpHuntTest {

    /** Child: prints {@code name=hex} for each pattern, then {@code dump=path}. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Path dump = Path.of(args[0]);
            Map<String, String> patterns = new LinkedHashMap<>();
            SecureRandom rng = new SecureRandom();

            Secret<SecretKind.Key> random = Secret.random(SecretKind.Key.class, 32);
            patterns.put("Secret.random", random.read(Hunt::hex32));

            byte[] bytes = new byte[32];
            rng.nextBytes(bytes);
            patterns.put("Secret.fromBytesWiping", HexFormat.of().formatHex(bytes));
            Secret<SecretKind.Key> fromBytes = Secret.fromBytesWiping(SecretKind.Key.class, bytes);

            char[] chars = new char[32];
            for (int i = 0; i < chars.length; i++) {
                chars[i] = (char) ('!' + rng.nextInt(94));
            }
            // The secret holds the UTF-8 bytes; for ASCII they equal the chars. The char[] (UTF-16) is hunted too.
            StringBuilder utf8 = new StringBuilder();
            StringBuilder utf16 = new StringBuilder();
            for (char c : chars) {
                utf8.append(String.format("%02x", (int) c));
                utf16.append(String.format("%02x00", (int) c));
            }
            patterns.put("Secret.fromCharsWiping (UTF-8)", utf8.toString());
            patterns.put("Secret.fromCharsWiping (the char[], UTF-16)", utf16.toString());
            Secret<SecretKind.Password> fromChars = Secret.fromCharsWiping(SecretKind.Password.class, chars);

            // A stream with no buffer of its own: its bytes come from a generator, one at a time.
            long seed = rng.nextLong();
            SplittableRandom gen = new SplittableRandom(seed);
            StringBuilder streamHex = new StringBuilder();
            for (int i = 0; i < 32; i++) {
                streamHex.append(String.format("%02x", gen.nextInt(256)));
            }
            patterns.put("Secret.readFrom(InputStream)", streamHex.toString());
            SplittableRandom replay = new SplittableRandom(seed);
            int[] left = {32};
            InputStream in = new InputStream() {
                @Override
                public int read() {
                    return left[0]-- > 0 ? replay.nextInt(256) : -1;
                }
            };
            Secret<SecretKind.Seed> fromStream = Secret.readFrom(SecretKind.Seed.class, in, 64);

            // Use them through the API: read, write, contentEquals.
            Secret<SecretKind.Key> copy = Secret.withContents(SecretKind.Key.class, 32,
                    dst -> random.read(src -> {
                        dst.copyFrom(src);
                        return null;
                    }));
            if (!random.contentEquals(copy) || fromBytes.contentEquals(random)) {
                throw new AssertionError("contentEquals");
            }
            fromStream.write(s -> s.set(ValueLayout.JAVA_BYTE, 31, s.get(ValueLayout.JAVA_BYTE, 31)));

            // Arena segments, allocated, filled from the kernel, and closed (a closed one must leave nothing).
            SecretArena open = SecretArena.ofConfined();
            MemorySegment live = open.allocate(32);
            Libc.getrandom(live);
            patterns.put("SecretArena segment (open)", Hunt.hex32(live));
            try (SecretArena closed = SecretArena.ofShared()) {
                MemorySegment s = closed.allocate(32);
                Libc.getrandom(s);
                patterns.put("SecretArena segment (closed)", Hunt.hex32(s));
            }

            // AEAD with the key in a Secret: seal one plaintext, seal and open another (ChaCha20-Poly1305).
            Secret<SecretKind.Key> aeadKey = Secret.random(SecretKind.Key.class, 32);
            patterns.put("AEAD key in a Secret", aeadKey.read(Hunt::hex32));
            SealingKey sealing = SealingKey.of(Algorithm.CHACHA20_POLY1305, aeadKey);
            OpeningKey opening = OpeningKey.of(Algorithm.CHACHA20_POLY1305, aeadKey);
            SecretArena texts = SecretArena.ofConfined();
            MemorySegment sealedOnly = texts.allocate(32);
            Libc.getrandom(sealedOnly);
            patterns.put("AEAD plaintext, sealed", Hunt.hex32(sealedOnly));
            sealing.seal(sealedOnly, MemorySegment.ofArray(new byte[] {1, 2, 3}));
            MemorySegment roundTrip = texts.allocate(32);
            Libc.getrandom(roundTrip);
            patterns.put(JDK_DECRYPT_COPY, Hunt.hex32(roundTrip));
            Sealed sealed = sealing.seal(roundTrip, MemorySegment.NULL);
            MemorySegment back = texts.allocate(32);
            opening.open(sealed.nonce(), MemorySegment.ofArray(sealed.ciphertext()), MemorySegment.NULL, back);
            if (!ConstantTime.equals(back, roundTrip)) {
                throw new AssertionError("round trip");
            }

            // AES-256-GCM with a key of its own: seal only; seal and open; seal, then opens that fail (a flipped tag,
            // other AAD). And the same failed opens with ChaCha20-Poly1305.
            Secret<SecretKind.Key> aesKey = Secret.random(SecretKind.Key.class, 32);
            patterns.put("AES-256-GCM key in a Secret", aesKey.read(Hunt::hex32));
            SealingKey aesSealing = SealingKey.of(Algorithm.AES_256_GCM, aesKey);
            OpeningKey aesOpening = OpeningKey.of(Algorithm.AES_256_GCM, aesKey);
            MemorySegment aesSealedOnly = texts.allocate(32);
            Libc.getrandom(aesSealedOnly);
            patterns.put("AES-256-GCM plaintext, sealed", Hunt.hex32(aesSealedOnly));
            aesSealing.seal(aesSealedOnly, MemorySegment.NULL);
            MemorySegment aesRoundTrip = texts.allocate(32);
            Libc.getrandom(aesRoundTrip);
            patterns.put(JDK_GCM_OPEN, Hunt.hex32(aesRoundTrip));
            Sealed aesSealed = aesSealing.seal(aesRoundTrip, MemorySegment.NULL);
            aesOpening.open(aesSealed.nonce(), MemorySegment.ofArray(aesSealed.ciphertext()), MemorySegment.NULL,
                    back);
            if (!ConstantTime.equals(back, aesRoundTrip)) {
                throw new AssertionError("AES-256-GCM round trip");
            }
            failedOpens(JDK_GCM_FAILED_OPEN, aesSealing, aesOpening, texts, back, patterns);
            failedOpens(CHACHA_FAILED_OPEN, sealing, opening, texts, back, patterns);

            byte[] control = new byte[32];
            rng.nextBytes(control);
            patterns.put("control", HexFormat.of().formatHex(control));

            Hunt.dumpHeap(dump.toString()); // dead objects too
            StringBuilder out = new StringBuilder();
            patterns.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
            System.out.print(out);
            System.out.println(List.of(random, fromBytes, fromChars, fromStream, copy, open, control, texts,
                    aeadKey, aesKey).size());
        }

        /**
         * Seals two plaintexts, then opens each with something changed: the last bit of the tag, then the AAD. Both
         * opens must fail and leave {@code destination} as it was.
         */
        private static void failedOpens(String name, SealingKey sealing, OpeningKey opening, SecretArena texts,
                                        MemorySegment destination, Map<String, String> patterns) {
            byte[] aad = {1, 2, 3};
            MemorySegment before = texts.allocate(destination.byteSize()).copyFrom(destination);
            for (String change : new String[] {FLIPPED_TAG, OTHER_AAD}) {
                MemorySegment plaintext = texts.allocate(32);
                Libc.getrandom(plaintext);
                patterns.put(name + change, Hunt.hex32(plaintext));
                Sealed sealed = sealing.seal(plaintext, MemorySegment.ofArray(aad));
                byte[] ciphertext = sealed.ciphertext();
                byte[] otherAad = aad.clone();
                if (change.equals(FLIPPED_TAG)) {
                    ciphertext[ciphertext.length - 1] ^= 1;
                } else {
                    otherAad[0] ^= 1;
                }
                try {
                    opening.open(sealed.nonce(), MemorySegment.ofArray(ciphertext), MemorySegment.ofArray(otherAad),
                            destination);
                    throw new AssertionError(name + change + ": the open did not fail");
                } catch (AEADBadTagException expected) {
                    if (!ConstantTime.equals(before, destination)) {
                        throw new AssertionError(name + change + ": the failed open wrote to the destination");
                    }
                }
            }
        }

    }

    /**
     * The one pattern a dump does hold, and why: on JDK 25, SunJCE's ChaCha20-Poly1305 decryption copies the
     * ciphertext into a heap array of its own and decrypts it there, so the plaintext of every {@code open} stays
     * on the heap, unwiped, until the garbage collector reuses that memory. No {@code Cipher} API avoids it;
     * {@code docs/nonces.md} ("What JCA copies") and {@code docs/guarantees.md} say so. If this pattern stops being
     * found, the JDK changed: update those pages.
     */
    static final String JDK_DECRYPT_COPY = "AEAD plaintext, sealed then opened (SunJCE ChaCha20 decrypt copy)";

    /**
     * SunJCE's AES-GCM decryption of a direct buffer passes the plaintext through temporary heap arrays, which it
     * does not wipe: a short plaintext (this one has 32 bytes) is on the heap after every {@code open}.
     */
    static final String JDK_GCM_OPEN = "AES-256-GCM plaintext, sealed then opened (SunJCE GCM buffers)";

    /**
     * SunJCE's AES-GCM decrypts and authenticates in one pass and compares the tag at the end: an {@code open} that
     * fails has decrypted the whole message through the same temporary heap arrays as one that succeeds, so the
     * plaintext is on the heap after a failed open too. hardmem's own scratch memory and the destination hold
     * nothing of it.
     */
    static final String JDK_GCM_FAILED_OPEN = "AES-256-GCM plaintext, open failed (SunJCE GCM buffers)";

    /** SunJCE's ChaCha20-Poly1305 checks the tag before it decrypts: a failed open leaves no plaintext. */
    static final String CHACHA_FAILED_OPEN = "ChaCha20-Poly1305 plaintext, open failed";

    private static final String FLIPPED_TAG = ": a flipped tag bit";
    private static final String OTHER_AAD = ": other AAD";

    /** The patterns the dump holds, as the docs say; every other pattern but the control must be absent. */
    static final List<String> FOUND = List.of(JDK_DECRYPT_COPY, JDK_GCM_OPEN, JDK_GCM_FAILED_OPEN + FLIPPED_TAG,
            JDK_GCM_FAILED_OPEN + OTHER_AAD);

    /** The names of {@link #FOUND}'s constants, each of which docs/nonces.md and docs/guarantees.md name. */
    private static final List<String> FOUND_NAMES = List.of("JDK_DECRYPT_COPY", "JDK_GCM_OPEN",
            "JDK_GCM_FAILED_OPEN");

    /** What this test finds, the docs say: each pattern found on the heap is named in both pages. */
    @Test
    void everyPlaintextTheDumpHoldsIsNamedInTheDocs() throws Exception {
        for (Path doc : List.of(Path.of("docs/nonces.md"), Path.of("docs/guarantees.md"))) {
            String text = Files.readString(doc);
            for (String name : FOUND_NAMES) {
                assertTrue(text.contains("`" + name + "`"), doc + " does not name " + name);
            }
        }
    }

    @Test
    void noSecretPatternIsInTheHeapDumpButTheControlIs() throws Exception {
        Hunt.HeapHunt h = Hunt.heapOfChild(Holder.class);
        assertEquals(18, h.patterns().size(), h.child().output());
        assertTrue(h.patterns().keySet().containsAll(FOUND), h.child().output());
        assertTrue(h.found().get("control") > 0, "control: the byte[] pattern must be in the dump, or the hunt is"
                + " blind");
        for (String name : FOUND) {
            assertTrue(h.found().get(name) > 0, name + ": the JDK no longer leaves this plaintext on the heap:"
                    + " update docs/nonces.md and docs/guarantees.md");
        }
        h.assertNothingElseFound(Set.copyOf(FOUND));
    }
}
