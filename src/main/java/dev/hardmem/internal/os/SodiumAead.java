package dev.hardmem.internal.os;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * libsodium's AEADs in combined mode ({@code crypto_aead_*_encrypt} and {@code _decrypt}: the ciphertext followed
 * by the 16-byte tag), and for the ChaCha20 AEADs a verify-only call and the stream cipher that decrypts once the
 * tag has verified, as thin downcalls: segments in, libsodium's return value out. Lengths are the segments'
 * sizes. No argument is checked here beyond what the JDK checks for every downcall (alive, accessible, native):
 * the callers check sizes against libsodium's limits first.
 *
 * <p>Every method calls {@link Sodium#require()} before it touches a handle, so that a missing libsodium is an
 * {@link UnsupportedOperationException} naming the package, never a class that failed to initialise.
 */
public final class SodiumAead {
    /** {@code crypto_aead_xchacha20poly1305_ietf_*}: 256-bit key, 192-bit nonce. */
    public static final int XCHACHA20_POLY1305_IETF = 0;
    /** {@code crypto_aead_chacha20poly1305_ietf_*}: 256-bit key, 96-bit nonce (RFC 8439). */
    public static final int CHACHA20_POLY1305_IETF = 1;
    /** {@code crypto_aead_aes256gcm_*}: 256-bit key, 96-bit nonce. */
    public static final int AES256GCM = 2;

    private static final String[] PREFIX = {
        "crypto_aead_xchacha20poly1305_ietf", "crypto_aead_chacha20poly1305_ietf", "crypto_aead_aes256gcm"};

    private SodiumAead() {
    }

    /** The handles, made on first use, once {@link Sodium#require()} has passed. */
    private static final class Handles {
        // int encrypt(c, clen_p, m, mlen, ad, adlen, nsec, npub, k)
        private static final FunctionDescriptor ENCRYPT_SHAPE = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS);
        // int decrypt(m, mlen_p, nsec, c, clen, ad, adlen, npub, k): nsec comes before the input here
        private static final FunctionDescriptor DECRYPT_SHAPE = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS);
        // One static final field per function, so that the JIT treats each handle as a constant and can inline
        // the call; elements of a handle array are not constants.
        static final MethodHandle ENCRYPT_XCHACHA = Sodium.handle(PREFIX[0] + "_encrypt", ENCRYPT_SHAPE);
        static final MethodHandle ENCRYPT_CHACHA = Sodium.handle(PREFIX[1] + "_encrypt", ENCRYPT_SHAPE);
        static final MethodHandle ENCRYPT_AES = Sodium.handle(PREFIX[2] + "_encrypt", ENCRYPT_SHAPE);
        static final MethodHandle DECRYPT_XCHACHA = Sodium.handle(PREFIX[0] + "_decrypt", DECRYPT_SHAPE);
        static final MethodHandle DECRYPT_CHACHA = Sodium.handle(PREFIX[1] + "_decrypt", DECRYPT_SHAPE);
        static final MethodHandle DECRYPT_AES = Sodium.handle(PREFIX[2] + "_decrypt", DECRYPT_SHAPE);
        // int decrypt_detached(m, nsec, c, clen, mac, ad, adlen, npub, k): with m NULL, libsodium verifies only
        private static final FunctionDescriptor VERIFY_SHAPE = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS);
        static final MethodHandle VERIFY_XCHACHA = Sodium.handle(PREFIX[0] + "_decrypt_detached", VERIFY_SHAPE);
        static final MethodHandle VERIFY_CHACHA = Sodium.handle(PREFIX[1] + "_decrypt_detached", VERIFY_SHAPE);
        // int crypto_stream_xchacha20_xor_ic(c, m, mlen, n, uint64_t ic, k)
        static final MethodHandle XOR_XCHACHA = Sodium.handle("crypto_stream_xchacha20_xor_ic",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
        // int crypto_stream_chacha20_ietf_xor_ic(c, m, mlen, n, uint32_t ic, k)
        static final MethodHandle XOR_CHACHA = Sodium.handle("crypto_stream_chacha20_ietf_xor_ic",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS));
        static final long[] MESSAGE_BYTES_MAX = new long[PREFIX.length];
        static final MethodHandle AES_AVAILABLE =
                Sodium.handle("crypto_aead_aes256gcm_is_available", FunctionDescriptor.of(JAVA_INT));

        static {
            for (int i = 0; i < PREFIX.length; i++) {
                try {
                    MESSAGE_BYTES_MAX[i] = (long) Sodium.handle(PREFIX[i] + "_messagebytes_max",
                            FunctionDescriptor.of(JAVA_LONG)).invokeExact();
                } catch (Throwable t) {
                    throw new ExceptionInInitializerError(t);
                }
            }
        }
    }

    /**
     * {@code crypto_aead_*_encrypt(c, NULL, m, mlen, ad, adlen, NULL, npub, k)}: writes {@code m.byteSize() + 16}
     * bytes to {@code c}.
     *
     * @return libsodium's result: 0, or -1 if it refused (a message over its limit, AES-GCM on a CPU without it)
     */
    public static int encrypt(int algorithm, MemorySegment c, MemorySegment m, MemorySegment ad, MemorySegment npub,
                              MemorySegment k) {
        Sodium.require();
        MemorySegment none = MemorySegment.NULL;
        try {
            return switch (algorithm) {
                case XCHACHA20_POLY1305_IETF -> (int) Handles.ENCRYPT_XCHACHA.invokeExact(c, none, m, m.byteSize(), ad,
                        ad.byteSize(), none, npub, k);
                case CHACHA20_POLY1305_IETF -> (int) Handles.ENCRYPT_CHACHA.invokeExact(c, none, m, m.byteSize(), ad,
                        ad.byteSize(), none, npub, k);
                case AES256GCM -> (int) Handles.ENCRYPT_AES.invokeExact(c, none, m, m.byteSize(), ad, ad.byteSize(),
                        none, npub, k);
                default -> throw new IllegalArgumentException("no such algorithm: " + algorithm);
            };
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * {@code crypto_aead_*_decrypt(m, NULL, NULL, c, clen, ad, adlen, npub, k)}: verifies the tag at the end of
     * {@code c} and writes {@code c.byteSize() - 16} bytes to {@code m}. On a tag that does not verify, libsodium
     * may already have written to {@code m} (its AES-GCM decrypts before it compares) and then zeroes it: give it
     * scratch memory, never the caller's destination.
     *
     * @return libsodium's result: 0, or -1 if the tag did not verify (or {@code c} is shorter than the tag)
     */
    public static int decrypt(int algorithm, MemorySegment m, MemorySegment c, MemorySegment ad, MemorySegment npub,
                              MemorySegment k) {
        Sodium.require();
        MemorySegment none = MemorySegment.NULL;
        try {
            return switch (algorithm) {
                case XCHACHA20_POLY1305_IETF -> (int) Handles.DECRYPT_XCHACHA.invokeExact(m, none, none, c,
                        c.byteSize(), ad, ad.byteSize(), npub, k);
                case CHACHA20_POLY1305_IETF -> (int) Handles.DECRYPT_CHACHA.invokeExact(m, none, none, c,
                        c.byteSize(), ad, ad.byteSize(), npub, k);
                case AES256GCM -> (int) Handles.DECRYPT_AES.invokeExact(m, none, none, c, c.byteSize(), ad,
                        ad.byteSize(), npub, k);
                default -> throw new IllegalArgumentException("no such algorithm: " + algorithm);
            };
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * {@code crypto_aead_*_decrypt_detached(NULL, NULL, c, clen, mac, ad, adlen, npub, k)}: verifies the tag
     * {@code mac} of {@code c} and writes nothing. XChaCha20-Poly1305 and ChaCha20-Poly1305 only (libsodium's
     * AES-GCM has no verify-only call).
     *
     * @return libsodium's result: 0 if the tag verified, -1 if not
     */
    public static int verify(int algorithm, MemorySegment c, MemorySegment mac, MemorySegment ad, MemorySegment npub,
                             MemorySegment k) {
        Sodium.require();
        MemorySegment none = MemorySegment.NULL;
        try {
            return switch (algorithm) {
                case XCHACHA20_POLY1305_IETF -> (int) Handles.VERIFY_XCHACHA.invokeExact(none, none, c, c.byteSize(),
                        mac, ad, ad.byteSize(), npub, k);
                case CHACHA20_POLY1305_IETF -> (int) Handles.VERIFY_CHACHA.invokeExact(none, none, c, c.byteSize(),
                        mac, ad, ad.byteSize(), npub, k);
                default -> throw new IllegalArgumentException("no verify-only call for " + PREFIX[algorithm]);
            };
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * Decrypts {@code c} into {@code m} (the same size; the same memory, or memory apart from it) with the AEAD's
     * stream cipher from block 1, as its decryption does once the tag has verified: {@code
     * crypto_stream_xchacha20_xor_ic} or {@code crypto_stream_chacha20_ietf_xor_ic}. Call it only after
     * {@link #verify} returned 0 for the same arguments.
     */
    public static void decryptVerified(int algorithm, MemorySegment m, MemorySegment c, MemorySegment npub,
                                       MemorySegment k) {
        Sodium.require();
        try {
            int r = switch (algorithm) {
                case XCHACHA20_POLY1305_IETF -> (int) Handles.XOR_XCHACHA.invokeExact(m, c, c.byteSize(), npub, 1L, k);
                case CHACHA20_POLY1305_IETF -> (int) Handles.XOR_CHACHA.invokeExact(m, c, c.byteSize(), npub, 1, k);
                default -> throw new IllegalArgumentException("no stream cipher for " + PREFIX[algorithm]);
            };
            if (r != 0) {
                throw new IllegalStateException(PREFIX[algorithm] + ": the stream cipher refused " + c.byteSize()
                        + " bytes that hardmem checked");
            }
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@return {@code crypto_aead_*_messagebytes_max()}: the longest plaintext libsodium seals in one message} */
    public static long messageBytesMax(int algorithm) {
        Sodium.require();
        return Handles.MESSAGE_BYTES_MAX[algorithm];
    }

    /** {@return {@code crypto_aead_aes256gcm_is_available() == 1}: whether this CPU runs libsodium's AES-GCM} */
    public static boolean aes256gcmAvailable() {
        Sodium.require();
        try {
            return (int) Handles.AES_AVAILABLE.invokeExact() == 1;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@return the name of the libsodium function family behind {@code algorithm}, for messages} */
    public static String functionPrefix(int algorithm) {
        return PREFIX[algorithm];
    }
}
