package dev.hardmem.nonce;

import java.io.Serial;

/**
 * A {@link NonceSequence} has run out of nonces. It never wraps: once thrown, every later
 * {@link NonceSequence#next()} on the same sequence throws it again. Use a new key.
 */
public final class NonceExhaustedException extends IllegalStateException {
    @Serial
    private static final long serialVersionUID = 1L;

    NonceExhaustedException(String message) {
        super(message);
    }
}
