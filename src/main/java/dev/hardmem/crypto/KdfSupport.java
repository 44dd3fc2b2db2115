package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;

import java.lang.foreign.MemorySegment;

/**
 * The checks and the chunked feeding shared by {@link Hkdf}, {@link Blake2b} and {@link Argon2id}: made before any
 * secret is read or any byte written, so a refused call changes nothing.
 */
final class KdfSupport {
    /**
     * Bytes fed to one hash update: the updates are critical downcalls, which hold up the garbage collector while
     * they run, so a long input goes in pieces.
     */
    private static final long CHUNK = 1L << 20;

    private KdfSupport() {
    }

    /** A libsodium update function: feeds {@code in} to {@code state}, returns 0 on success. */
    @FunctionalInterface
    interface Update {
        int apply(MemorySegment state, MemorySegment in);
    }

    /**
     * Throws unless {@code destination} can receive secret output: alive, accessible, writable, and native memory
     * (a key written to the Java heap could be copied by the garbage collector and never wiped).
     */
    static void checkDestination(MemorySegment destination) {
        AeadCore.checkReadable(destination, "destination");
        if (destination.isReadOnly()) {
            throw new IllegalArgumentException("the destination segment is read-only");
        }
        if (!destination.isNative()) {
            throw new IllegalArgumentException("the destination segment is on the Java heap, where a derived key"
                    + " cannot be wiped: give a segment of a SecretArena");
        }
    }

    /** Throws if {@code secret} is closed: checked first, so a closed secret is never refused for its size. */
    static void checkOpen(Secret<?> secret, String name) {
        if (secret.isDestroyed()) {
            throw new IllegalStateException("the " + name + " is closed");
        }
    }

    /** Throws unless {@code secret} is open and may serve as keying material: a password is not a key. */
    static void checkNotPassword(Secret<?> secret, String name) {
        checkOpen(secret, name);
        if (secret.kind() == SecretKind.Password.class) {
            throw new IllegalArgumentException("the " + name + " is a SecretKind.Password, which has too little"
                    + " entropy for this function: derive a key from it with Argon2id");
        }
    }

    /** Throws unless {@code length} is in {@code [min, max]}, naming {@code what} and the bounds. */
    static void checkLength(String what, long length, long min, long max) {
        if (length < min || length > max) {
            throw new IllegalArgumentException(what + " must be " + min + " to " + max + " bytes, was " + length);
        }
    }

    /** Feeds {@code in} to {@code update} in pieces of at most {@link #CHUNK} bytes. */
    static void feed(Update update, MemorySegment state,
                     MemorySegment in, String what) {
        long n = in.byteSize();
        if (n == 0) {
            succeeded(update.apply(state, in), what);
            return;
        }
        for (long at = 0; at < n; at += CHUNK) {
            succeeded(update.apply(state, in.asSlice(at, Math.min(CHUNK, n - at))), what);
        }
    }

    /** Throws if libsodium's {@code what} returned anything but 0, which the checks made first rule out. */
    static void succeeded(int result, String what) {
        if (result != 0) {
            throw new IllegalStateException("libsodium's " + what + " failed (returned " + result + ")");
        }
    }
}
