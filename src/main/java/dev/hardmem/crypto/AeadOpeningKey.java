package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.keys.KeyUses;
import dev.hardmem.nonce.UsedNonce;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import javax.crypto.AEADBadTagException;

/**
 * A key that decrypts (opens) natively, on segments, with libsodium. It takes a {@link UsedNonce} (the one
 * {@link AeadSealingKey#seal} returned, or one from {@link UsedNonce#fromWire(byte[])}), or reads the nonce from
 * the front of a message in hardmem's wire form ({@link #openWire}).
 *
 * {@snippet :
 * AeadOpeningKey opening = AeadOpeningKey.of(AeadAlgorithm.XCHACHA20_POLY1305, key);
 * try (Secret<SecretKind.Key> inner = Secret.withContents(SecretKind.Key.class, 32,
 *         k -> opening.openWire(wire, aad, k))) {                       // AEADBadTagException if tampered with
 *     use(inner);
 * }
 * }
 *
 * <h2>Releasing no plaintext</h2>
 * Nothing is written to the destination before the tag has verified. For the ChaCha20 AEADs and a native
 * destination, libsodium checks the tag with a call that writes nothing, then decrypts straight into the
 * destination. Otherwise (AES-256-GCM, whose libsodium open decrypts as it verifies; a heap destination; one that
 * overlaps the nonce or part of the ciphertext) libsodium decrypts into guarded scratch memory of hardmem's own (the
 * calling thread's scratch slot up to about 4 KiB, a block of its own above), the plaintext is copied to the
 * destination once the tag has verified, and the scratch memory is wiped on every path. When the tag does not
 * verify, {@link AEADBadTagException} is thrown and the destination is left exactly as it was (libsodium's one-call
 * open would write to its output: it zeroes it, and its AES-GCM decrypts into it first).
 * The scratch memory is as large as the plaintext, and locked like every guarded allocation.
 *
 * <p>The key's bytes stay in the {@link Secret}, which this object borrows and does not close. An
 * {@code AeadOpeningKey} may be used by any number of threads at once.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: no byte reaches the destination unless the tag verifies; no plaintext is on the Java heap unless
 * the destination is; a wrong nonce length, a closed key, a ciphertext longer than any message of the algorithm, a
 * destination too small or read-only, and segments not alive or confined to another thread are refused before
 * anything is decrypted. Not guaranteed: that the sender never reused a nonce (a receiver cannot tell); values left
 * in registers or on the native stack.
 */
public final class AeadOpeningKey {
    private final AeadAlgorithm algorithm;
    private final Secret<SecretKind.Key> key;
    private final AeadBackend backend;
    private final long maxPlaintext;

    private AeadOpeningKey(AeadAlgorithm algorithm, Secret<SecretKind.Key> key, AeadBackend backend) {
        this.algorithm = algorithm;
        this.key = key;
        this.backend = backend;
        this.maxPlaintext = backend.maxPlaintextLength(algorithm);
    }

