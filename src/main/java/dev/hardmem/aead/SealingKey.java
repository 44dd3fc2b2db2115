package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.keys.KeyUses;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.ProviderException;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;

/**
 * A key that encrypts (seals), bound to the one {@link NonceSequence} its nonces come from. Sealing takes an
 * {@link UnusedNonce}, consumes it, and returns the ciphertext with the {@link UsedNonce}: a nonce cannot be
 * sealed with twice, and a nonce from another key's sequence is refused.
 *
 * {@snippet :
 * try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32);
 *      SecretArena arena = SecretArena.ofConfined()) {
 *     SealingKey sealing = SealingKey.of(Algorithm.CHACHA20_POLY1305, k);   // its own counter sequence
 *     MemorySegment plaintext = arena.allocate(64);                         // secret bytes, off the heap
 *     Sealed sealed = sealing.seal(plaintext, MemorySegment.ofArray(header));
 *     send(sealed.nonce().bytes(), sealed.ciphertext());
 * }
 * }
 *
 * <p>The key's bytes stay in the {@link Secret}, which this object borrows and does not close: close the secret
 * when the key is no longer needed, after which every {@code seal} throws {@link IllegalStateException}. A
 * {@code SealingKey} may be used by any number of threads at once.
 *
 * <h2>What JCA copies</h2>
 * hardmem runs the cipher through JCA ({@link Algorithm#jcaName()}, the first installed provider that offers it;
 * SunJCE unless another was installed in front of it), with a new {@link Cipher} per call: nothing derived from
 * the key is cached between calls. A JCA provider can only read a key as a {@code byte[]}, so for the length of
 * one call the key exists on the Java heap. With the JDK's SunJCE provider:
 * <ul>
 * <li>During {@code Cipher.init}, the provider asks once for the key bytes; hardmem copies them out of the
 *     secret into a new array at that moment, and hands over that array (there is no other heap copy of the key
 *     made by hardmem; no {@code SecretKeySpec}, whose {@code destroy()} throws instead of wiping). The provider
 *     also derives its own state: the AES round keys and a clone of the key (AES-GCM), the ChaCha20 initial
 *     state, eight of whose sixteen words are the key (ChaCha20-Poly1305).</li>
 * <li>When the call ends, on every path (success, exception), hardmem wipes the array it handed over, then
 *     initialises the cipher again with an all-zero key, which makes SunJCE zero its old round keys and key
 *     clone and overwrite the ChaCha20 state and keystream in place. Afterwards no array of the cipher, and none
 *     of the arrays that held the key during the call, holds the key or its round keys; {@code JcaKeyCopyTest}
 *     searches a heap dump, unreachable objects included, to check it.</li>
 * <li>What stays, unwiped, in objects SunJCE drops during the call, until the garbage collector reuses their
 *     memory: values derived from the key that do not give it back. For AES-GCM, the hash subkey
 *     <i>H</i> = AES<sub>K</sub>(0<sup>128</sup>) (which lets its reader forge tags for nonces whose ciphertext
 *     they have seen) and the last keystream blocks; for ChaCha20-Poly1305, the message's one-time Poly1305 key.
 *     </li>
 * <li>Not covered: a garbage collection that moves the lent array between {@code init} and the wipe leaves the
 *     old copy behind; values the JIT keeps in registers or spills to the stack; another provider's copies.</li>
 * </ul>
 *
 * <p>The plaintext is read through a direct {@link ByteBuffer} view of the segment: hardmem makes no heap copy of
 * it. SunJCE's AES-GCM passes a direct buffer through temporary heap arrays, which it does not wipe: a heap dump
 * after sealing holds up to 512 bytes of the plaintext (none of a plaintext of 100 bytes or less).
 * ChaCha20-Poly1305 leaves none. {@code HeapDumpHuntTest} checks both with a 32-byte plaintext.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: every nonce is consumed before the cipher runs and is never used again; a nonce from another
 * key's sequence, a closed key, a nonce already consumed, and a plaintext too large are refused before any nonce
 * is consumed or anything is encrypted (a nonce consumed by a call that then fails stays consumed: unused, never
 * reused); a secret serves one algorithm and has at most one {@code SealingKey}, and a sequence serves one
 * {@code SealingKey}: {@link #of} refuses anything else; the key's bytes are on the heap only during a call, as
 * described above. Not guaranteed: anything that depends on two secrets holding the same key bytes (each gets a
 * sealing key and a sequence of its own; see {@link NonceSequence}); the copies JCA makes, listed above.
 */
