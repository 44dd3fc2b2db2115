package dev.hardmem.proof;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.KeyLoan;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.Hkdf25;
import dev.hardmem.testing.Hunt;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a heap dump holds after keys were lent to the JDK's providers through {@link KeyLoan}: HMAC-SHA256 through
 * {@code Mac}, HKDF-SHA256 through {@code KDF}, AES-GCM through {@code Cipher}, each with the provider object
 * dropped as it is and (for {@code Mac} and {@code Cipher}) initialised again with an all-zero key before the loan
 * ends. A child JVM does the work with one secret per case, dumps its whole heap (unreachable objects included;
 * no garbage collection may run before it), and only then prints the patterns to hunt for: the raw key and what
 * the provider derives from it. Every pattern must be found, or not, as {@link #EXPECTED} says;
 * the control (the same key through plain JCA, the caller's own array wiped at once) must be found, or the hunt is
 * blind. {@code docs/jca-loans.md} names every pattern found.
 */
class JcaLoanHuntTest {
    private static final int ROUNDS = 20;

    /** Child: does the work, dumps the heap to {@code args[0]}, then prints {@code name=hex} per pattern. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Path dump = Path.of(args[0]);
            byte[] message = new byte[100];
            byte[] salt = "hardmem salt".getBytes();
            byte[] info = "hardmem info".getBytes();
            try (Secret<SecretKind.Key> hmacDropped = Secret.random(SecretKind.Key.class, 32);
                 Secret<SecretKind.Key> hmacScrubbed = Secret.random(SecretKind.Key.class, 32);
                 Secret<SecretKind.Seed> ikm = Secret.random(SecretKind.Seed.class, 32);
                 Secret<SecretKind.Key> aesDropped = Secret.random(SecretKind.Key.class, 32);
                 Secret<SecretKind.Key> aesScrubbed = Secret.random(SecretKind.Key.class, 32);
                 Secret<SecretKind.Key> control = Secret.random(SecretKind.Key.class, 32)) {
                for (int i = 0; i < ROUNDS; i++) {
                    hmac(hmacDropped, message, false);
                    hmac(hmacScrubbed, message, true);
                    if (Hkdf25.available()) {
                        Secret<SecretKind.Key> okm = KeyLoan.lend(ikm, "HKDF-SHA256", k -> Secret.fromBytesWiping(
                                SecretKind.Key.class, Hkdf25.deriveData("HKDF-SHA256", k, salt, info, 32)));
                        okm.close();
                    }
                    gcm(aesDropped, i, false);
                    gcm(aesScrubbed, i, true);
                    // The control: HMAC-SHA256 through plain JCA, with the caller's own array wiped at once.
                    byte[] raw = control.insecureCopyToHeap();
                    SecretKeySpec spec = new SecretKeySpec(raw, "HmacSHA256");
                    java.util.Arrays.fill(raw, (byte) 0);
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init(spec);
                    mac.doFinal(message);
                }
                long collections = 0;
                for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                    collections += gc.getCollectionCount();
                }
                Hunt.dumpHeap(dump.toString());

                // Only now are the keys copied to the heap, to know what to search for.
                Map<String, byte[]> p = new LinkedHashMap<>();
                keyPatterns(p, HMAC_DROPPED, hmacDropped.insecureCopyToHeap());
                keyPatterns(p, HMAC_SCRUBBED, hmacScrubbed.insecureCopyToHeap());
                if (Hkdf25.available()) {
                    hkdfPatterns(p, ikm.insecureCopyToHeap(), salt, info);
                }
                aesPatterns(p, AES_DROPPED, aesDropped.insecureCopyToHeap());
                aesPatterns(p, AES_SCRUBBED, aesScrubbed.insecureCopyToHeap());
                keyPatterns(p, CONTROL, control.insecureCopyToHeap());
                p.forEach((k, v) -> System.out.println(k + "=" + HexFormat.of().formatHex(v)));
                System.out.println("collections " + collections);
            }
        }

        private static void hmac(Secret<SecretKind.Key> key, byte[] message, boolean scrub) throws Exception {
            KeyLoan.lend(key, "HmacSHA256", k -> {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(k);
                byte[] tag = mac.doFinal(message);
                if (scrub) {
                    mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
                }
                return tag;
            });
        }

        private static void gcm(Secret<SecretKind.Key> key, int round, boolean scrub) throws Exception {
            byte[] nonce = new byte[12];
            nonce[0] = (byte) round;
            KeyLoan.lend(key, "AES", k -> {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
                byte[] out = c.doFinal(new byte[64]);
                if (scrub) {
                    byte[] other = nonce.clone();
                    other[11] ^= 1;
                    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(new byte[32], "AES"),
                            new GCMParameterSpec(128, other));
                }
                return out;
            });
        }

        /** HKDF-SHA256 (RFC 5869) by hand, one block of output: the IKM, the PRK and what HMAC keeps of it, OKM. */
        private static void hkdfPatterns(Map<String, byte[]> p, byte[] ikm, byte[] salt, byte[] info)
                throws Exception {
            p.put(HKDF_IKM, ikm);
            Mac extract = Mac.getInstance("HmacSHA256");
            extract.init(new SecretKeySpec(salt, "HmacSHA256"));
            byte[] prk = extract.doFinal(ikm);
            p.put(HKDF_PRK, prk);
            p.put(HKDF_PRK_IPAD, xor(prk, 0x36));
            p.put(HKDF_PRK_OPAD, xor(prk, 0x5c));
            Mac expand = Mac.getInstance("HmacSHA256");
            expand.init(new SecretKeySpec(prk, "HmacSHA256"));
            expand.update(info);
            expand.update((byte) 1);
            p.put(HKDF_OKM, expand.doFinal());
        }

        /**
         * The key, which is also the first AES round keys: SunJCE keeps them as big-endian words in an
         * {@code int[]}, and a heap dump writes every value big-endian. And the GHASH subkey H = AES_K(0^128).
         */
        private static void aesPatterns(Map<String, byte[]> p, String name, byte[] key) throws Exception {
            p.put(name + KEY_OR_ROUND_KEYS, key);
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            p.put(name + GHASH_H, ecb.doFinal(new byte[16]));
        }

        private static void keyPatterns(Map<String, byte[]> p, String name, byte[] key) {
            p.put(name + KEY, key);
            p.put(name + IPAD, xor(key, 0x36));
            p.put(name + OPAD, xor(key, 0x5c));
        }

        private static byte[] xor(byte[] b, int x) {
            byte[] r = new byte[b.length];
            for (int i = 0; i < b.length; i++) {
                r[i] = (byte) (b[i] ^ x);
            }
            return r;
        }
    }

    static final String HMAC_DROPPED = "HMAC-SHA256 through Mac, the Mac dropped";
    static final String HMAC_SCRUBBED = "HMAC-SHA256 through Mac, initialised again with a zero key";
    static final String AES_DROPPED = "AES-GCM through Cipher, the Cipher dropped";
    static final String AES_SCRUBBED = "AES-GCM through Cipher, initialised again with a zero key";
    static final String CONTROL = "control: HMAC-SHA256 through plain JCA (SecretKeySpec)";
    static final String KEY = ": the key";
    static final String IPAD = ": key ^ 0x36 (HMAC k_ipad)";
    static final String OPAD = ": key ^ 0x5c (HMAC k_opad)";
    static final String KEY_OR_ROUND_KEYS = ": the key (or the first round keys)";
    static final String GHASH_H = ": GHASH subkey H";
    private static final String HKDF = "HKDF-SHA256 through KDF.deriveData";
    static final String HKDF_IKM = HKDF + ": IKM (the lent key)";
    static final String HKDF_PRK = HKDF + ": PRK";
    static final String HKDF_PRK_IPAD = HKDF + ": PRK ^ 0x36 (HMAC k_ipad)";
    static final String HKDF_PRK_OPAD = HKDF + ": PRK ^ 0x5c (HMAC k_opad)";
    static final String HKDF_OKM = HKDF + ": OKM (the output)";

    /** Every pattern, in the child's order; those with {@code true} are on the heap, the others must not be. */
    static final Map<String, Boolean> EXPECTED = expected();

    private static Map<String, Boolean> expected() {
        Map<String, Boolean> e = new LinkedHashMap<>();
        e.put(HMAC_DROPPED + KEY, false);
        e.put(HMAC_DROPPED + IPAD, true);
        e.put(HMAC_DROPPED + OPAD, true);
        e.put(HMAC_SCRUBBED + KEY, false);
        e.put(HMAC_SCRUBBED + IPAD, false);
        e.put(HMAC_SCRUBBED + OPAD, false);
        e.put(HKDF_IKM, false);
        e.put(HKDF_PRK, true);
        e.put(HKDF_PRK_IPAD, true);
        e.put(HKDF_PRK_OPAD, true);
        e.put(HKDF_OKM, true);
        e.put(AES_DROPPED + KEY_OR_ROUND_KEYS, true);
        e.put(AES_DROPPED + GHASH_H, true);
        e.put(AES_SCRUBBED + KEY_OR_ROUND_KEYS, false);
        e.put(AES_SCRUBBED + GHASH_H, true);
        e.put(CONTROL + KEY, true);
        e.put(CONTROL + IPAD, true);
        e.put(CONTROL + OPAD, true);
        return e;
    }

    /** docs/jca-loans.md has a row per pattern, in backticks, that says whether it is found or absent. */
    @Test
    void theDocsListWhatTheHuntFinds() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("docs/jca-loans.md"));
        for (Map.Entry<String, Boolean> e : EXPECTED.entrySet()) {
            List<String> rows = lines.stream().filter(l -> l.startsWith("| `" + e.getKey() + "` |")).toList();
            assertEquals(1, rows.size(), "docs/jca-loans.md has no row (or several) for " + e.getKey());
            String verdict = rows.get(0).substring(rows.get(0).lastIndexOf('|', rows.get(0).length() - 2));
            assertEquals(e.getValue() ? "| **found** |" : "| absent |", verdict.strip(), e.getKey());
        }
    }

    /** Every test docs/jca-loans.md names exists. */
    @Test
    void everyTestTheDocsNameExists() throws Exception {
        String doc = Files.readString(Path.of("docs/jca-loans.md"));
        Matcher m = Pattern.compile("`(\\w+Test)(?:#(\\w+))?`").matcher(doc);
        int found = 0;
        while (m.find()) {
            found++;
            Class<?> c = null;
            for (String pkg : List.of("dev.hardmem.", "dev.hardmem.aead.", "dev.hardmem.proof.")) {
                try {
                    c = Class.forName(pkg + m.group(1));
                } catch (ClassNotFoundException e) {
                    // try the next package
                }
            }
            assertTrue(c != null, "docs/jca-loans.md names a test class that does not exist: " + m.group());
            String method = m.group(2);
            assertTrue(method == null || Arrays.stream(c.getDeclaredMethods())
                    .anyMatch(x -> x.getName().equals(method)), "no such test: " + m.group());
        }
        assertTrue(found >= 5, "few test references found: " + found);
    }

    @Test
    void theHeapHoldsWhatTheDocsSayAndNothingElse() throws Exception {
        Path dir = Files.createTempDirectory("hardmem-loan");
        Path dump = dir.resolve("heap.hprof");
        try {
            ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx160m", "-Xmn128m", "-XX:+UseSerialGC"),
                    Holder.class, dump.toString());
            assertEquals(0, r.exitCode(), r.output());
            Map<String, byte[]> patterns = Hunt.patterns(r.stdout());
            assertTrue(r.stdout().contains("collections 0\n"), "a collection ran before the dump, which would"
                    + " have taken unreachable copies with it\n" + r.output());
            Map<String, Boolean> expected = new LinkedHashMap<>(EXPECTED);
            if (!Hkdf25.available()) {
                expected.keySet().removeIf(k -> k.startsWith(HKDF));
            }
            assertEquals(expected.keySet(), patterns.keySet(), r.output());
            Map<String, Long> found = Hunt.count(dump, patterns);
            found.forEach((k, v) -> System.out.println("JcaLoanHuntTest: " + v + " " + k));
            for (String control : List.of(CONTROL + KEY, CONTROL + IPAD)) {
                assertTrue(found.get(control) > 0, control + ": plain JCA's copies must be in the dump, or the hunt"
                        + " is blind");
            }
            expected.forEach((name, present) -> {
                if (present) {
                    assertTrue(found.get(name) > 0, name + ": the JDK no longer leaves this on the heap: update"
                            + " docs/jca-loans.md");
                } else {
                    assertEquals(0L, found.get(name), name + " was found in the heap dump");
                }
            });
        } finally {
            Files.deleteIfExists(dump);
            Files.deleteIfExists(dir);
        }
    }
}
