package dev.hardmem.crypto;

import dev.hardmem.ConstantTime;
import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In a JVM where libsodium cannot be loaded ({@code -Ddev.hardmem.libsodium=/nonexistent}), every entry point of
 * the key derivation and password hashing refuses with {@link UnsupportedOperationException} naming the package to
 * install, and what needs no libsodium (secrets, {@code ConstantTime}) keeps working.
 */
class MissingLibsodiumKdfTest {
    /** Each call, by name. */
    private static Map<String, Runnable> calls(Secret<SecretKind.Key> key, Secret<SecretKind.Password> pw,
                                               MemorySegment out) {
        MemorySegment none = MemorySegment.ofArray(new byte[0]);
        MemorySegment salt = MemorySegment.ofArray(new byte[16]);
        Map<String, Runnable> m = new LinkedHashMap<>();
        m.put("Hkdf.extract", () -> Hkdf.SHA256.extract(none, key));
        m.put("Hkdf.expand", () -> Hkdf.SHA256.expand(key, none, out));
        m.put("Hkdf.expand to a secret", () -> Hkdf.SHA512.expand(key, none, SecretKind.Key.class, 32));
        m.put("Hkdf.derive", () -> Hkdf.SHA256.derive(key, none, none, out));
        m.put("Hkdf.derive to a secret", () -> Hkdf.SHA256.derive(key, none, none, SecretKind.Key.class, 32));
        m.put("Blake2b.mac", () -> Blake2b.mac(key, none, out));
        m.put("Blake2b.verify", () -> Blake2b.verify(key, none, out));
        m.put("Blake2b.derive", () -> Blake2b.derive(key, none, out));
        m.put("Blake2b.derive to a secret", () -> Blake2b.derive(key, none, SecretKind.Key.class, 32));
        m.put("Argon2id.of", () -> Argon2id.of(2, 1 << 20));
        m.put("Argon2id.deriveKey", () -> Argon2id.INTERACTIVE.deriveKey(pw, salt, out));
        m.put("Argon2id.deriveKey to a secret", () -> Argon2id.INTERACTIVE.deriveKey(pw, salt,
                SecretKind.Key.class, 32));
        m.put("Argon2id.hash", () -> Argon2id.INTERACTIVE.hash(pw));
        m.put("Argon2id.verify", () -> Argon2id.verify("$argon2id$v=19$m=256,t=3,p=1$MDEyMzQ1Njc"
                + "$G5ajKFCoUzaXRLdz7UJb5wGkb2Xt+X5/GQjUYtS2+TE", pw));
        m.put("Argon2id.needsRehash", () -> Argon2id.INTERACTIVE.needsRehash("$argon2id$v=19$m=256,t=3,p=1$x$y"));
        return m;
    }

    /** The child: prints one line per call, {@code name: ExceptionClass: message}, then whether the rest works. */
    public static final class Child {
        public static void main(String[] args) {
            try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32);
                 Secret<SecretKind.Password> pw = Secret.fromCharsWiping(SecretKind.Password.class,
                         "password".toCharArray());
                 SecretArena arena = SecretArena.ofConfined()) {
                MemorySegment out = arena.allocate(32);
                calls(key, pw, out).forEach((name, call) -> {
                    try {
                        call.run();
                        System.out.println(name + ": returned");
                    } catch (RuntimeException e) {
                        System.out.println(name + ": " + e.getClass().getName() + ": " + e.getMessage());
                    }
                });
                System.out.println("ConstantTime: " + ConstantTime.equals(key, key));
            }
        }
    }

    @Test
    void everyEntryPointRefusesNamingThePackageAndTheRestWorks() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Ddev.hardmem.libsodium=/nonexistent"), Child.class);
        assertEquals(0, r.exitCode(), r.output());
        List<String> lines = r.stdout().lines().toList();
        int n = calls(null, null, null).size();
        assertEquals(n + 1, lines.size(), r.output());
        for (String line : lines.subList(0, n)) {
            assertTrue(line.contains(": java.lang.UnsupportedOperationException: hardmem's native crypto"
                    + " (dev.hardmem.crypto) and sealed secrets (dev.hardmem.sealed) need libsodium") && line.contains("apt-get install libsodium23")
                    && line.contains("/nonexistent"), line);
        }
        assertEquals("ConstantTime: true", lines.get(n));
    }
}
