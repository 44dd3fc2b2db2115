package dev.hardmem.internal.os;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * libsodium's HMAC-SHA-256/512, keyed BLAKE2b and Argon2id, as thin wrappers: segments and longs in, libsodium's
 * return code out. The decisions (sizes, limits, where state lives, what a failure means) are made by the callers
 * in {@code dev.hardmem.crypto}.
 *
 * <p>Call {@link Sodium#require()} before the first call: the handles live in a holder class that initialises on
 * first use, and a missing libsodium must be reported as {@link UnsupportedOperationException}, not as an error in a
 * class initialiser.
 *
 * <p>The hash updates and finals are critical downcalls that may take segments of the Java heap (info, a message):
 * they never block, and the callers cut long inputs into pieces so that a call never holds up the garbage collector
 * for long. HMAC's init hashes a key of any length in one call, so it is an ordinary downcall, on native segments
 * only (the caller copies a salt from the heap first). Argon2id runs for as long as its limits ask and allocates, so it is an ordinary
 * downcall, on native segments only.
 */
@SuppressWarnings("restricted") // this package is where restricted calls are allowed to live
public final class SodiumKdf {
    private SodiumKdf() {
    }

    /** The handles, made on first use, once {@link Sodium#require()} has passed. */
    private static final class Handles {
        static final Linker.Option HEAP = Linker.Option.critical(true);

        static final MethodHandle HMAC256_STATEBYTES = Sodium.handle("crypto_auth_hmacsha256_statebytes",
                FunctionDescriptor.of(JAVA_LONG));
        static final MethodHandle HMAC256_INIT = Sodium.handle("crypto_auth_hmacsha256_init",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        static final MethodHandle HMAC256_UPDATE = Sodium.handle("crypto_auth_hmacsha256_update",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), HEAP);
        static final MethodHandle HMAC256_FINAL = Sodium.handle("crypto_auth_hmacsha256_final",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), HEAP);
        static final MethodHandle HMAC512_STATEBYTES = Sodium.handle("crypto_auth_hmacsha512_statebytes",
                FunctionDescriptor.of(JAVA_LONG));
        static final MethodHandle HMAC512_INIT = Sodium.handle("crypto_auth_hmacsha512_init",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        static final MethodHandle HMAC512_UPDATE = Sodium.handle("crypto_auth_hmacsha512_update",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), HEAP);
        static final MethodHandle HMAC512_FINAL = Sodium.handle("crypto_auth_hmacsha512_final",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), HEAP);

        static final MethodHandle GENERICHASH_STATEBYTES = Sodium.handle("crypto_generichash_statebytes",
                FunctionDescriptor.of(JAVA_LONG));
        static final MethodHandle GENERICHASH_INIT = Sodium.handle("crypto_generichash_init",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG), HEAP);
        static final MethodHandle GENERICHASH_INIT_PERSONAL = Sodium.handle(
                "crypto_generichash_blake2b_init_salt_personal",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), HEAP);
        static final MethodHandle GENERICHASH_UPDATE = Sodium.handle("crypto_generichash_update",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), HEAP);
        static final MethodHandle GENERICHASH_FINAL = Sodium.handle("crypto_generichash_final",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), HEAP);

        static final MethodHandle PWHASH = Sodium.handle("crypto_pwhash", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT));
        static final MethodHandle PWHASH_STR_ALG = Sodium.handle("crypto_pwhash_str_alg",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT));
        static final MethodHandle PWHASH_STR_VERIFY = Sodium.handle("crypto_pwhash_str_verify",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        static final MethodHandle PWHASH_STR_NEEDS_REHASH = Sodium.handle("crypto_pwhash_str_needs_rehash",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        static final int ALG_ARGON2ID13 = intConstant("crypto_pwhash_alg_argon2id13");

        private static int intConstant(String name) {
            try {
                return (int) Sodium.handle(name, FunctionDescriptor.of(JAVA_INT)).invokeExact();
            } catch (Throwable t) {
                throw Libc.rethrow(t);
            }
        }
    }

    /** The Argon2id bounds libsodium reports ({@code crypto_pwhash_argon2id_*_min/max}), read once. */
    private static final class Bounds {
        static final long OPS_MIN = sizeConstant("crypto_pwhash_argon2id_opslimit_min");
        static final long OPS_MAX = sizeConstant("crypto_pwhash_argon2id_opslimit_max");
        static final long MEM_MIN = sizeConstant("crypto_pwhash_argon2id_memlimit_min");
        static final long MEM_MAX = sizeConstant("crypto_pwhash_argon2id_memlimit_max");
        static final long BYTES_MIN = sizeConstant("crypto_pwhash_argon2id_bytes_min");
        static final long BYTES_MAX = sizeConstant("crypto_pwhash_argon2id_bytes_max");
        static final long PASSWD_MAX = sizeConstant("crypto_pwhash_argon2id_passwd_max");
        static final long SALT_BYTES = sizeConstant("crypto_pwhash_argon2id_saltbytes");
        static final long STR_BYTES = sizeConstant("crypto_pwhash_argon2id_strbytes");

        /** {@return a {@code size_t} bound, capped to {@code Long.MAX_VALUE} where the C value is larger} */
        private static long sizeConstant(String name) {
            try {
                long v = (long) Sodium.handle(name, FunctionDescriptor.of(JAVA_LONG)).invokeExact();
                return v < 0 ? Long.MAX_VALUE : v;
            } catch (Throwable t) {
                throw Libc.rethrow(t);
            }
        }
    }

    // ---------------------------------------------------------------- HMAC-SHA-256 / HMAC-SHA-512

    /** {@return the size of a {@code crypto_auth_hmacsha256_state} or {@code ..512_state}} */
    public static long hmacStateBytes(boolean sha512) {
        try {
            return sha512 ? (long) Handles.HMAC512_STATEBYTES.invokeExact()
                    : (long) Handles.HMAC256_STATEBYTES.invokeExact();
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_auth_hmacsha{256,512}_init(state, key, key.byteSize())}: an ordinary call; {@code key} native */
    public static int hmacInit(boolean sha512, MemorySegment state, MemorySegment key) {
        try {
            return sha512 ? (int) Handles.HMAC512_INIT.invokeExact(state, key, key.byteSize())
                    : (int) Handles.HMAC256_INIT.invokeExact(state, key, key.byteSize());
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_auth_hmacsha{256,512}_update(state, in, in.byteSize())} */
    public static int hmacUpdate(boolean sha512, MemorySegment state, MemorySegment in) {
        try {
            return sha512 ? (int) Handles.HMAC512_UPDATE.invokeExact(state, in, in.byteSize())
                    : (int) Handles.HMAC256_UPDATE.invokeExact(state, in, in.byteSize());
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_auth_hmacsha{256,512}_final(state, out)}; {@code out} holds the hash length */
    public static int hmacFinal(boolean sha512, MemorySegment state, MemorySegment out) {
        try {
            return sha512 ? (int) Handles.HMAC512_FINAL.invokeExact(state, out)
                    : (int) Handles.HMAC256_FINAL.invokeExact(state, out);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- BLAKE2b (crypto_generichash)

    /** {@return the size of a {@code crypto_generichash_state}, which must be aligned to 64 bytes} */
    public static long blake2bStateBytes() {
        try {
            return (long) Handles.GENERICHASH_STATEBYTES.invokeExact();
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_generichash_init(state, key, key.byteSize(), outputLength)} */
    public static int blake2bInit(MemorySegment state, MemorySegment key, long outputLength) {
        try {
            return (int) Handles.GENERICHASH_INIT.invokeExact(state, key, key.byteSize(), outputLength);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * {@code crypto_generichash_blake2b_init_salt_personal(state, key, key.byteSize(), outputLength, NULL,
     * personal)}: a zero salt, and {@code personal} (16 bytes) in BLAKE2b's personalisation parameter
     */
    public static int blake2bInitPersonal(MemorySegment state, MemorySegment key, long outputLength,
                                          MemorySegment personal) {
        try {
            return (int) Handles.GENERICHASH_INIT_PERSONAL.invokeExact(state, key, key.byteSize(), outputLength,
                    MemorySegment.NULL, personal);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_generichash_update(state, in, in.byteSize())} */
    public static int blake2bUpdate(MemorySegment state, MemorySegment in) {
        try {
            return (int) Handles.GENERICHASH_UPDATE.invokeExact(state, in, in.byteSize());
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_generichash_final(state, out, out.byteSize())} */
    public static int blake2bFinal(MemorySegment state, MemorySegment out) {
        try {
            return (int) Handles.GENERICHASH_FINAL.invokeExact(state, out, out.byteSize());
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- Argon2id (crypto_pwhash)

    /** {@code crypto_pwhash(out, out.byteSize(), password, password.byteSize(), salt, ops, mem, ARGON2ID13)} */
    public static int argon2id(MemorySegment out, MemorySegment password, MemorySegment salt, long ops, long mem) {
        try {
            return (int) Handles.PWHASH.invokeExact(out, out.byteSize(), password, password.byteSize(), salt, ops,
                    mem, Handles.ALG_ARGON2ID13);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_pwhash_str_alg(out, password, password.byteSize(), ops, mem, ARGON2ID13)} */
    public static int argon2idString(MemorySegment out, MemorySegment password, long ops, long mem) {
        try {
            return (int) Handles.PWHASH_STR_ALG.invokeExact(out, password, password.byteSize(), ops, mem,
                    Handles.ALG_ARGON2ID13);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_pwhash_str_verify(string, password, password.byteSize())}; {@code string} ends in NUL */
    public static int verifyString(MemorySegment string, MemorySegment password) {
        try {
            return (int) Handles.PWHASH_STR_VERIFY.invokeExact(string, password, password.byteSize());
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code crypto_pwhash_str_needs_rehash(string, ops, mem)}; {@code string} ends in NUL */
    public static int needsRehash(MemorySegment string, long ops, long mem) {
        try {
            return (int) Handles.PWHASH_STR_NEEDS_REHASH.invokeExact(string, ops, mem);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@return {@code crypto_pwhash_argon2id_opslimit_min()}} */
    public static long argon2idOpsMin() {
        return Bounds.OPS_MIN;
    }

    /** {@return {@code crypto_pwhash_argon2id_opslimit_max()}} */
    public static long argon2idOpsMax() {
        return Bounds.OPS_MAX;
    }

    /** {@return {@code crypto_pwhash_argon2id_memlimit_min()}} */
    public static long argon2idMemMin() {
        return Bounds.MEM_MIN;
    }

    /** {@return {@code crypto_pwhash_argon2id_memlimit_max()}} */
    public static long argon2idMemMax() {
        return Bounds.MEM_MAX;
    }

    /** {@return {@code crypto_pwhash_argon2id_bytes_min()}} */
    public static long argon2idBytesMin() {
        return Bounds.BYTES_MIN;
    }

    /** {@return {@code crypto_pwhash_argon2id_bytes_max()}, capped to {@code Long.MAX_VALUE}} */
    public static long argon2idBytesMax() {
        return Bounds.BYTES_MAX;
    }

    /** {@return {@code crypto_pwhash_argon2id_passwd_max()}} */
    public static long argon2idPasswordMax() {
        return Bounds.PASSWD_MAX;
    }

    /** {@return {@code crypto_pwhash_argon2id_saltbytes()}} */
    public static long argon2idSaltBytes() {
        return Bounds.SALT_BYTES;
    }

    /** {@return {@code crypto_pwhash_argon2id_strbytes()}: the size of a verifier string with its NUL} */
    public static long argon2idStringBytes() {
        return Bounds.STR_BYTES;
    }
}
