package dev.hardmem.nonce;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A nonce that has not been used yet. Only a {@link NonceSequence} makes one; its bytes cannot be read until it
 * is {@linkplain #consume() consumed}, which can happen once.
 *
 * <p>Encryption code takes an {@code UnusedNonce}, checks that it comes from the key's own
 * {@linkplain #sequence() sequence}, consumes it, and encrypts with the bytes of the {@link UsedNonce} it gets.
 * {@code dev.hardmem.aead.SealingKey} does exactly that.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: {@link #consume()} succeeds at most once per object, atomically: when several threads race, one
 * gets the {@code UsedNonce} and every other gets {@link NonceReuseException}. There is no public constructor,
 * no {@code clone}, no serialization, no accessor for the bytes, and {@link #toString()} shows none of them. Not
 * guaranteed: that the caller encrypts with the nonce only once after consuming it (the {@code UsedNonce}'s bytes
 * are an ordinary array once read), nor, for a nonce of an {@link InsecureNonceSequence}, that its bytes are
 * unique.
 */
public final class UnusedNonce {
    private static final VarHandle BYTES;

    static {
        try {
            BYTES = MethodHandles.lookup().findVarHandle(UnusedNonce.class, "bytes", byte[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final NonceSequence sequence;
    private final int length;
    /** The bytes until the nonce is consumed, then {@code null}; the first thread to swap them out wins. */
    private volatile byte[] bytes;

    UnusedNonce(byte[] bytes, NonceSequence sequence) {
        this.bytes = bytes;
        this.length = bytes.length;
        this.sequence = sequence;
    }

    /** {@return the sequence that minted this nonce} */
    public NonceSequence sequence() {
        return sequence;
    }

    /** {@return the length of this nonce in bytes} */
    public int length() {
        return length;
    }

    /** {@return whether this nonce has been consumed} */
    public boolean isConsumed() {
        return BYTES.getVolatile(this) == null;
    }

    /**
     * Uses this nonce up. Call it right before encrypting with its bytes, and encrypt once.
     *
     * @return the nonce's bytes, as a used nonce
     * @throws NonceReuseException if this nonce was already consumed, by this thread or another
     */
    public UsedNonce consume() {
        byte[] b = (byte[]) BYTES.getAndSet(this, (byte[]) null);
        if (b == null) {
            throw new NonceReuseException("this " + length + "-byte nonce was already used; a nonce used twice "
                    + "with the same key breaks AES-GCM and ChaCha20-Poly1305: draw a new one from the sequence");
        }
        return new UsedNonce(b);
    }

    /** {@return the length and whether it is consumed, never the bytes} */
    @Override
    public String toString() {
        return "UnusedNonce[" + length + " bytes" + (isConsumed() ? ", consumed" : "") + "]";
    }
}
