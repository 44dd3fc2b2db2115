package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Sodium;
import dev.hardmem.internal.os.SodiumKdf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Argon2id (RFC 9106, version 1.3), the password hash, through libsodium's {@code crypto_pwhash}: a key derived
 * from a password {@link Secret} into a key {@code Secret}, and the verifier string that stores a password hash.
 *
 * {@snippet :
 * Argon2id argon2 = Argon2id.INTERACTIVE;
 * try (Secret<SecretKind.Password> password = Secret.fromCharsWiping(SecretKind.Password.class, typed)) {
 *     String stored = argon2.hash(password);                    // "$argon2id$v=19$m=65536,t=2,p=1$..."
 *     boolean ok = Argon2id.verify(stored, password);
 *     try (Secret<SecretKind.Key> key = argon2.deriveKey(password, MemorySegment.ofArray(salt),
 *             SecretKind.Key.class, 32)) {
 *         use(key);
 *     }
 * }
 * }
 *
 * <p>An instance is a pair of limits: {@link #opsLimit()}, the number of passes over memory, and
 * {@link #memLimit()}, the memory used, in bytes. {@link #INTERACTIVE}, {@link #MODERATE} and {@link #SENSITIVE}
 * are libsodium's presets; {@link #of} checks other values against libsodium's bounds. Argon2id runs in the calling
 * thread for as long as its limits ask (tens of milliseconds to seconds): on a virtual thread, the carrier is
 * pinned meanwhile.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the password is read from its {@code Secret} in place; a derived key goes straight into a new
 * {@code Secret} or a native segment the caller gives; no password or key byte is put on the Java heap. Not
 * guaranteed: Argon2's working memory ({@link #memLimit()} bytes, filled from the password) is mapped by libsodium
 * itself: it is not locked, not excluded from core dumps while the hash runs, and is unmapped afterwards; copies
 * libsodium makes on its own stack; values the JIT keeps in registers. The verifier string is not secret (it holds
 * the salt and the hash, as a database stores them), so it is a {@code String}.
 */
public final class Argon2id {
    /** The salt length Argon2id takes here: 16 bytes ({@code crypto_pwhash_SALTBYTES}). */
    public static final int SALT_LENGTH = 16;

    /** libsodium's interactive limits: 2 passes over 64 MiB. */
    public static final Argon2id INTERACTIVE = new Argon2id(2, 64L << 20);
    /** libsodium's moderate limits: 3 passes over 256 MiB. */
    public static final Argon2id MODERATE = new Argon2id(3, 256L << 20);
    /** libsodium's sensitive limits: 4 passes over 1 GiB. */
    public static final Argon2id SENSITIVE = new Argon2id(4, 1L << 30);

    private final long opsLimit;
    private final long memLimit;

    private Argon2id(long opsLimit, long memLimit) {
        this.opsLimit = opsLimit;
        this.memLimit = memLimit;
    }

    /**
     * {@return Argon2id with {@code opsLimit} passes over {@code memLimit} bytes}
     *
     * @param opsLimit the number of passes: libsodium's {@code crypto_pwhash_argon2id_opslimit_min()} (1) to
     *                 {@code _max()} (2<sup>32</sup> - 1)
     * @param memLimit the memory, in bytes: {@code crypto_pwhash_argon2id_memlimit_min()} (8 KiB) to
     *                 {@code _max()} (4 TiB on 64-bit systems)
     * @throws IllegalArgumentException      if a limit is out of range; the message names the bounds
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public static Argon2id of(long opsLimit, long memLimit) {
        Sodium.require();
        if (opsLimit < SodiumKdf.argon2idOpsMin() || opsLimit > SodiumKdf.argon2idOpsMax()) {
            throw new IllegalArgumentException("the Argon2id opsLimit must be " + SodiumKdf.argon2idOpsMin()
                    + " to " + SodiumKdf.argon2idOpsMax() + ", was " + opsLimit);
        }
        if (memLimit < SodiumKdf.argon2idMemMin() || memLimit > SodiumKdf.argon2idMemMax()) {
            throw new IllegalArgumentException("the Argon2id memLimit must be " + SodiumKdf.argon2idMemMin()
                    + " to " + SodiumKdf.argon2idMemMax() + " bytes, was " + memLimit);
        }
        return new Argon2id(opsLimit, memLimit);
    }

    /** {@return the number of passes over memory} */
    public long opsLimit() {
        return opsLimit;
    }

    /** {@return the memory used, in bytes} */
    public long memLimit() {
        return memLimit;
    }

    // ---------------------------------------------------------------- key derivation

    /**
     * {@return a key of {@code length} bytes derived from {@code password} and {@code salt}, as a new secret of
     * {@code kind}}
     *
     * @param <K>      the kind, as a type
     * @param password the password
     * @param salt     16 bytes, not secret, unique per password; on the Java heap or not
     * @param kind     the kind of the new secret
     * @param length   the number of bytes: {@code crypto_pwhash_argon2id_bytes_min()} (16) to {@code _max()}
     *                 (2<sup>32</sup> - 1)
     * @throws IllegalArgumentException      if {@code salt} is not 16 bytes, {@code length} is out of range, or the
     *                                       password is longer than libsodium takes
     * @throws IllegalStateException         if {@code password} is closed, or this thread has it open for writing,
     *                                       or {@code salt} is not alive, or libsodium cannot have the memory
     * @throws WrongThreadException          if {@code salt} is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public <K extends SecretKind> Secret<K> deriveKey(Secret<SecretKind.Password> password, MemorySegment salt,
                                                      Class<K> kind, long length) {
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(kind, "kind");
        Sodium.require();
        checkDerive(password, salt, length);
        return Secret.withContents(kind, length, out -> deriveInto(password, salt, out));
    }

    /**
     * Derives a key from {@code password} and {@code salt} into every byte of {@code destination}, which must be
     * native memory. Nothing is written to it unless the whole key is computed.
     *
     * @param password    the password
     * @param salt        16 bytes, not secret, unique per password; on the Java heap or not
     * @param destination where the key goes: {@code crypto_pwhash_argon2id_bytes_min()} (16) to {@code _max()}
     *                    bytes, writable, native memory
     * @throws IllegalArgumentException      if {@code salt} is not 16 bytes, {@code destination} has a length out
     *                                       of range or is read-only or on the Java heap, or the password is longer
     *                                       than libsodium takes
     * @throws IllegalStateException         if {@code password} is closed, or this thread has it open for writing,
     *                                       or a segment is not alive, or libsodium cannot have the memory
     * @throws WrongThreadException          if a segment is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public void deriveKey(Secret<SecretKind.Password> password, MemorySegment salt, MemorySegment destination) {
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(destination, "destination");
        Sodium.require();
        checkDerive(password, salt, destination.byteSize());
        KdfSupport.checkDestination(destination);
        try (SecretArena scratch = SecretArena.ofConfined()) {
            MemorySegment out = scratch.allocate(destination.byteSize());
            deriveInto(password, salt, out);
            MemorySegment.copy(out, 0, destination, 0, out.byteSize());
        }
    }

    private void checkDerive(Secret<SecretKind.Password> password, MemorySegment salt, long length) {
        checkPassword(password);
        AeadCore.checkReadable(salt, "salt");
        if (salt.byteSize() != SALT_LENGTH) {
            throw new IllegalArgumentException("an Argon2id salt must be " + SALT_LENGTH + " bytes, was "
                    + salt.byteSize());
        }
        KdfSupport.checkLength("an Argon2id output", length, SodiumKdf.argon2idBytesMin(),
                SodiumKdf.argon2idBytesMax());
    }

    private static void checkPassword(Secret<SecretKind.Password> password) {
        KdfSupport.checkOpen(password, "password");
        if (password.size() > SodiumKdf.argon2idPasswordMax()) {
            throw new IllegalArgumentException("an Argon2id password must be at most "
                    + SodiumKdf.argon2idPasswordMax() + " bytes, was " + password.size());
        }
    }

    /** Argon2id into {@code out} (native); the salt copied to native memory first, as the call is not critical. */
    private void deriveInto(Secret<SecretKind.Password> password, MemorySegment salt, MemorySegment out) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeSalt = arena.allocate(SALT_LENGTH);
            MemorySegment.copy(salt, 0, nativeSalt, 0, SALT_LENGTH);
            int r = password.read(p -> SodiumKdf.argon2id(out, p, nativeSalt, opsLimit, memLimit));
            if (r != 0) {
                throw outOfMemory();
            }
        }
    }

    private IllegalStateException outOfMemory() {
        return new IllegalStateException("Argon2id failed: libsodium could not have the " + memLimit
                + " bytes of memory it asks for");
    }

    // ---------------------------------------------------------------- verifier strings

    /**
     * {@return a verifier string for {@code password}, with a fresh random salt and these limits} It is ASCII, in
     * the PHC format ({@code $argon2id$v=19$m=65536,t=2,p=1$salt$hash}), and at most 127 characters; store it,
     * and check a password against it with {@link #verify}.
     *
     * @param password the password
     * @throws IllegalArgumentException      if the password is longer than libsodium takes
     * @throws IllegalStateException         if {@code password} is closed, or this thread has it open for writing,
     *                                       or libsodium cannot have the memory
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public String hash(Secret<SecretKind.Password> password) {
        Objects.requireNonNull(password, "password");
        Sodium.require();
        checkPassword(password);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(SodiumKdf.argon2idStringBytes());
            int r = password.read(p -> SodiumKdf.argon2idString(out, p, opsLimit, memLimit));
            if (r != 0) {
                throw outOfMemory();
            }
            return out.getString(0, StandardCharsets.US_ASCII);
        }
    }

    /**
     * {@return whether {@code password} is the password {@code verifier} was made from} The limits are those
     * written in the string, not this class's: a string made with other limits verifies, and
     * {@link #needsRehash} tells whether to replace it. Strings of Argon2i (libsodium's earlier default) verify
     * too. The comparison of the hashes runs in constant time (libsodium's).
     *
     * <p>The string is trusted to name sensible limits: one that asks for 4 TiB makes this method ask libsodium for
     * 4 TiB.
     *
     * @param verifier a string made by {@link #hash} (or by libsodium's {@code crypto_pwhash_str})
     * @param password the password to check
     * @throws IllegalArgumentException      if {@code verifier} is not a verifier string of Argon2, or the password
     *                                       is longer than libsodium takes
     * @throws IllegalStateException         if {@code password} is closed, or this thread has it open for writing
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public static boolean verify(String verifier, Secret<SecretKind.Password> password) {
        Objects.requireNonNull(verifier, "verifier");
        Objects.requireNonNull(password, "password");
        Sodium.require();
        checkPassword(password);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment string = verifierString(verifier, arena);
            return password.read(p -> SodiumKdf.verifyString(string, p)) == 0;
        }
    }

    /**
     * {@return whether {@code verifier} was made with other limits than these, or with Argon2i: a string to
     * replace with a new {@link #hash} once the password has been verified}
     *
     * @param verifier a string made by {@link #hash} (or by libsodium's {@code crypto_pwhash_str})
     * @throws IllegalArgumentException      if {@code verifier} is not a verifier string of Argon2
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public boolean needsRehash(String verifier) {
        Objects.requireNonNull(verifier, "verifier");
        Sodium.require();
        try (Arena arena = Arena.ofConfined()) {
            // libsodium answers for the algorithm the string names, comparing the limits only: an Argon2i string
            // with these limits would pass. It is checked (and refused if it is not Argon2 at all) first.
            int r = SodiumKdf.needsRehash(verifierString(verifier, arena), opsLimit, memLimit);
            return r != 0 || !verifier.startsWith("$argon2id$");
        }
    }

    /**
     * {@return {@code verifier} as a NUL-terminated C string} Refuses what is not printable ASCII, is too long, or
     * does not parse as an Argon2 string ({@code crypto_pwhash_str_needs_rehash} answers -1).
     */
    private static MemorySegment verifierString(String verifier, Arena arena) {
        long max = SodiumKdf.argon2idStringBytes() - 1;
        if (verifier.length() > max) {
            throw notAVerifier("it is " + verifier.length() + " characters, more than " + max);
        }
        for (int i = 0; i < verifier.length(); i++) {
            char c = verifier.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw notAVerifier("it holds a character that is not printable ASCII at index " + i);
            }
        }
        MemorySegment s = arena.allocateFrom(verifier, StandardCharsets.US_ASCII);
        if (SodiumKdf.needsRehash(s, SodiumKdf.argon2idOpsMin(), SodiumKdf.argon2idMemMin()) < 0) {
            throw notAVerifier("it does not parse as $argon2id$v=19$m=..,t=..,p=..$salt$hash");
        }
        return s;
    }

    private static IllegalArgumentException notAVerifier(String why) {
        return new IllegalArgumentException("not an Argon2 verifier string: " + why);
    }

    /** {@return whether {@code o} is an {@code Argon2id} with the same limits} */
    @Override
    public boolean equals(Object o) {
        return o instanceof Argon2id a && a.opsLimit == opsLimit && a.memLimit == memLimit;
    }

    /** {@return a hash code of the limits} */
    @Override
    public int hashCode() {
        return Long.hashCode(opsLimit) * 31 + Long.hashCode(memLimit);
    }

    /** {@return {@code Argon2id[opsLimit=N, memLimit=N]}} */
    @Override
    public String toString() {
        return "Argon2id[opsLimit=" + opsLimit + ", memLimit=" + memLimit + "]";
    }
}