    /**
     * {@return an opening key for {@code key}} A secret serves one algorithm: it may have any number of opening
     * keys, here and in {@code dev.hardmem.aead}, and one sealing key, all of that algorithm.
     *
     * @param algorithm the AEAD algorithm
     * @param key       the key, {@link AeadAlgorithm#keyLength()} bytes; borrowed, not closed by this object
     * @throws IllegalArgumentException      if the key has the wrong length
     * @throws IllegalStateException         if the key is closed, or already serves another algorithm
     * @throws UnsupportedOperationException where libsodium is missing (the message names the package to install),
     *                                       or the algorithm cannot run on this CPU
     */
    public static AeadOpeningKey of(AeadAlgorithm algorithm, Secret<SecretKind.Key> key) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        AeadBackend backend = AeadBackend.get(algorithm);
        AeadCore.checkKey(algorithm, key);
        KeyUses.takeForOpening(key, algorithm.displayName());
        return new AeadOpeningKey(algorithm, key, backend);
    }

    /** {@return the algorithm of this key} */
    public AeadAlgorithm algorithm() {
        return algorithm;
    }

    /**
     * Verifies and decrypts {@code ciphertext} (libsodium's combined form: the ciphertext followed by the tag),
     * writing the plaintext to the start of {@code destination} only if the tag verifies.
     *
     * @param nonce       the nonce it was sealed with, {@link AeadAlgorithm#nonceLength()} bytes
     * @param ciphertext  the ciphertext followed by the tag
     * @param aad         the additional data it was sealed with; may be empty
     * @param destination where the plaintext goes: at least {@code ciphertext.byteSize() - tagLength()} bytes,
     *                    writable; may overlap the ciphertext; bytes after the plaintext are left alone
     * @return the length of the plaintext, in bytes
     * @throws AEADBadTagException      if the ciphertext, tag, nonce or AAD is not what was sealed (including a
     *                                  ciphertext shorter than the tag); nothing is written to {@code destination}
     * @throws IllegalArgumentException if the nonce has the wrong length, the ciphertext is longer than any message
     *                                  of the algorithm, or the destination is too small or read-only
     * @throws IllegalStateException    if the key is closed, or a segment is not alive
     * @throws WrongThreadException     if a segment is confined to another thread
     * @throws dev.hardmem.guarded.MemoryBudgetException if the open needs a scratch copy (AES-256-GCM, a heap or
     *                                  overlapping destination; as large as the plaintext) and there is no locked
     *                                  memory for it under {@code RLIMIT_MEMLOCK}
     */
    public long open(UsedNonce nonce, MemorySegment ciphertext, MemorySegment aad, MemorySegment destination)
            throws AEADBadTagException {
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(ciphertext, "ciphertext");
        Objects.requireNonNull(aad, "aad");
        Objects.requireNonNull(destination, "destination");
        if (nonce.length() != algorithm.nonceLength()) {
            throw new IllegalArgumentException(algorithm.displayName() + " takes " + algorithm.nonceLength()
                    + "-byte nonces; this one has " + nonce.length() + " bytes");
        }
        AeadCore.checkReadable(ciphertext, "ciphertext");
        return openChecked(MemorySegment.ofArray(nonce.bytes()), ciphertext, aad, destination);
    }

    /**
     * Verifies and decrypts {@code message} in hardmem's wire form (the nonce, the ciphertext, the tag), writing the
     * plaintext to the start of {@code destination} only if the tag verifies.
     *
     * @param message     the nonce ({@link AeadAlgorithm#nonceLength()} bytes), the ciphertext and the tag
     * @param aad         the additional data it was sealed with; may be empty
     * @param destination where the plaintext goes: at least {@code message.byteSize() - nonceLength() -
     *                    tagLength()} bytes, writable; may overlap the message; bytes after the plaintext are left
     *                    alone
     * @return the length of the plaintext, in bytes
     * @throws AEADBadTagException      if the message or AAD is not what was sealed (including a message shorter
     *                                  than a nonce and a tag); nothing is written to {@code destination}
     * @throws IllegalArgumentException if the message is longer than any message of the algorithm, or the
     *                                  destination is too small or read-only
     * @throws IllegalStateException    if the key is closed, or a segment is not alive
     * @throws WrongThreadException     if a segment is confined to another thread
     * @throws dev.hardmem.guarded.MemoryBudgetException if the open needs a scratch copy (AES-256-GCM, a heap or
     *                                  overlapping destination; as large as the plaintext) and there is no locked
     *                                  memory for it under {@code RLIMIT_MEMLOCK}
     */
    public long openWire(MemorySegment message, MemorySegment aad, MemorySegment destination)
            throws AEADBadTagException {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(aad, "aad");
        Objects.requireNonNull(destination, "destination");
        AeadCore.checkReadable(message, "message");
        int n = algorithm.nonceLength();
        if (message.byteSize() < n) {
            AeadCore.checkReadable(aad, "aad");
            AeadCore.checkReadable(destination, "destination");
            throw tooShort(message.byteSize(), "message", n + algorithm.tagLength());
        }
        return openChecked(message.asSlice(0, n), message.asSlice(n), aad, destination);
    }

    /** Checks everything, then opens: {@code nonce} is read only once every size has been checked. */
    private long openChecked(MemorySegment nonce, MemorySegment ciphertext, MemorySegment aad,
                             MemorySegment destination) throws AEADBadTagException {
        AeadCore.checkReadable(aad, "aad");
        int tag = algorithm.tagLength();
        long length = ciphertext.byteSize() - tag;
        if (length >= 0) {
            AeadCore.checkPlaintextLength(algorithm, length, maxPlaintext, "the ciphertext's plaintext");
            AeadCore.checkWritable(destination, length);
        } else {
            AeadCore.checkReadable(destination, "destination");
        }
        if (key.isDestroyed()) {
            throw AeadCore.closedKey();
        }
        if (length < 0) {
            throw tooShort(ciphertext.byteSize(), "ciphertext", tag);
        }
        if (!AeadCore.open(backend, algorithm, key, nonce, ciphertext, aad, destination)) {
            throw new AEADBadTagException(algorithm.displayName() + ": the message does not verify (another key,"
                    + " nonce or additional data, or it was changed); nothing was written");
        }
        return length;
    }

    private static AEADBadTagException tooShort(long size, String what, int least) {
        return new AEADBadTagException("the " + what + " is " + size + " bytes, shorter than the " + least
                + " bytes of an empty message; nothing was written");
    }

    /** {@return the algorithm, never the key} */
    @Override
    public String toString() {
        return "AeadOpeningKey[" + algorithm.displayName() + ", key redacted]";
    }
}
