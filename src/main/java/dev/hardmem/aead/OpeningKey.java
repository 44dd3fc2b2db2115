package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.keys.KeyUses;
import dev.hardmem.nonce.UsedNonce;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.ProviderException;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;

/**
 * A key that decrypts (opens). It takes a {@link UsedNonce}, the only kind a receiver has: the one a
 * {@link SealingKey} returned, or one built from received bytes with {@link UsedNonce#fromWire(byte[])}.
 *
 * {@snippet :
 * OpeningKey opening = OpeningKey.of(Algorithm.CHACHA20_POLY1305, k);
 * try (SecretArena arena = SecretArena.ofConfined()) {
 *     MemorySegment plaintext = arena.allocate(ciphertext.length - Algorithm.CHACHA20_POLY1305.tagLength());
 *     opening.open(UsedNonce.fromWire(nonceBytes), MemorySegment.ofArray(ciphertext),
 *             MemorySegment.ofArray(header), plaintext);                // AEADBadTagException if tampered with
 *     use(plaintext);
 * }                                                                     // wiped
 * }
 *
 * <p>The key's bytes stay in the {@link Secret}, which this object borrows and does not close. An
 * {@code OpeningKey} may be used by any number of threads at once.
 *
 * <h2>Releasing no plaintext</h2>
 * The cipher decrypts into a temporary {@link SecretArena} (memory of the default guarded allocator), and only
 * once the tag has been verified is the plaintext copied to the destination; the temporary memory is wiped on
 * every path. When the tag does not verify, {@link AEADBadTagException} is thrown and the destination is left as
 * it was.
 *
 * <h2>What JCA copies</h2>
 * The key is lent to JCA for one call exactly as for {@link SealingKey} (see "What JCA copies" there): a heap
 * copy made when the provider asks for it, wiped when the call ends, and the provider's own derived state
 * overwritten by initialising the cipher again with an all-zero key. The plaintext is written through a direct
 * {@link ByteBuffer}; hardmem makes no heap copy of it. The JDK's SunJCE provider does, and does not wipe its
 * copies: ChaCha20-Poly1305 copies the ciphertext into a new heap array and decrypts it there, so the whole
 * plaintext stays on the heap until the garbage collector reuses that memory ({@code HeapDumpHuntTest} finds it
 * there, and fails if the JDK stops making that copy); AES-GCM leaves all of a short plaintext (up to about
 * 1 KiB) and the last several hundred bytes of a longer one in temporary arrays.
 *
 * <p>An open that fails is not free of copies either. SunJCE's AES-GCM decrypts and authenticates in one pass and
 * compares the tag only at the end, so when the tag does not verify (a flipped tag, other AAD, another key) it has
 * already decrypted the message through the same temporary arrays: the heap holds as much of the plaintext as after
 * a successful open. Whoever can submit a message with a forged tag gets its body decrypted onto the heap. The
 * destination is untouched, and hardmem's scratch memory is wiped. SunJCE's ChaCha20-Poly1305 checks the tag
 * before it decrypts: a failed open leaves no plaintext. {@code HeapDumpHuntTest} checks both.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: no byte of plaintext reaches the destination unless the tag verifies; a wrong nonce length, a
 * closed key, a destination too small or read-only are refused before anything is decrypted; the key's bytes are
 * on the heap only during a call. Not guaranteed: the copies JCA makes, listed above; that a nonce was not
 * reused by the sender (a receiver cannot tell).
 */
public final class OpeningKey {
    private final Algorithm algorithm;
    private final Secret<SecretKind.Key> key;

    private OpeningKey(Algorithm algorithm, Secret<SecretKind.Key> key) {
        this.algorithm = algorithm;
        this.key = key;
    }

    /**
     * {@return an opening key for {@code key}} A secret serves one algorithm: it may have any number of opening keys
     * and one {@link SealingKey}, all of that algorithm.
     *
     * @param algorithm the AEAD algorithm
     * @param key       the key, {@link Algorithm#keyLength()} bytes; borrowed, not closed by this object
     * @throws IllegalArgumentException if the key has the wrong length
     * @throws IllegalStateException    if the key is closed, or is already a key of another algorithm
     */
    public static OpeningKey of(Algorithm algorithm, Secret<SecretKind.Key> key) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        SealingKey.checkKey(algorithm, key);
        KeyUses.takeForOpening(key, algorithm.displayName());
        return new OpeningKey(algorithm, key);
    }

    /** {@return the algorithm of this key} */
    public Algorithm algorithm() {
        return algorithm;
    }

    /**
     * Verifies and decrypts {@code ciphertext}, writing the plaintext to the start of {@code destination} only if
     * the tag verifies.
     *
     * @param nonce       the nonce the ciphertext was sealed with, {@link Algorithm#nonceLength()} bytes
     * @param ciphertext  the ciphertext followed by the tag
     * @param aad         the additional data it was sealed with; may be empty
     * @param destination where the plaintext goes: at least {@code ciphertext.byteSize() - tagLength()} bytes,
     *                    writable; bytes after the plaintext are left alone
     * @return the length of the plaintext, in bytes
     * @throws AEADBadTagException      if the ciphertext, tag, nonce or AAD is not what was sealed (including a
     *                                  ciphertext shorter than the tag); nothing is written to {@code destination}
     * @throws IllegalArgumentException if the nonce has the wrong length, the destination is too small or
     *                                  read-only, or the ciphertext or AAD is longer than {@code Integer.MAX_VALUE}
     * @throws IllegalStateException    if the key is closed, or a segment is not alive
     * @throws WrongThreadException     if a segment is confined to another thread
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
        Segments.checkReadable(ciphertext, "ciphertext", Integer.MAX_VALUE);
        Segments.checkReadable(aad, "aad", Integer.MAX_VALUE);
        int tag = algorithm.tagLength();
        if (ciphertext.byteSize() < tag) {
            throw new AEADBadTagException("the ciphertext is " + ciphertext.byteSize() + " bytes, shorter than the "
                    + tag + "-byte tag");
        }
        int length = Math.toIntExact(ciphertext.byteSize() - tag);
        Segments.checkWritable(destination, "destination", length);
        if (key.isDestroyed()) {
            throw SealingKey.closed();
        }
        try (SecretArena scratch = SecretArena.ofConfined()) {
            // Decrypt into memory of our own, so the destination sees plaintext only once the tag has verified,
            // whatever the provider does with its output buffer before it checks the tag.
            MemorySegment plaintext = length == 0 ? MemorySegment.NULL : scratch.allocate(length);
            ByteBuffer out = length == 0 ? ByteBuffer.allocate(0) : plaintext.asByteBuffer();
            int written = Jca.run(algorithm, key, Cipher.DECRYPT_MODE, nonce.bytes(), cipher -> {
                if (aad.byteSize() > 0) {
                    cipher.updateAAD(aad.asByteBuffer());
                }
                return cipher.doFinal(ciphertext.asByteBuffer(), out);
            });
            if (written != length) {
                throw new ProviderException(algorithm.displayName() + " wrote " + written + " bytes, expected "
                        + length);
            }
            if (length > 0) {
                MemorySegment.copy(plaintext, 0, destination, 0, length);
            }
            return length;
        }
    }

    /** {@return the algorithm, never the key} */
    @Override
    public String toString() {
        return "OpeningKey[" + algorithm.displayName() + ", key redacted]";
    }
}