public final class SealingKey {
    private final Algorithm algorithm;
    private final Secret<SecretKind.Key> key;
    private final NonceSequence sequence;

    private SealingKey(Algorithm algorithm, Secret<SecretKind.Key> key, NonceSequence sequence) {
        this.algorithm = algorithm;
        this.key = key;
        this.sequence = sequence;
    }

    /**
     * {@return a sealing key for {@code key}, drawing its nonces from {@code sequence}, which it binds} A secret
     * serves one algorithm and gets one sealing key, ever: a second one would start a second sequence for the same
     * key. It may also have any number of {@link OpeningKey}s of the same algorithm.
     *
     * @param algorithm the AEAD algorithm
     * @param key       the key, {@link Algorithm#keyLength()} bytes; borrowed, not closed by this object
     * @param sequence  the key's nonce sequence, of {@link Algorithm#nonceLength()}-byte nonces; it must not be
     *                  bound to another key
     * @throws IllegalArgumentException if the key or the sequence's nonces have the wrong length
     * @throws IllegalStateException    if the key is closed, is already a key of another algorithm, or already has a
     *                                  sealing key, or the sequence is bound to another key
     */
    public static SealingKey of(Algorithm algorithm, Secret<SecretKind.Key> key, NonceSequence sequence) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(sequence, "sequence");
        checkKey(algorithm, key);
        if (sequence.nonceLength() != algorithm.nonceLength()) {
            throw new IllegalArgumentException(algorithm.displayName() + " takes " + algorithm.nonceLength()
                    + "-byte nonces; the sequence makes " + sequence.nonceLength() + "-byte ones");
        }
        KeyUses.takeForSealing(key, algorithm.displayName(), sequence);
        return new SealingKey(algorithm, key, sequence);
    }

    /**
     * {@return a sealing key for {@code key} with a new nonce sequence of its own}: a
     * {@link CounterNonceSequence#withRandomPrefix() counter with a random 32-bit prefix}. Create one sealing
     * key per key and keep it: a second one for the same secret is refused.
     *
     * @param algorithm the AEAD algorithm
     * @param key       the key, {@link Algorithm#keyLength()} bytes; borrowed, not closed by this object
     * @throws IllegalArgumentException if the key has the wrong length
     * @throws IllegalStateException    if the key is closed, is already a key of another algorithm, or already has a
     *                                  sealing key
     */
    public static SealingKey of(Algorithm algorithm, Secret<SecretKind.Key> key) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        return of(algorithm, key, CounterNonceSequence.withRandomPrefix());
    }

    static void checkKey(Algorithm algorithm, Secret<SecretKind.Key> key) {
        if (key.isDestroyed()) {
            throw closed();
        }
        if (key.size() != algorithm.keyLength()) {
            throw new IllegalArgumentException(algorithm.displayName() + " takes a " + algorithm.keyLength()
                    + "-byte key, this one has " + key.size() + " bytes");
        }
    }

    static IllegalStateException closed() {
        return new IllegalStateException("the key's secret is closed");
    }

    /** {@return the algorithm of this key} */
    public Algorithm algorithm() {
        return algorithm;
    }

    /** {@return the nonce sequence bound to this key} */
    public NonceSequence nonceSequence() {
        return sequence;
    }

    /**
     * Encrypts {@code plaintext} and authenticates it with {@code aad}, using {@code nonce}, which it consumes.
     *
     * @param nonce     an unused nonce from {@link #nonceSequence()}
     * @param plaintext the bytes to encrypt, read through a {@link ByteBuffer} view: no heap copy by hardmem
     * @param aad       additional data to authenticate but not encrypt; may be empty
     * @return the used nonce and the ciphertext with its tag
     * @throws IllegalArgumentException if {@code nonce} comes from another sequence, or the plaintext is longer
     *                                  than the largest Java array ({@code Integer.MAX_VALUE - 8}) minus the tag
     *                                  length, or the AAD longer than {@code Integer.MAX_VALUE}; the nonce is not
     *                                  consumed
     * @throws dev.hardmem.nonce.NonceReuseException if {@code nonce} was already consumed
     * @throws IllegalStateException    if the key is closed, or a segment is not alive; the nonce is not consumed
     * @throws WrongThreadException     if a segment is confined to another thread; the nonce is not consumed
     */
    public Sealed seal(UnusedNonce nonce, MemorySegment plaintext, MemorySegment aad) {
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(aad, "aad");
        if (nonce.sequence() != sequence) {
            throw new IllegalArgumentException("the nonce comes from another key's nonce sequence; it was not used");
        }
        checkInputs(plaintext, aad);
        return sealChecked(nonce, plaintext, aad);
    }

    /**
     * Encrypts {@code plaintext} with the next nonce of this key's own sequence, as ring's {@code SealingKey}
     * does, and authenticates it with {@code aad}.
     *
     * @param plaintext the bytes to encrypt, read through a {@link ByteBuffer} view: no heap copy by hardmem
     * @param aad       additional data to authenticate but not encrypt; may be empty
     * @return the nonce drawn and used, and the ciphertext with its tag
     * @throws IllegalArgumentException if the plaintext is longer than the largest Java array
     *                                  ({@code Integer.MAX_VALUE - 8}) minus the tag length, or the AAD longer
     *                                  than {@code Integer.MAX_VALUE}; no nonce is drawn
     * @throws dev.hardmem.nonce.NonceExhaustedException if the sequence has run out
     * @throws IllegalStateException    if the key is closed, or a segment is not alive; no nonce is drawn
     * @throws WrongThreadException     if a segment is confined to another thread; no nonce is drawn
     */
    public Sealed seal(MemorySegment plaintext, MemorySegment aad) {
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(aad, "aad");
        checkInputs(plaintext, aad);
        return sealChecked(sequence.next(), plaintext, aad);
    }

    private void checkInputs(MemorySegment plaintext, MemorySegment aad) {
        Segments.checkReadable(plaintext, "plaintext", Segments.MAX_ARRAY - algorithm.tagLength());
        Segments.checkReadable(aad, "aad", Integer.MAX_VALUE);
        if (key.isDestroyed()) {
            throw closed();
        }
    }

    private Sealed sealChecked(UnusedNonce nonce, MemorySegment plaintext, MemorySegment aad) {
        UsedNonce used = nonce.consume();
        byte[] ciphertext = new byte[Math.toIntExact(plaintext.byteSize() + algorithm.tagLength())];
        int written;
        try {
            written = Jca.run(algorithm, key, Cipher.ENCRYPT_MODE, used.bytes(), cipher -> {
                if (aad.byteSize() > 0) {
                    cipher.updateAAD(aad.asByteBuffer());
                }
                return cipher.doFinal(plaintext.asByteBuffer(), ByteBuffer.wrap(ciphertext));
            });
        } catch (AEADBadTagException e) {
            throw new ProviderException("encryption reported a bad tag", e);
        }
        if (written != ciphertext.length) {
            throw new ProviderException(algorithm.displayName() + " wrote " + written + " bytes, expected "
                    + ciphertext.length);
        }
        return new Sealed(used, ciphertext);
    }

    /** {@return the algorithm and the sequence, never the key} */
    @Override
    public String toString() {
        return "SealingKey[" + algorithm.displayName() + ", " + sequence + ", key redacted]";
    }
}
