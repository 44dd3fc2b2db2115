package dev.hardmem.nonce;

/**
 * A sequence whose nonces the subclass chooses. <strong>Insecure:</strong> hardmem cannot check that they are
 * unique; a subclass that returns the same bytes twice for one key breaks AES-GCM and ChaCha20-Poly1305.
 *
 * <p>It exists for two cases: known-answer tests, which must encrypt with a published nonce, and protocols that
 * dictate the nonce (TLS 1.3 derives it from a per-record sequence number). Everything else the
 * {@link NonceSequence} contract says still holds: the nonces are minted as {@link UnusedNonce}s and can be
 * consumed once; once {@link #nextNonce} returns {@code false} or throws, the sequence is exhausted for good.
 *
 * {@snippet :
 * final class TestVectorNonce extends InsecureNonceSequence {
 *     private final byte[] nonce;
 *     private boolean given;
 *
 *     TestVectorNonce(byte[] nonce) {
 *         super(nonce.length);
 *         this.nonce = nonce.clone();
 *     }
 *
 *     @Override
 *     protected boolean nextNonce(byte[] destination) {
 *         if (given) {
 *             return false;
 *         }
 *         given = true;
 *         System.arraycopy(nonce, 0, destination, 0, nonce.length);
 *         return true;
 *     }
 * }
 * }
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the same single use, binding and exhaustion rules as every sequence (a subclass cannot change how
 * sequences are compared: {@code equals} and {@code hashCode} are final, identity); the bytes a subclass writes
 * are copied, so changing its array later changes no nonce. Not guaranteed: uniqueness of the nonces, which is
 * the subclass's job alone. Name subclasses so that a reviewer sees this, and keep them out of production code
 * unless a protocol requires them.
 */
public abstract non-sealed class InsecureNonceSequence extends NonceSequence {
    /**
     * Creates a sequence of nonces of {@code nonceLength} bytes.
     *
     * @param nonceLength the length of every nonce, at least 1
     * @throws IllegalArgumentException if {@code nonceLength} is below 1
     */
    protected InsecureNonceSequence(int nonceLength) {
        super(nonceLength);
    }

    /**
     * Writes the next nonce into {@code destination}, or returns {@code false} if there are no more. Called with
     * this sequence's lock held, so one call at a time; never called again after it returned {@code false} or
     * threw.
     *
     * @param destination a new zeroed array of {@link #nonceLength()} bytes; its contents are copied after the
     *                    call returns
     * @return {@code true} if a nonce was written, {@code false} if the sequence has run out
     */
    protected abstract boolean nextNonce(byte[] destination);

    @Override
    final boolean advance(byte[] destination) {
        byte[] scratch = new byte[destination.length];
        if (!nextNonce(scratch)) {
            return false;
        }
        System.arraycopy(scratch, 0, destination, 0, scratch.length);
        return true;
    }

    @Override
    final String kind() {
        return "InsecureNonceSequence(" + getClass().getName() + ")";
    }
}
