package dev.hardmem.nonce;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Mints {@link UnusedNonce}s for one key: the only way to get one. Each call to {@link #next()} returns a nonce
 * the sequence has never returned before; a sequence that runs out throws {@link NonceExhaustedException} on that
 * call and on every later one, and never wraps.
 *
 * <p>The kinds are {@link CounterNonceSequence} (a fixed prefix followed by a big-endian counter: 96 bits for
 * AES-GCM and ChaCha20-Poly1305), {@link RandomNonceSequence} (192 random bits, for XChaCha20-style ciphers) and
 * {@link InsecureNonceSequence} (the caller chooses the nonces: known-answer tests, protocols that dictate them).
 * The hierarchy is sealed: no other kind exists.
 *
 * <h2>One sequence, one key</h2>
 * A key that draws its nonces from a sequence {@linkplain #bindTo binds} it; binding the same sequence to a
 * second key throws. The key then refuses any nonce whose {@link UnusedNonce#sequence()} is not its own
 * sequence. This matters when two keys use sequences that overlap (two counters with the same prefix): a nonce
 * of key A's sequence used with key B could be one that B's own sequence hands out later.
 *
 * <h2>Threads</h2>
 * All methods may be called from any number of threads; {@link #next()} is serialised per sequence.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: within one sequence, no two calls to {@link #next()} return the same nonce (for a
 * {@link RandomNonceSequence}, with the probability given there), and an exhausted sequence stays exhausted. Not
 * guaranteed: uniqueness across two sequences the caller created for the same key; hardmem cannot see that two
 * sequences serve the same key bytes, whether in one process or across restarts. Nonces are public values and
 * are kept on the Java heap.
 */
public abstract sealed class NonceSequence permits CounterNonceSequence, RandomNonceSequence, InsecureNonceSequence {
    private final int nonceLength;
    private final Object lock = new Object();
    private final AtomicReference<Object> key = new AtomicReference<>();
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
     * Binds this sequence to {@code key}, the object that will encrypt with its nonces. Binding again to the same
     * object does nothing.
     *
     * @param key the key object, compared by identity
     * @throws IllegalStateException if this sequence is already bound to another object
     */
    public final void bindTo(Object key) {
        Objects.requireNonNull(key, "key");
        Object previous = this.key.compareAndExchange(null, key);
        if (previous != null && previous != key) {
            throw new IllegalStateException("this nonce sequence is already bound to another key; "
                    + "give each key its own sequence");
        }
    }

    /**
     * {@return whether this sequence is bound to {@code key}}
     *
     * @param key the key object, compared by identity
     */
    public final boolean isBoundTo(Object key) {
        Objects.requireNonNull(key, "key");
        return this.key.get() == key;
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

    /** {@return the kind and nonce length of this sequence, never its state} */
    @Override
    public String toString() {
        return kind() + "[" + nonceLength + "-byte nonces" + (isExhausted() ? ", exhausted" : "") + "]";
    }
}
