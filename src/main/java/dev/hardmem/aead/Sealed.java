package dev.hardmem.aead;

import dev.hardmem.nonce.UsedNonce;

import java.util.Arrays;
import java.util.Objects;

/**
 * What {@link SealingKey#seal} returns: the nonce it used, and the ciphertext with the tag appended. Send both; the
 * receiver turns the nonce's bytes back into a {@link UsedNonce} with {@link UsedNonce#fromWire(byte[])}.
 *
 * <p>A {@code Sealed} is immutable: the constructor copies the {@code ciphertext} array it is given, and
 * {@link #ciphertext()} returns a new copy each time, so no array a caller holds is the record's own. {@link #equals}
 * and {@link #hashCode} compare its contents.
 *
 * <h2>Security guarantees</h2>
 * Nothing here is secret: the nonce and the ciphertext are meant to be sent in the clear. A {@code Sealed} cannot
 * be used to encrypt again: it holds a {@code UsedNonce}.
 *
 * @param nonce      the nonce the plaintext was sealed with
 * @param ciphertext the ciphertext followed by the {@link Algorithm#tagLength() tag}
 */
public record Sealed(UsedNonce nonce, byte[] ciphertext) {
    /**
     * Creates the record.
     *
     * @param nonce      the nonce the plaintext was sealed with
     * @param ciphertext the ciphertext followed by the tag; copied
     */
    public Sealed {
        Objects.requireNonNull(nonce, "nonce");
        ciphertext = Objects.requireNonNull(ciphertext, "ciphertext").clone();
    }

    /** {@return a new copy of the ciphertext followed by the tag} */
    @Override
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    /** {@return whether {@code o} is a {@code Sealed} with an equal nonce and the same ciphertext bytes} */
    @Override
    public boolean equals(Object o) {
        return o instanceof Sealed other && nonce.equals(other.nonce) && Arrays.equals(ciphertext, other.ciphertext);
    }

    /** {@return a hash code of the nonce and the ciphertext bytes} */
    @Override
    public int hashCode() {
        return 31 * nonce.hashCode() + Arrays.hashCode(ciphertext);
    }

    /** {@return the nonce and the ciphertext's length} */
    @Override
    public String toString() {
        return "Sealed[nonce=" + nonce + ", ciphertext=" + ciphertext.length + " bytes]";
    }
}
