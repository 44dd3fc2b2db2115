package dev.hardmem.crypto;

import java.lang.foreign.MemorySegment;

/**
 * What runs an AEAD natively. {@link SodiumAeadBackend} (libsodium) is the one there is; a libcrypto (OpenSSL 3)
 * backend would implement the same operations. Everything above this interface (argument checks, nonces, key
 * separation, scratch memory, the wire format) is the same whichever backend runs.
 *
 * <p>Every segment given to {@link #seal} and {@link #open} is native and alive, and its size has been checked
 * against the algorithm: a backend checks nothing again.
 */
interface AeadBackend {
    /** {@return whether {@code algorithm} runs here} Never throws. */
    boolean supports(AeadAlgorithm algorithm);

    /** {@return the longest plaintext of one message, at most {@code Long.MAX_VALUE} minus the wire overhead} */
    long maxPlaintextLength(AeadAlgorithm algorithm);

    /** Writes the ciphertext of {@code plaintext} followed by the tag to {@code out} (its exact size). */
    void seal(AeadAlgorithm algorithm, MemorySegment out, MemorySegment plaintext, MemorySegment aad,
              MemorySegment nonce, MemorySegment key);

    /**
     * Verifies {@code ciphertext} (followed by its tag) and writes the plaintext to {@code out} (its exact size).
     * {@code out} is scratch memory: on failure it may hold anything, and the caller wipes it.
     *
     * @return whether the tag verified
     */
    boolean open(AeadAlgorithm algorithm, MemorySegment out, MemorySegment ciphertext, MemorySegment aad,
                 MemorySegment nonce, MemorySegment key);

    /**
     * {@return whether {@link #verify} and {@link #decryptVerified} run {@code algorithm}: a check of the tag that
     * writes nothing, then a decryption straight into the destination} Where they do, an open needs no scratch
     * copy of the plaintext. Never throws.
     */
    boolean verifiesApart(AeadAlgorithm algorithm);

    /** {@return whether {@code tag} is the tag of {@code ciphertext} (without its tag) and {@code aad}} Writes nothing. */
    boolean verify(AeadAlgorithm algorithm, MemorySegment ciphertext, MemorySegment tag, MemorySegment aad,
                   MemorySegment nonce, MemorySegment key);

    /**
     * Decrypts {@code ciphertext} (without its tag) into {@code out}, its exact size: the same memory or memory apart
     * from it. Only after {@link #verify} returned true for the same arguments.
     */
    void decryptVerified(AeadAlgorithm algorithm, MemorySegment out, MemorySegment ciphertext, MemorySegment nonce,
                         MemorySegment key);

    /** {@return whether {@code algorithm} runs here, with the backend there is} Never throws. */
    static boolean available(AeadAlgorithm algorithm) {
        return SodiumAeadBackend.isPresent() && SodiumAeadBackend.INSTANCE.supports(algorithm);
    }

    /**
     * {@return the backend for {@code algorithm}}
     *
     * @throws UnsupportedOperationException where no backend is present (naming the package to install), or it
     *                                       cannot run {@code algorithm} on this CPU
     */
    static AeadBackend get(AeadAlgorithm algorithm) {
        SodiumAeadBackend.requirePresent();
        AeadBackend b = SodiumAeadBackend.INSTANCE;
        if (!b.supports(algorithm)) {
            throw new UnsupportedOperationException(algorithm.displayName() + " is not available on this CPU:"
                    + " libsodium runs AES-256-GCM only on x86_64 CPUs with the AES-NI and PCLMULQDQ instructions."
                    + " Use XChaCha20-Poly1305, which runs everywhere");
        }
        return b;
    }
}
