package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.keys.KeyUses;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.nonce.RandomNonceSequence;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A key that encrypts (seals) natively, on segments, with libsodium: no byte of the key, the plaintext or any
 * intermediate state passes through the Java heap. It is bound to one {@link NonceSequence} and consumes its
 * nonces exactly as {@code dev.hardmem.aead.SealingKey} does: an {@link UnusedNonce} in, a {@link UsedNonce} out.
 *
 * {@snippet :
 * AeadSealingKey sealing = AeadSealingKey.of(AeadAlgorithm.XCHACHA20_POLY1305, key);   // random 192-bit nonces
 * MemorySegment wire = arena.allocate(AeadAlgorithm.XCHACHA20_POLY1305.wireLength(plaintext.byteSize()));
 * sealing.sealToWire(plaintext, aad, wire);                            // nonce ‖ ciphertext ‖ tag
 * }
 *
 * <p>Two forms of output: {@link #seal} writes libsodium's combined form (ciphertext ‖ tag) and returns the nonce
 * it used; {@link #sealToWire} writes the nonce in front (nonce ‖ ciphertext ‖ tag), hardmem's wire form, which
 * {@link AeadOpeningKey#openWire} reads. Both are laid out byte by byte in {@code docs/crypto.md}.
 *
 * <p>The key's bytes stay in the {@link Secret}, which this object borrows and does not close: libsodium reads
 * them inside {@link Secret#read}. A plaintext on the Java heap is copied into guarded memory first (and wiped
 * there); additional data and output on the heap go through native scratch memory. An
 * {@code AeadSealingKey} may be used by any number of threads at once.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: every nonce is consumed before libsodium runs and is never used again; a nonce from another
 * sequence, a closed key, a plaintext over {@link AeadAlgorithm#maxPlaintextLength()}, a destination too small or
 * read-only, and segments not alive or confined to another thread are refused before any nonce is consumed or any
 * byte written; a secret serves one algorithm and has at most one sealing key, on this native path and the JCA
 * path of {@code dev.hardmem.aead} together, and a sequence serves one sealing key. Not guaranteed: anything that
 * depends on two secrets holding the same key bytes; values the JIT or libsodium leave in registers or on the
 * native stack (libsodium wipes its own stack state where it says so); copies of the plaintext the caller made.
 */
public final class AeadSealingKey {
    private final AeadAlgorithm algorithm;
    private final Secret<SecretKind.Key> key;
    private final NonceSequence sequence;
    private final AeadBackend backend;
    private final long maxPlaintext;

    private AeadSealingKey(AeadAlgorithm algorithm, Secret<SecretKind.Key> key, NonceSequence sequence,
                           AeadBackend backend) {
        this.algorithm = algorithm;
        this.key = key;
        this.sequence = sequence;
        this.backend = backend;
        this.maxPlaintext = backend.maxPlaintextLength(algorithm);
    }

    /**
     * {@return a sealing key for {@code key}, drawing its nonces from {@code sequence}, which it binds} A secret
     * serves one algorithm and gets one sealing key, ever, on this path and {@code dev.hardmem.aead}'s together.
     *
     * @param algorithm the AEAD algorithm
     * @param key       the key, {@link AeadAlgorithm#keyLength()} bytes; borrowed, not closed by this object
     * @param sequence  the key's nonce sequence, of {@link AeadAlgorithm#nonceLength()}-byte nonces; not bound to
     *                  another key
     * @throws IllegalArgumentException      if the key or the sequence's nonces have the wrong length
     * @throws IllegalStateException         if the key is closed, already serves another algorithm or has a sealing
     *                                       key, or the sequence is bound to another key
     * @throws UnsupportedOperationException where libsodium is missing (the message names the package to install),
     *                                       or the algorithm cannot run on this CPU
     */
    public static AeadSealingKey of(AeadAlgorithm algorithm, Secret<SecretKind.Key> key, NonceSequence sequence) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(sequence, "sequence");
        AeadBackend backend = AeadBackend.get(algorithm);
        AeadCore.checkKey(algorithm, key);
        if (sequence.nonceLength() != algorithm.nonceLength()) {
            throw new IllegalArgumentException(algorithm.displayName() + " takes " + algorithm.nonceLength()
                    + "-byte nonces; the sequence makes " + sequence.nonceLength() + "-byte ones");
        }
        KeyUses.takeForSealing(key, algorithm.displayName(), sequence);
        return new AeadSealingKey(algorithm, key, sequence, backend);
    }

    /**
     * {@return a sealing key for {@code key} with a new nonce sequence of its own}: for XChaCha20-Poly1305
     * {@link RandomNonceSequence#of192Bits()}, for the others {@link CounterNonceSequence#withRandomPrefix()}.
     *
     * <p>Mind the 96-bit algorithms: their counter starts again at zero behind a new 32-bit random prefix each time
     * a key is made, so a key used across <em>n</em> process starts repeats a prefix, and so its nonces, with a
     * chance of about <em>n</em>²/2³³ (about 1% at 10,000 starts). For a long-lived key choose
     * XChaCha20-Poly1305, or keep a {@link CounterNonceSequence} whose state survives restarts and pass it to
     * {@link #of(AeadAlgorithm, Secret, NonceSequence)}.
     *
     * @param algorithm the AEAD algorithm
     * @param key       the key, {@link AeadAlgorithm#keyLength()} bytes; borrowed, not closed by this object
     * @throws IllegalArgumentException      if the key has the wrong length
     * @throws IllegalStateException         if the key is closed, already serves another algorithm or has a sealing
     *                                       key
     * @throws UnsupportedOperationException where libsodium is missing (the message names the package to install),
     *                                       or the algorithm cannot run on this CPU
     */
    public static AeadSealingKey of(AeadAlgorithm algorithm, Secret<SecretKind.Key> key) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        return of(algorithm, key, algorithm == AeadAlgorithm.XCHACHA20_POLY1305 ? RandomNonceSequence.of192Bits()
                : CounterNonceSequence.withRandomPrefix());
    }

    /** {@return the algorithm of this key} */
    public AeadAlgorithm algorithm() {
        return algorithm;
    }

    /** {@return the nonce sequence bound to this key} */
    public NonceSequence nonceSequence() {
        return sequence;
    }

    /**
     * Encrypts {@code plaintext}, authenticates it with {@code aad}, and writes the ciphertext followed by the tag
     * (libsodium's combined form, {@link AeadAlgorithm#sealedLength} bytes) to the start of {@code destination},
     * using {@code nonce}, which it consumes. Send the returned nonce's bytes with the ciphertext.
     *
     * @param nonce       an unused nonce from {@link #nonceSequence()}
     * @param plaintext   the bytes to encrypt; may be empty
     * @param aad         additional data to authenticate but not encrypt; may be empty
     * @param destination where the ciphertext and tag go; may overlap the plaintext; bytes after them are left alone
     * @return the nonce, used
     * @throws IllegalArgumentException if {@code nonce} comes from another sequence, the plaintext is longer than
     *                                  {@link AeadAlgorithm#maxPlaintextLength()}, or the destination is too small
     *                                  or read-only; the nonce is not consumed
     * @throws dev.hardmem.nonce.NonceReuseException if {@code nonce} was already consumed
     * @throws IllegalStateException    if the key is closed, or a segment is not alive; the nonce is not consumed
     * @throws WrongThreadException     if a segment is confined to another thread; the nonce is not consumed
     * @throws dev.hardmem.guarded.MemoryBudgetException if a plaintext on the Java heap cannot be staged in locked
     *                                  memory (see {@code docs/crypto.md}); the nonce is consumed then, never reused
     */
    public UsedNonce seal(UnusedNonce nonce, MemorySegment plaintext, MemorySegment aad, MemorySegment destination) {
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(aad, "aad");
        Objects.requireNonNull(destination, "destination");
        if (nonce.sequence() != sequence) {
            throw new IllegalArgumentException("the nonce comes from another key's nonce sequence; it was not used");
        }
        long length = check(plaintext, aad, destination, 0);
        UsedNonce used = nonce.consume();
        AeadCore.seal(backend, algorithm, key, used.bytes(), plaintext, aad, destination.asSlice(0, length));
        return used;
    }

    /**
     * Encrypts {@code plaintext} with the next nonce of this key's sequence, authenticates it with {@code aad},
     * and writes the wire form (the nonce, the ciphertext, the tag: {@link AeadAlgorithm#wireLength} bytes) to the
     * start of {@code destination}.
     *
     * @param plaintext   the bytes to encrypt; may be empty
     * @param aad         additional data to authenticate but not encrypt; may be empty
     * @param destination where the message goes; may overlap the plaintext; bytes after it are left alone
     * @return the number of bytes written: {@code algorithm().wireLength(plaintext.byteSize())}
     * @throws IllegalArgumentException if the plaintext is longer than {@link AeadAlgorithm#maxPlaintextLength()},
     *                                  or the destination is too small or read-only; no nonce is drawn
     * @throws dev.hardmem.nonce.NonceExhaustedException if the sequence has run out
     * @throws IllegalStateException    if the key is closed, or a segment is not alive; no nonce is drawn
     * @throws WrongThreadException     if a segment is confined to another thread; no nonce is drawn
     * @throws dev.hardmem.guarded.MemoryBudgetException if a plaintext on the Java heap cannot be staged in locked
     *                                  memory; the nonce drawn is consumed then, never reused
     */
    public long sealToWire(MemorySegment plaintext, MemorySegment aad, MemorySegment destination) {
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(aad, "aad");
        Objects.requireNonNull(destination, "destination");
        int n = algorithm.nonceLength();
        long length = check(plaintext, aad, destination, n);
        byte[] nonce = sequence.next().consume().bytes();
        AeadCore.seal(backend, algorithm, key, nonce, plaintext, aad, destination.asSlice(n, length - n));
        MemorySegment.copy(MemorySegment.ofArray(nonce), 0, destination, 0, n);
        return length;
    }

    /** {@return the length to write} after the checks every seal makes before it draws or consumes a nonce */
    private long check(MemorySegment plaintext, MemorySegment aad, MemorySegment destination, int prefix) {
        AeadCore.checkReadable(plaintext, "plaintext");
        AeadCore.checkReadable(aad, "aad");
        AeadCore.checkPlaintextLength(algorithm, plaintext.byteSize(), maxPlaintext, "the plaintext");
        long length = plaintext.byteSize() + prefix + algorithm.tagLength();
        AeadCore.checkWritable(destination, length);
        if (key.isDestroyed()) {
            throw AeadCore.closedKey();
        }
        return length;
    }

    /** {@return the algorithm and the sequence, never the key} */
    @Override
    public String toString() {
        return "AeadSealingKey[" + algorithm.displayName() + ", " + sequence + ", key redacted]";
    }
}
