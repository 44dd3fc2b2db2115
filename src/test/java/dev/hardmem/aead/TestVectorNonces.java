package dev.hardmem.aead;

import dev.hardmem.nonce.InsecureNonceSequence;

/**
 * Test only: hands out the given nonces in order, then runs out. Known-answer tests must seal with the published
 * nonce, which no production sequence will produce; this is what {@link InsecureNonceSequence} is for.
 */
final class TestVectorNonces extends InsecureNonceSequence {
    private final byte[][] nonces;
    private int next;

    TestVectorNonces(byte[]... nonces) {
        super(nonces[0].length);
        this.nonces = nonces.clone();
    }

    @Override
    protected boolean nextNonce(byte[] destination) {
        if (next == nonces.length) {
            return false;
        }
        byte[] n = nonces[next++];
        System.arraycopy(n, 0, destination, 0, destination.length);
        return true;
    }
}
