package dev.hardmem.internal.os;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What sealed secrets call on every {@code read}: libsodium's HChaCha20 core and XChaCha20-Poly1305 in combined
 * mode, as critical downcalls (no thread-state transition: a 32-byte open costs a few hundred nanoseconds, and the
 * transition would be a tenth of it). Critical calls must not run long, so the callers use them for messages up to
 * {@link #CRITICAL_LIMIT} bytes and {@link SodiumAead} above. None of these calls waits on anything: the worst
 * case is a page fault on memory the kernel swapped out (a sealed secret's storage is locked best-effort only),
 * which holds up a safepoint exactly as the same read from Java code would.
 *
 * <p>Call {@link Sodium#require()} before the first call: the handles live in a holder class that initialises on
 * first use.
 */
public final class SodiumSealing {
    /** The longest message these critical downcalls take: about 10 microseconds of work. */
    public static final long CRITICAL_LIMIT = 16 * 1024;

    private SodiumSealing() {
    }

    /** The handles, made on first use, once {@link Sodium#require()} has passed. */
    private static final class Handles {
        static final Linker.Option CRITICAL = Linker.Option.critical(false);
        // int crypto_core_hchacha20(out, in, k, c)
        static final MethodHandle HCHACHA20 = Sodium.handle("crypto_core_hchacha20",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS), CRITICAL);
        static final MethodHandle ENCRYPT = Sodium.handle("crypto_aead_xchacha20poly1305_ietf_encrypt",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS,
                        ADDRESS, ADDRESS), CRITICAL);
        static final MethodHandle DECRYPT = Sodium.handle("crypto_aead_xchacha20poly1305_ietf_decrypt",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG,
                        ADDRESS, ADDRESS), CRITICAL);
    }

    /**
     * {@code crypto_core_hchacha20(out, in, k, NULL)}: 32 bytes of output from a 32-byte key and a 16-byte input,
     * with ChaCha20's standard constants. A pseudorandom function of {@code k}.
     */
    public static void hchacha20(MemorySegment out, MemorySegment in, MemorySegment k) {
        try {
            int rc = (int) Handles.HCHACHA20.invokeExact(out, in, k, MemorySegment.NULL);
            if (rc != 0) {
                throw new IllegalStateException("crypto_core_hchacha20 returned " + rc);
            }
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * XChaCha20-Poly1305 encryption of {@code m} (at most {@link #CRITICAL_LIMIT} bytes) into {@code c}
     * ({@code m.byteSize() + 16} bytes): {@code crypto_aead_xchacha20poly1305_ietf_encrypt(c, NULL, m, mlen, ad,
     * adlen, NULL, npub, k)}.
     */
    public static void encrypt(MemorySegment c, MemorySegment m, MemorySegment ad, MemorySegment npub,
                               MemorySegment k) {
        if (m.byteSize() > CRITICAL_LIMIT) {
            if (SodiumAead.encrypt(SodiumAead.XCHACHA20_POLY1305_IETF, c, m, ad, npub, k) != 0) {
                throw new IllegalStateException("crypto_aead_xchacha20poly1305_ietf_encrypt refused "
                        + m.byteSize() + " bytes");
            }
            return;
        }
        MemorySegment none = MemorySegment.NULL;
        try {
            int rc = (int) Handles.ENCRYPT.invokeExact(c, none, m, m.byteSize(), ad, ad.byteSize(), none, npub, k);
            if (rc != 0) {
                throw new IllegalStateException("crypto_aead_xchacha20poly1305_ietf_encrypt returned " + rc);
            }
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * XChaCha20-Poly1305 verification and decryption of {@code c} (the ciphertext and its 16-byte tag) into
     * {@code m}: {@code crypto_aead_xchacha20poly1305_ietf_decrypt(m, NULL, NULL, c, clen, ad, adlen, npub, k)}.
     * On failure libsodium zeroes {@code m}.
     *
     * @return whether the tag verified
     */
    public static boolean decrypt(MemorySegment m, MemorySegment c, MemorySegment ad, MemorySegment npub,
                                  MemorySegment k) {
        if (m.byteSize() > CRITICAL_LIMIT) {
            return SodiumAead.decrypt(SodiumAead.XCHACHA20_POLY1305_IETF, m, c, ad, npub, k) == 0;
        }
        MemorySegment none = MemorySegment.NULL;
        try {
            return (int) Handles.DECRYPT.invokeExact(m, none, none, c, c.byteSize(), ad, ad.byteSize(), npub, k) == 0;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
