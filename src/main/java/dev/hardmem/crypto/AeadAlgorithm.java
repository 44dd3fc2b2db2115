package dev.hardmem.crypto;

/**
 * The AEAD algorithms of {@link AeadSealingKey} and {@link AeadOpeningKey}, run natively by libsodium on segments.
 * Each takes a 256-bit key and appends a 128-bit tag; they differ in the nonce.
 *
 * <p>The lengths below are constants and need no library. {@link #isAvailable()} and {@link #maxPlaintextLength()}
 * ask the backend: libsodium, found at run time.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: every key, nonce, plaintext and ciphertext length is checked against these values before libsodium is
 * called. Not guaranteed: anything about libsodium's implementation beyond what its documentation says (its
 * ChaCha20 and Poly1305 are constant time; its AES-GCM runs only on CPUs with AES and carry-less multiply
 * instructions, in constant time there).
 */
public enum AeadAlgorithm {
    /**
     * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha, libsodium's {@code crypto_aead_xchacha20poly1305_ietf_*}):
     * 192-bit nonces, long enough to draw at random ({@link dev.hardmem.nonce.RandomNonceSequence}). The one to
     * choose when in doubt.
     */
    XCHACHA20_POLY1305("XChaCha20-Poly1305", 24),
    /**
     * ChaCha20-Poly1305 as in RFC 8439 (libsodium's {@code crypto_aead_chacha20poly1305_ietf_*}): 96-bit nonces.
     * The same algorithm as {@code dev.hardmem.aead.Algorithm.CHACHA20_POLY1305}: each opens what the other seals.
     */
    CHACHA20_POLY1305("ChaCha20-Poly1305", 12),
    /**
     * AES-256 in Galois/Counter Mode with 96-bit nonces (libsodium's {@code crypto_aead_aes256gcm_*}), where the CPU
     * has the instructions libsodium needs for it; elsewhere a key for it is refused. The same algorithm as
     * {@code dev.hardmem.aead.Algorithm.AES_256_GCM}.
     */
    AES_256_GCM("AES-256-GCM", 12);

    private static final int KEY_LENGTH = 32;
    private static final int TAG_LENGTH = 16;

    private final String displayName;
    private final int nonceLength;

    AeadAlgorithm(String displayName, int nonceLength) {
        this.displayName = displayName;
        this.nonceLength = nonceLength;
    }

    /** {@return the key length in bytes: 32} */
    public int keyLength() {
        return KEY_LENGTH;
    }

    /** {@return the nonce length in bytes: 24 for XChaCha20-Poly1305, 12 for the others} */
    public int nonceLength() {
        return nonceLength;
    }

    /** {@return the tag length in bytes: 16} */
    public int tagLength() {
        return TAG_LENGTH;
    }

    /**
     * {@return the length of the ciphertext of a plaintext of {@code plaintextLength} bytes: the plaintext's length
     * plus the tag's} This is what {@link AeadSealingKey#seal} writes (libsodium's combined mode).
     *
     * @param plaintextLength the plaintext's length, 0 or more
     * @throws IllegalArgumentException if {@code plaintextLength} is negative, or so large the sum overflows a
     *                                  {@code long}
     */
    public long sealedLength(long plaintextLength) {
        return checkedSum(plaintextLength, TAG_LENGTH);
    }

    /**
     * {@return the length of the wire form of a plaintext of {@code plaintextLength} bytes: the nonce, the
     * plaintext's length and the tag} This is what {@link AeadSealingKey#sealToWire} writes.
     *
     * @param plaintextLength the plaintext's length, 0 or more
     * @throws IllegalArgumentException if {@code plaintextLength} is negative, or so large the sum overflows a
     *                                  {@code long}
     */
    public long wireLength(long plaintextLength) {
        return checkedSum(plaintextLength, nonceLength + TAG_LENGTH);
    }

    private static long checkedSum(long plaintextLength, int overhead) {
        if (plaintextLength < 0 || plaintextLength > Long.MAX_VALUE - overhead) {
            throw new IllegalArgumentException("a plaintext length must be 0 to " + (Long.MAX_VALUE - overhead)
                    + ", was " + plaintextLength);
        }
        return plaintextLength + overhead;
    }

    /**
     * {@return whether this algorithm can run here: libsodium was found, and, for AES-256-GCM, the CPU has what
     * libsodium's AES-GCM needs} It throws nothing where native access is granted, as all of hardmem needs
     * ({@code --enable-native-access}); where it is denied, the first native call of hardmem throws
     * {@link UnsatisfiedLinkError} naming the flag.
     */
    public boolean isAvailable() {
        return AeadBackend.available(this);
    }

    /**
     * {@return the longest plaintext one message can hold, in bytes, as the backend says} For libsodium, its
     * {@code crypto_aead_*_messagebytes_max()}: in 1.0.18 on a 64-bit system, 2<sup>38</sup> − 64 bytes for
     * ChaCha20-Poly1305, 2<sup>36</sup> − 32 for AES-256-GCM, and {@code 2^64 - 17} (more than any segment) for
     * XChaCha20-Poly1305, which this method then gives as {@code Long.MAX_VALUE} minus the wire overhead.
     *
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install
     */
    public long maxPlaintextLength() {
        return AeadBackend.get(this).maxPlaintextLength(this);
    }

    /** {@return the usual name: {@code XChaCha20-Poly1305}, {@code ChaCha20-Poly1305}, {@code AES-256-GCM}} */
    public String displayName() {
        return displayName;
    }
}
