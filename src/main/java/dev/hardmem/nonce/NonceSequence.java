package dev.hardmem.nonce;

/**
 * Mints {@link UnusedNonce}s for one key: the only way to get one. Each call to {@link #next()} returns a nonce
 * the sequence has never returned before; a sequence that runs out throws {@link NonceExhaustedException} on that
 * call and on every later one, and never wraps.
 *
 * <p>The kinds are {@link CounterNonceSequence} (a fixed prefix followed by a big-endian counter: 96 bits for
 * AES-GCM and ChaCha20-Poly1305), {@link RandomNonceSequence} (192 random bits, for XChaCha20-Poly1305) and
 * {@link InsecureNonceSequence} (the caller chooses the nonces: known-answer tests, protocols that dictate them).
 * The hierarchy is sealed: no other kind exists.
 *
 * <h2>One sequence, one key</h2>
 * A sequence serves one key. {@code dev.hardmem.aead.SealingKey} binds the sequence it is given, refuses a sequence
 * already bound to another key, and refuses any nonce whose {@link UnusedNonce#sequence()} is not its own
 * sequence; so does {@code dev.hardmem.crypto.AeadSealingKey}. This matters when two keys use sequences that
 * overlap (two counters with the same prefix): a nonce of
 * key A's sequence used with key B could be one that B's own sequence hands out later. The binding is the key's
 * business: no public method of a sequence binds it, so no holder of a sequence can keep it from its key.
 * Sequences are compared by identity ({@link #equals} and {@link #hashCode} are final).
 *
 * <h2>Threads</h2>
 * All methods may be called from any number of threads; {@link #next()} is serialised per sequence.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: within one sequence, no two calls to {@link #next()} return the same nonce (for a
 * {@link RandomNonceSequence}, with the probability given there; for an {@link InsecureNonceSequence}, as far as
 * its subclass makes them unique), and an exhausted sequence stays exhausted. Not
 * guaranteed: uniqueness across two sequences the caller created for the same key; hardmem cannot see that two
 * sequences serve the same key bytes, whether in one process or across restarts. Nonces are public values and
 * are kept on the Java heap.
 */
public abstract sealed class NonceSequence permits CounterNonceSequence, RandomNonceSequence, InsecureNonceSequence {
    private final int nonceLength;
    private final Object lock = new Object();
    private boolean exhausted; // guarded by lock

    NonceSequence(int nonceLength) {
        if (nonceLength < 1) {
            throw new IllegalArgumentException("a nonce must have at least 1 byte, asked for " + nonceLength);
        }
        this.nonceLength = nonceLength;
    }

    /** {@return the length in bytes of every nonce of this sequence} */
    public final int nonceLength() {
        return nonceLength;
    }

    /**
     * {@return a nonce this sequence has never returned before}
     *
     * @throws NonceExhaustedException if the sequence has run out, now or on an earlier call
     */
    public final UnusedNonce next() {
        synchronized (lock) {
            if (exhausted || spent()) {
                exhausted = true;
                throw exhausted();
            }
            byte[] bytes = new byte[nonceLength];
            boolean minted;
            try {
                minted = advance(bytes);
            } catch (RuntimeException | Error e) {
                // The state of a sequence that failed half-way is unknown: fail closed.
                exhausted = true;
                throw e;
            }
            if (!minted) {
                exhausted = true;
                throw exhausted();
            }
            return new UnusedNonce(bytes, this);
        }
    }

    /**
     * {@return whether this sequence has run out: every later {@link #next()} throws} For an
     * {@link InsecureNonceSequence}, this is known only once it has said it has no more.
     */
    public final boolean isExhausted() {
        synchronized (lock) {
            return exhausted || spent();
        }
    }

    /**
     * Writes the next nonce into {@code destination}, which has {@link #nonceLength()} bytes, or returns
     * {@code false} if there is none. Called with the sequence's lock held, never again after it returned
     * {@code false} or threw.
     */
    abstract boolean advance(byte[] destination);

    /** {@return whether {@link #advance} is known to have no more nonces} Called with the lock held. */
    boolean spent() {
        return false;
    }

    private NonceExhaustedException exhausted() {
        return new NonceExhaustedException(kind() + " has run out of nonces and never wraps; use a new key");
    }

    /** {@return a short description for messages, without any nonce bytes} */
    abstract String kind();

    /** {@return whether {@code o} is this very sequence: sequences are compared by identity} */
    @Override
    public final boolean equals(Object o) {
        return this == o;
    }

    /** {@return the identity hash code of this sequence} */
    @Override
    public final int hashCode() {
        return System.identityHashCode(this);
    }

    /** {@return the kind and nonce length of this sequence, never its state} */
    @Override
    public String toString() {
        return kind() + "[" + nonceLength + "-byte nonces" + (isExhausted() ? ", exhausted" : "") + "]";
    }
}
