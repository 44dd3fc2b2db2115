package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;

/** Drives one JCA cipher operation with a key borrowed from a secret, and cleans up after it. */
final class Jca {
    private Jca() {
    }

    /** One operation on an initialised cipher. */
    interface Operation<T> {
        T run(Cipher cipher) throws GeneralSecurityException;
    }

    /**
     * Runs {@code operation} on a new cipher initialised with {@code key} and {@code nonce}. Afterwards, on every
     * path: the key bytes lent to the provider are wiped, then the cipher is initialised again with an all-zero
     * key, which makes SunJCE overwrite the state it derived from the real key (AES round keys, the ChaCha20
     * state and keystream) in place rather than leave it to the garbage collector.
     */
    static <T> T run(Algorithm algorithm, Secret<SecretKind.Key> key, int mode, byte[] nonce, Operation<T> operation)
            throws AEADBadTagException {
        return run(algorithm, key, new BorrowedKey(key, algorithm.keyAlgorithm()), mode, nonce, operation);
    }

    /** As above, with the JCA key given, so that a test can check it was destroyed. */
    static <T> T run(Algorithm algorithm, Secret<SecretKind.Key> key, BorrowedKey jcaKey, int mode, byte[] nonce,
                     Operation<T> operation) throws AEADBadTagException {
        Cipher cipher = null;
        try {
            cipher = Cipher.getInstance(algorithm.jcaName());
            cipher.init(mode, jcaKey, algorithm.parameters(nonce));
            return operation.run(cipher);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new UnsupportedOperationException(algorithm.displayName() + " (" + algorithm.jcaName()
                    + ") is not offered by any installed JCA provider", e);
        } catch (GeneralSecurityException e) {
            if (key.isDestroyed()) {
                throw new IllegalStateException("the key's secret was closed during the operation", e);
            }
            throw new ProviderException(algorithm.displayName() + ": the JCA provider failed: " + e, e);
        } finally {
            jcaKey.destroy();
            if (cipher != null) {
                scrub(cipher, algorithm, nonce);
            }
        }
    }

    private static void scrub(Cipher cipher, Algorithm algorithm, byte[] nonce) {
        // A nonce unlike the one just used: SunJCE's ChaCha20 refuses an init with the same key and nonce, and the
        // copy lent to it is all zeros by now. Decrypt mode, because GCM encryption refuses a repeated key and IV.
        byte[] other = nonce.clone();
        other[0] ^= 1;
        try {
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(new byte[algorithm.keyLength()],
                    algorithm.keyAlgorithm()), algorithm.parameters(other));
        } catch (GeneralSecurityException | RuntimeException e) {
            // Best effort: the operation's own outcome stands. The state stays in the cipher object, which nothing
            // references any more, until the garbage collector reuses its memory.
        }
    }
}
