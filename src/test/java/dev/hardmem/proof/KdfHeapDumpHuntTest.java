package dev.hardmem.proof;

import dev.hardmem.ConstantTime;
import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.crypto.Argon2id;
import dev.hardmem.crypto.Blake2b;
import dev.hardmem.crypto.Hkdf;
import dev.hardmem.testing.Hunt;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM derives keys with HKDF (both hashes, into secrets and into arena segments), keyed BLAKE2b and
 * Argon2id (a key, a verifier string, a verification), then dumps its whole heap, dead objects included. No input
 * key, pseudorandom key, password or derived key may be in it. Control: a pattern kept in a plain {@code byte[]}
 * is found.
 */
class KdfHeapDumpHuntTest {

    /** Child: prints {@code name=hex} for each 32-byte pattern, after the dump. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Path dump = Path.of(args[0]);
            Map<String, String> patterns = new LinkedHashMap<>();
            SecureRandom rng = new SecureRandom();
            MemorySegment salt = MemorySegment.ofArray(new byte[] {1, 2, 3});
            MemorySegment info = MemorySegment.ofArray("hunt".getBytes(StandardCharsets.US_ASCII));
            SecretArena arena = SecretArena.ofConfined();

            Secret<SecretKind.Seed> ikm = Secret.random(SecretKind.Seed.class, 32);
            patterns.put("HKDF input keying material", ikm.read(Hunt::hex32));
            for (Hkdf h : Hkdf.values()) {
                Secret<SecretKind.Key> prk = h.extract(salt, ikm);
                patterns.put(h + " pseudorandom key (also made inside derive)", prk.read(Hunt::hex32));
                Secret<SecretKind.Key> derived = h.derive(ikm, salt, info, SecretKind.Key.class, 32);
                patterns.put(h + " key derived into a secret", derived.read(Hunt::hex32));
                MemorySegment into = arena.allocate(32);
                h.expand(prk, MemorySegment.ofArray(new byte[] {9}), into);
                patterns.put(h + " key expanded into an arena", Hunt.hex32(into));
                MemorySegment blocks = arena.allocate(3L * h.hashLength());
                h.derive(ikm, salt, info, blocks);
                patterns.put(h + " third output block", Hunt.hex32(blocks.asSlice(2L * h.hashLength())));
                prk.close();
                derived.close();
            }

            Secret<SecretKind.Key> macKey = Secret.random(SecretKind.Key.class, 32);
            patterns.put("BLAKE2b key", macKey.read(Hunt::hex32));
            Secret<SecretKind.Key> subkey = Blake2b.derive(macKey, info, SecretKind.Key.class, 32);
            patterns.put("BLAKE2b derived key", subkey.read(Hunt::hex32));
            // A message other than the derivation's context: mac and derive are the same function, so a tag of the
            // context would be the derived key, on the heap.
            MemorySegment message = MemorySegment.ofArray(new byte[] {4, 5, 6});
            byte[] tag = new byte[32];
            Blake2b.mac(macKey, message, MemorySegment.ofArray(tag));
            if (!Blake2b.verify(macKey, message, MemorySegment.ofArray(tag))) {
                throw new AssertionError("BLAKE2b verify");
            }

            char[] typed = new char[32];
            for (int i = 0; i < typed.length; i++) {
                typed[i] = (char) ('!' + rng.nextInt(94));
            }
            Secret<SecretKind.Password> password = Secret.fromCharsWiping(SecretKind.Password.class, typed);
            patterns.put("Argon2id password (UTF-8)", password.read(Hunt::hex32));
            Argon2id argon2 = Argon2id.of(2, 1 << 20);
            Secret<SecretKind.Key> fromPassword = argon2.deriveKey(password, MemorySegment.ofArray(new byte[16]),
                    SecretKind.Key.class, 32);
            patterns.put("Argon2id derived key", fromPassword.read(Hunt::hex32));
            MemorySegment keyInto = arena.allocate(32);
            argon2.deriveKey(password, MemorySegment.ofArray(new byte[16]), keyInto);
            String stored = argon2.hash(password);
            if (!Argon2id.verify(stored, password) || !ConstantTime.equals(fromPassword, keyInto)) {
                throw new AssertionError("Argon2id");
            }

            byte[] control = new byte[32];
            rng.nextBytes(control);
            patterns.put("control", HexFormat.of().formatHex(control));

            Hunt.dumpHeap(dump.toString()); // dead objects too
            StringBuilder out = new StringBuilder();
            patterns.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
            System.out.print(out);
            System.out.println(List.of(ikm, macKey, subkey, password, fromPassword, arena, control).size());
        }
    }

    @Test
    void noKeyPasswordOrIntermediateIsInTheHeapDumpButTheControlIs() throws Exception {
        Hunt.HeapHunt h = Hunt.heapOfChild(Holder.class);
        assertEquals(14, h.patterns().size(), h.child().output());
        assertTrue(h.found().get("control") > 0, "control: the byte[] pattern must be in the dump, or the hunt is"
                + " blind");
        h.assertNothingElseFound(Set.of());
    }
}
