package dev.hardmem.nonce;

import java.io.Serial;

/**
 * A nonce was used a second time: an {@link UnusedNonce} that was already consumed was consumed again, or lost a
 * race to be consumed by another thread. Nothing was encrypted with it by the call that threw.
 *
 * <p>The message never contains the nonce's bytes.
 */
public final class NonceReuseException extends IllegalStateException {
    @Serial
    private static final long serialVersionUID = 1L;

    NonceReuseException(String message) {
        super(message);
    }
}
