package dev.hardmem.bench;

import dev.hardmem.aead.Algorithm;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;

/**
 * The AEAD baseline: what code written against plain JCA does, given the best case. The key is a
 * {@link SecretKeySpec} on the Java heap, made once; one {@link Cipher} is made once and initialised again for every
 * message (JCA allows that, and it is far cheaper than {@code Cipher.getInstance} per message); plaintext,
 * ciphertext and output are {@code byte[]}s allocated once. A seal takes a fresh nonce, as it must (SunJCE refuses to
 * encrypt twice with one key and nonce): a 64-bit big-endian counter after 4 zero bytes, the cheapest fresh nonce
 * there is, with none of the checks of a {@code NonceSequence}.
 */
final class PlainJca {
    private static final VarHandle COUNTER = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final int TAG_BITS = 128;

    private final Cipher cipher;
    private final SecretKeySpec key;
    private final boolean gcm;
    private final byte[] nonce = new byte[12];
    private long counter;

    PlainJca(Algorithm algorithm, byte[] key) throws GeneralSecurityException {
        this.cipher = Cipher.getInstance(algorithm.jcaName());
        this.key = new SecretKeySpec(key, algorithm == Algorithm.AES_256_GCM ? "AES" : "ChaCha20");
        this.gcm = algorithm == Algorithm.AES_256_GCM;
    }

    private AlgorithmParameterSpec spec(byte[] n) {
        return gcm ? new GCMParameterSpec(TAG_BITS, n) : new IvParameterSpec(n);
    }

    /** {@return the nonce the last {@link #seal} used, a copy} */
    byte[] lastNonce() {
        return nonce.clone();
    }

    /** Seals {@code length} bytes of {@code plaintext} into {@code out} with a fresh nonce; returns the bytes written. */
    int seal(byte[] plaintext, int length, byte[] out) throws GeneralSecurityException {
        COUNTER.set(nonce, 4, ++counter);
        cipher.init(Cipher.ENCRYPT_MODE, key, spec(nonce));
        return cipher.doFinal(plaintext, 0, length, out, 0);
    }

    /**
     * Opens {@code ciphertext} (ciphertext and tag) sealed with {@code n} into {@code out}; returns the bytes written.
     *
     * @throws AEADBadTagException if it does not verify
     */
    int open(byte[] n, byte[] ciphertext, byte[] out) throws GeneralSecurityException {
        cipher.init(Cipher.DECRYPT_MODE, key, spec(n));
        return cipher.doFinal(ciphertext, 0, ciphertext.length, out, 0);
    }
}
