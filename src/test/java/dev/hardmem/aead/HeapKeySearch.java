package dev.hardmem.aead;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.nonce.UsedNonce;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Run in a child JVM by {@link JcaKeyCopyTest}: seals and opens with a key per algorithm through hardmem, does the
 * same with a control key through plain JCA, dumps the heap (unreachable objects included), and prints how often the
 * keys appear in it: as raw bytes, and as the first AES round keys (big-endian words, so byte-swapped per word on a
 * little-endian machine). Only then are the keys copied to the heap, to know what to search for.
 */
public final class HeapKeySearch {
    private HeapKeySearch() {
    }

    public static void main(String[] args) throws Exception {
        Path dump = Path.of(args[0]);
        MemorySegment none = MemorySegment.ofArray(new byte[0]);
        // One key per algorithm: a secret serves one algorithm.
        try (Secret<SecretKind.Key> chacha = Secret.random(SecretKind.Key.class, 32);
             Secret<SecretKind.Key> aes = Secret.random(SecretKind.Key.class, 32);
             Secret<SecretKind.Key> control = Secret.random(SecretKind.Key.class, 32);
             Arena arena = Arena.ofConfined()) {
            MemorySegment plaintext = arena.allocate(1000);
            MemorySegment out = arena.allocate(1000);
            for (Algorithm alg : Algorithm.values()) {
                Secret<SecretKind.Key> key = alg == Algorithm.AES_256_GCM ? aes : chacha;
                SealingKey sealing = SealingKey.of(alg, key);
                OpeningKey opening = OpeningKey.of(alg, key);
                for (int i = 0; i < 20; i++) {
                    Sealed s = sealing.seal(plaintext, none);
                    opening.open(s.nonce(), MemorySegment.ofArray(s.ciphertext()), none, out);
                }
                // The control: the same work through plain JCA, with the caller's own array wiped at once.
                for (int i = 0; i < 20; i++) {
                    byte[] k = control.insecureCopyToHeap();
                    SecretKeySpec spec = new SecretKeySpec(k, alg.keyAlgorithm());
                    Arrays.fill(k, (byte) 0);
                    byte[] nonce = Arrays.copyOf(new byte[] {(byte) i}, 12);
                    Cipher c = Cipher.getInstance(alg.jcaName());
                    c.init(Cipher.ENCRYPT_MODE, spec, alg == Algorithm.AES_256_GCM
                            ? new GCMParameterSpec(128, nonce) : new IvParameterSpec(nonce));
                    c.doFinal(plaintext.asByteBuffer(), MemorySegment.ofArray(new byte[1016]).asByteBuffer());
                }
            }
            UsedNonce.fromWire(new byte[1]); // keep the nonce classes loaded alike in both runs
            long collections = 0;
            for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                collections += gc.getCollectionCount();
            }
            Files.deleteIfExists(dump);
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(dump.toString(), false);
            byte[] heap = Files.readAllBytes(dump);
            Files.delete(dump);
            int raw = count(heap, chacha.insecureCopyToHeap()) + count(heap, aes.insecureCopyToHeap());
            System.out.println("key " + raw + " " + count(heap, swapWords(aes.insecureCopyToHeap())));
            System.out.println("control " + count(heap, control.insecureCopyToHeap()) + " "
                    + count(heap, swapWords(control.insecureCopyToHeap())));
            System.out.println("collections " + collections);
        }
    }

    private static byte[] swapWords(byte[] b) {
        byte[] s = new byte[b.length];
        for (int i = 0; i < b.length; i += 4) {
            for (int j = 0; j < 4; j++) {
                s[i + j] = b[i + 3 - j];
            }
        }
        return s;
    }

    /** {@return how many times the first 16 bytes of {@code needle} occur in {@code hay}} */
    static int count(byte[] hay, byte[] needle) {
        int n = 0;
        outer:
        for (int i = 0; i + 16 <= hay.length; i++) {
            for (int j = 0; j < 16; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            n++;
        }
        return n;
    }
}
