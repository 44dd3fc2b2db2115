package dev.hardmem.aead;

import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import java.security.spec.AlgorithmParameterSpec;

/**
 * The AEAD algorithms {@link SealingKey} and {@link OpeningKey} offer, run by the JDK's JCA provider. Both take a
 * 256-bit key and a 96-bit nonce, and append a 128-bit tag.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the lengths below are checked on every key, nonce and ciphertext before any JCA call. Not
 * guaranteed: anything about the JCA provider's implementation (constant time, copies it makes); see
 * {@link SealingKey} for the copies.
 */
public enum Algorithm {
    /** ChaCha20-Poly1305 as in RFC 8439; JCA name {@code ChaCha20-Poly1305} (JDK 11+). */
    CHACHA20_POLY1305("ChaCha20-Poly1305", "ChaCha20", "ChaCha20-Poly1305"),
    /** AES-256 in Galois/Counter Mode (NIST SP 800-38D) with a 96-bit nonce; JCA name {@code AES/GCM/NoPadding}. */
    AES_256_GCM("AES/GCM/NoPadding", "AES", "AES-256-GCM");

    private static final int KEY_LENGTH = 32;
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_LENGTH = 16;

    private final String jcaName;
    private final String keyAlgorithm;
    private final String displayName;

    Algorithm(String jcaName, String keyAlgorithm, String displayName) {
        this.jcaName = jcaName;
        this.keyAlgorithm = keyAlgorithm;
        this.displayName = displayName;
    }

    /** {@return the key length in bytes: 32} */
    public int keyLength() {
        return KEY_LENGTH;
    }

    /** {@return the nonce length in bytes: 12} */
    public int nonceLength() {
        return NONCE_LENGTH;
    }

    /** {@return the tag length in bytes: 16; a ciphertext is the plaintext's length plus this} */
    public int tagLength() {
        return TAG_LENGTH;
    }

    /** {@return the transformation name given to {@link javax.crypto.Cipher#getInstance(String)}} */
    public String jcaName() {
        return jcaName;
    }

    /** {@return the algorithm name of the JCA key} */
    String keyAlgorithm() {
        return keyAlgorithm;
    }

    /** {@return the usual name, for messages: {@code AES-256-GCM}, {@code ChaCha20-Poly1305}} */
    String displayName() {
        return displayName;
    }

    AlgorithmParameterSpec parameters(byte[] nonce) {
        return switch (this) {
            case CHACHA20_POLY1305 -> new IvParameterSpec(nonce);
            case AES_256_GCM -> new GCMParameterSpec(TAG_LENGTH * 8, nonce);
        };
    }
}
