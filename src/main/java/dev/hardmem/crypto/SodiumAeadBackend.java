package dev.hardmem.crypto;

import dev.hardmem.internal.os.Sodium;
import dev.hardmem.internal.os.SodiumAead;

import java.lang.foreign.MemorySegment;
import java.security.ProviderException;

/** The AEADs of libsodium ({@link SodiumAead}), in combined mode. */
final class SodiumAeadBackend implements AeadBackend {
    static final SodiumAeadBackend INSTANCE = new SodiumAeadBackend();

    private SodiumAeadBackend() {
    }

    static boolean isPresent() {
        return Sodium.available();
    }

    /** @throws UnsupportedOperationException naming the package to install, where libsodium is missing */
    static void requirePresent() {
        Sodium.require();
    }

    private static int code(AeadAlgorithm algorithm) {
        return switch (algorithm) {
            case XCHACHA20_POLY1305 -> SodiumAead.XCHACHA20_POLY1305_IETF;
            case CHACHA20_POLY1305 -> SodiumAead.CHACHA20_POLY1305_IETF;
            case AES_256_GCM -> SodiumAead.AES256GCM;
        };
    }

    @Override
    public boolean supports(AeadAlgorithm algorithm) {
        return algorithm != AeadAlgorithm.AES_256_GCM || SodiumAead.aes256gcmAvailable();
    }

    @Override
    public long maxPlaintextLength(AeadAlgorithm algorithm) {
        long max = SodiumAead.messageBytesMax(code(algorithm)); // a size_t: above Long.MAX_VALUE it reads negative
        long cap = Long.MAX_VALUE - algorithm.nonceLength() - algorithm.tagLength();
        return max < 0 || max > cap ? cap : max;
    }

    @Override
    public void seal(AeadAlgorithm algorithm, MemorySegment out, MemorySegment plaintext, MemorySegment aad,
                     MemorySegment nonce, MemorySegment key) {
        int code = code(algorithm);
        if (SodiumAead.encrypt(code, out, plaintext, aad, nonce, key) != 0) {
            throw new ProviderException(SodiumAead.functionPrefix(code) + "_encrypt refused a " + plaintext.byteSize()
                    + "-byte plaintext that hardmem checked");
        }
    }

    @Override
    public boolean verifiesApart(AeadAlgorithm algorithm) {
        return algorithm != AeadAlgorithm.AES_256_GCM; // libsodium's AES-GCM decrypts as it verifies
    }

    @Override
    public boolean verify(AeadAlgorithm algorithm, MemorySegment ciphertext, MemorySegment tag, MemorySegment aad,
                          MemorySegment nonce, MemorySegment key) {
        return SodiumAead.verify(code(algorithm), ciphertext, tag, aad, nonce, key) == 0;
    }

    @Override
    public void decryptVerified(AeadAlgorithm algorithm, MemorySegment out, MemorySegment ciphertext,
                                MemorySegment nonce, MemorySegment key) {
        SodiumAead.decryptVerified(code(algorithm), out, ciphertext, nonce, key);
    }

    @Override
    public boolean open(AeadAlgorithm algorithm, MemorySegment out, MemorySegment ciphertext, MemorySegment aad,
                        MemorySegment nonce, MemorySegment key) {
        return SodiumAead.decrypt(code(algorithm), out, ciphertext, aad, nonce, key) == 0;
    }
}
