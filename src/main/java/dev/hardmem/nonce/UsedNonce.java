package dev.hardmem.nonce;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A nonce that has been used to encrypt, or that arrived with a ciphertext: it can open, never seal. Its bytes are
 * public and can be read, to be sent with the ciphertext.
 *
 * <p>A {@code UsedNonce} comes from {@link UnusedNonce#consume()} (the sending side) or from
 * {@link #fromWire(byte[])} (the receiving side). There is no way to turn one into an {@link UnusedNonce}.
 *
 * <p>Instances are immutable values: {@link #equals} and {@link #hashCode} compare the bytes, and
 * {@link #toString()} shows them in hexadecimal (nonces are not secret).
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the bytes cannot change after creation ({@link #bytes()} returns a copy, {@link #fromWire} copies
 * its argument), and no method of hardmem encrypts with a {@code UsedNonce}. Not guaranteed: anything about code
 * outside hardmem that reads {@link #bytes()} and encrypts with them.
 */
public final class UsedNonce {
    private final byte[] bytes;

    UsedNonce(byte[] owned) {
        this.bytes = owned;
    }

    /**
     * {@return a used nonce holding a copy of {@code bytes}}: a nonce received with a ciphertext. Its length is
     * checked against the cipher when it is used to open.
     *
     * @param bytes the nonce as received; at least 1 byte
     * @throws IllegalArgumentException if {@code bytes} is empty
     */
    public static UsedNonce fromWire(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length == 0) {
            throw new IllegalArgumentException("a nonce must have at least 1 byte, got 0");
        }
        return new UsedNonce(bytes.clone());
    }

    /** {@return the length of this nonce in bytes} */
    public int length() {
        return bytes.length;
    }

    /** {@return a new copy of the bytes of this nonce} */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@return whether {@code o} is a used nonce with the same bytes} */
    @Override
    public boolean equals(Object o) {
        return o instanceof UsedNonce other && Arrays.equals(bytes, other.bytes);
    }

    /** {@return a hash code of the bytes} */
    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** {@return {@code UsedNonce[}<i>hex</i>{@code ]}} */
    @Override
    public String toString() {
        return "UsedNonce[" + HexFormat.of().formatHex(bytes) + "]";
    }
}
