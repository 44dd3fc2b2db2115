package dev.hardmem.nonce;

import java.security.SecureRandom;

/**
 * Nonces of 192 random bits (24 bytes), for ciphers with nonces that long: XChaCha20-Poly1305
 * ({@code dev.hardmem.crypto.AeadAlgorithm.XCHACHA20_POLY1305}, whose sealing keys draw from one of these by
 * default). Random nonces that long can be drawn without any state shared between senders or kept across
 * restarts.
 *
 * {@snippet :
 * RandomNonceSequence s = RandomNonceSequence.of192Bits();
 * UsedNonce n = s.next().consume();      // 24 bytes from SecureRandom
 * }
 *
 * <p>Each nonce comes from {@link SecureRandom}. The sequence runs out after 2<sup>63</sup> − 1 nonces, a number
 * no program reaches; the limit exists so that the rule "a sequence that runs out fails forever" holds for every
 * kind. A 192-bit nonce is too long for AES-GCM and ChaCha20-Poly1305: a key for those refuses this sequence.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the nonces come from the platform's {@code SecureRandom}. Not guaranteed: uniqueness is
 * probabilistic. After <i>n</i> nonces, the chance that two are equal is below
 * <i>n</i><sup>2</sup>/2<sup>193</sup>: under 2<sup>-65</sup> after 2<sup>64</sup> nonces. It also depends on the
 * quality of {@code SecureRandom}; a virtual machine cloned with its state, or a broken entropy source, repeats
 * random nonces.
 */
public final class RandomNonceSequence extends NonceSequence {
    /** The length of every nonce of this kind: 24 bytes, 192 bits. */
    public static final int NONCE_LENGTH = 24;

    private final SecureRandom random = new SecureRandom();
    private long drawn; // guarded by the NonceSequence lock

    private RandomNonceSequence() {
        super(NONCE_LENGTH);
    }

    /** {@return a new sequence of 24-byte random nonces} */
    public static RandomNonceSequence of192Bits() {
        return new RandomNonceSequence();
    }

    @Override
    boolean advance(byte[] destination) {
        if (drawn == Long.MAX_VALUE) {
            return false;
        }
        drawn++;
        random.nextBytes(destination);
        return true;
    }

    @Override
    boolean spent() {
        return drawn == Long.MAX_VALUE;
    }

    @Override
    String kind() {
        return "RandomNonceSequence";
    }
}
