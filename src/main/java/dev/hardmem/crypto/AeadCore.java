package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.alloc.Scratch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What sealing and opening share: the checks made before any nonce is consumed or any key is read, and the one
 * call to the backend with every argument in native memory. Heap segments are copied to native memory first (a
 * plaintext into guarded scratch memory); an output that is on the heap, or overlaps an input, is written to
 * scratch memory first and copied when the call is done. An open writes to the destination only once the tag has
 * verified: where the backend can check a tag without writing (libsodium's ChaCha20 AEADs) and the destination is
 * native, it checks, then decrypts straight into the destination; otherwise it decrypts into guarded scratch memory
 * ({@link Scratch}: this thread's slot for messages up to about 4 KiB, a block of its own above) and copies the
 * plaintext out once the tag has verified; the scratch memory is wiped on every path.
 */
final class AeadCore {
    private AeadCore() {
    }

    static void checkKey(AeadAlgorithm algorithm, Secret<SecretKind.Key> key) {
        if (key.isDestroyed()) {
            throw closedKey();
        }
        if (key.size() != algorithm.keyLength()) {
            throw new IllegalArgumentException(algorithm.displayName() + " takes a " + algorithm.keyLength()
                    + "-byte key, this one has " + key.size() + " bytes");
        }
    }

    static IllegalStateException closedKey() {
        return new IllegalStateException("the key's secret is closed");
    }

    static void checkReadable(MemorySegment segment, String name) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("the " + name + " segment is not alive: its arena is closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("the " + name + " segment is confined to another thread");
        }
    }

    static void checkPlaintextLength(AeadAlgorithm algorithm, long length, long max, String what) {
        if (length > max) {
            throw new IllegalArgumentException(what + " is " + length + " bytes, more than the " + max + " bytes "
                    + algorithm.displayName() + " can seal in one message");
        }
    }

    static void checkWritable(MemorySegment destination, long needed) {
        checkReadable(destination, "destination");
        if (destination.isReadOnly()) {
            throw new IllegalArgumentException("the destination segment is read-only");
        }
        if (destination.byteSize() < needed) {
            throw new IllegalArgumentException("the destination is " + destination.byteSize() + " bytes, "
                    + needed + " are needed");
        }
    }

    /** Seals {@code plaintext} into {@code out}, exactly {@code plaintext.byteSize() + tag} bytes. */
    static void seal(AeadBackend backend, AeadAlgorithm algorithm, Secret<SecretKind.Key> key, byte[] nonce,
                     MemorySegment plaintext, MemorySegment aad, MemorySegment out) {
        boolean direct = out.isNative() && !overlaps(out, plaintext) && !overlaps(out, aad);
        if (direct && plaintext.isNative() && aad.isNative()) {
            // The common case: everything native already, only the nonce to copy, into this thread's scratch slot.
            try (Scratch.Lease lease = Scratch.take(nonce.length)) {
                MemorySegment n = lease.memory().copyFrom(MemorySegment.ofArray(nonce));
                key.read(k -> {
                    backend.seal(algorithm, out, plaintext, aad, n, k);
                    return null;
                });
            }
            return;
        }
        try (Arena plain = Arena.ofConfined();
             SecretArena scratch = plaintext.isNative() ? null : SecretArena.ofConfined()) {
            MemorySegment n = plain.allocate(nonce.length).copyFrom(MemorySegment.ofArray(nonce));
            MemorySegment p = scratch == null ? plaintext : copy(plaintext, scratch);
            MemorySegment a = aad.isNative() ? aad : copy(aad, plain);
            MemorySegment o = direct ? out : plain.allocate(out.byteSize());
            key.read(k -> {
                backend.seal(algorithm, o, p, a, n, k);
                return null;
            });
            if (!direct) {
                MemorySegment.copy(o, 0, out, 0, o.byteSize());
            }
        }
    }

    /**
     * Opens {@code ciphertext} (followed by its tag) to the start of {@code destination}, writing there only if the
     * tag verifies: checked first, then decrypted in place where the backend can; otherwise decrypted into guarded
     * scratch memory and copied.
     *
     * @return whether the tag verified; if not, nothing was written to {@code destination}
     */
    static boolean open(AeadBackend backend, AeadAlgorithm algorithm, Secret<SecretKind.Key> key, MemorySegment nonce,
                        MemorySegment ciphertext, MemorySegment aad, MemorySegment destination) {
        long length = ciphertext.byteSize() - algorithm.tagLength();
        MemorySegment out = destination.asSlice(0, length);
        if (backend.verifiesApart(algorithm) && out.isNative() && ciphertext.isNative() && aad.isNative()
                && (out.address() == ciphertext.address() || !overlaps(out, ciphertext)) && !overlaps(out, nonce)) {
            return openApart(backend, algorithm, key, nonce, ciphertext, aad, out);
        }
        long nonceAt = (length + 15) & ~15L;
        // The plaintext, then the nonce, in one lease: this thread's scratch slot for messages up to about 4 KiB.
        try (Scratch.Lease lease = Scratch.take(nonceAt + nonce.byteSize())) {
            MemorySegment p = lease.memory().asSlice(0, length);
            MemorySegment n = nonce.isNative() ? nonce : lease.memory().asSlice(nonceAt).copyFrom(nonce);
            boolean verified;
            if (ciphertext.isNative() && aad.isNative()) {
                verified = key.read(k -> backend.open(algorithm, p, ciphertext, aad, n, k));
            } else {
                try (Arena plain = Arena.ofConfined()) {
                    MemorySegment c = ciphertext.isNative() ? ciphertext : copy(ciphertext, plain);
                    MemorySegment a = aad.isNative() ? aad : copy(aad, plain);
                    verified = key.read(k -> backend.open(algorithm, p, c, a, n, k));
                }
            }
            if (verified) {
                MemorySegment.copy(p, 0, destination, 0, length);
            }
            return verified;
        }
    }

    /**
     * Checks the tag with nothing written, then decrypts straight into {@code out} (native, apart from every input or
     * exactly in place over the ciphertext): no scratch copy of the plaintext, so no copy to make and wipe. libsodium
     * reads the ciphertext twice, as its own one-call open does.
     */
    private static boolean openApart(AeadBackend backend, AeadAlgorithm algorithm, Secret<SecretKind.Key> key,
                                     MemorySegment nonce, MemorySegment ciphertext, MemorySegment aad,
                                     MemorySegment out) {
        if (nonce.isNative()) {
            return verifyThenDecrypt(backend, algorithm, key, nonce, ciphertext, aad, out);
        }
        try (Scratch.Lease lease = Scratch.take(nonce.byteSize())) {
            MemorySegment n = lease.memory().copyFrom(nonce);
            return verifyThenDecrypt(backend, algorithm, key, n, ciphertext, aad, out);
        }
    }

    private static boolean verifyThenDecrypt(AeadBackend backend, AeadAlgorithm algorithm, Secret<SecretKind.Key> key,
                                             MemorySegment nonce, MemorySegment ciphertext, MemorySegment aad,
                                             MemorySegment out) {
        long length = out.byteSize();
        MemorySegment c = ciphertext.asSlice(0, length);
        MemorySegment tag = ciphertext.asSlice(length);
        return key.read(k -> {
            if (!backend.verify(algorithm, c, tag, aad, nonce, k)) {
                return false;
            }
            backend.decryptVerified(algorithm, out, c, nonce, k);
            return true;
        });
    }

    private static MemorySegment copy(MemorySegment source, Arena into) {
        return into.allocate(source.byteSize()).copyFrom(source);
    }

    private static boolean overlaps(MemorySegment a, MemorySegment b) {
        return a.isNative() && b.isNative() && a.asOverlappingSlice(b).isPresent();
    }
}
