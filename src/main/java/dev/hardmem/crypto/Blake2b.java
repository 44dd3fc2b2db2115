package dev.hardmem.crypto;

import dev.hardmem.ConstantTime;
import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Sodium;
import dev.hardmem.internal.os.SodiumKdf;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Keyed BLAKE2b (RFC 7693), as a MAC or as a key derivation function: {@code BLAKE2b(key, input)} of 16 to 64
 * bytes, with a key of 16 to 64 bytes, through libsodium's {@code crypto_generichash}.
 *
 * {@snippet :
 * try (Secret<SecretKind.Key> macKey = Secret.random(SecretKind.Key.class, 32)) {
 *     byte[] tag = new byte[32];
 *     Blake2b.mac(macKey, MemorySegment.ofArray(message), MemorySegment.ofArray(tag));
 *     boolean ok = Blake2b.verify(macKey, MemorySegment.ofArray(message), MemorySegment.ofArray(tag));
 * }
 * }
 *
 * <p>A tag is not secret: {@link #mac} writes it to any writable segment, the Java heap's included. A derived key
 * is: {@link #derive(Secret, MemorySegment, MemorySegment)} writes only to native memory, and
 * {@link #derive(Secret, MemorySegment, Class, long)} returns a new {@link Secret}. BLAKE2b's output length is
 * part of its parameters: a 32-byte output is not the first half of a 64-byte one.
 *
 * <p>{@link #mac} is plain keyed BLAKE2b, as RFC 7693 and libsodium's {@code crypto_generichash} compute it.
 * {@link #derive(Secret, MemorySegment, Class, long) derive} sets BLAKE2b's personalisation parameter to
 * {@value #DERIVE_PERSONAL} (16 bytes, NUL-padded), so a key derived with some context is never the tag of that
 * context under the same key: a key used for both gives away neither. The same derivation elsewhere is
 * libsodium's {@code crypto_generichash_blake2b_salt_personal} with a zero salt and that personalisation.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the hash state (which holds the key) and the output, until it is copied out whole, live in
 * hardmem's guarded memory and are wiped before the call returns or throws; a call that fails writes nothing;
 * {@link #verify} compares in constant time. Not guaranteed: copies libsodium makes on its own stack; values the JIT
 * keeps in registers; a destination the caller gives that is not guarded memory.
 */
public final class Blake2b {
    /** The shortest key: 16 bytes. */
    public static final int MIN_KEY_LENGTH = 16;
    /** The longest key: 64 bytes. */
    public static final int MAX_KEY_LENGTH = 64;
    /** The shortest output: 16 bytes. */
    public static final int MIN_OUTPUT_LENGTH = 16;
    /** The longest output: 64 bytes. */
    public static final int MAX_OUTPUT_LENGTH = 64;

    /** BLAKE2b's personalisation for {@code derive}, NUL-padded to 16 bytes: separates it from {@link #mac}. */
    public static final String DERIVE_PERSONAL = "hardmem.derive";

    /** libsodium declares its state aligned to 64 bytes. */
    private static final long STATE_ALIGNMENT = 64;

    private Blake2b() {
    }

    /**
     * Writes the keyed BLAKE2b of {@code message}, of {@code tag.byteSize()} bytes, to {@code tag}.
     *
     * @param key     the key: 16 to 64 bytes, of any kind but {@link SecretKind.Password}
     * @param message what is authenticated; any length, on the Java heap or not
     * @param tag     where the tag goes: 16 to 64 bytes, writable
     * @throws IllegalArgumentException      if the key or the tag has a length out of range, the key is a password,
     *                                       or {@code tag} is read-only
     * @throws IllegalStateException         if {@code key} is closed, or this thread has it open for writing, or a
     *                                       segment is not alive
     * @throws WrongThreadException          if a segment is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public static void mac(Secret<?> key, MemorySegment message, MemorySegment tag) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(tag, "tag");
        Sodium.require();
        check(key, message, tag.byteSize(), "tag");
        AeadCore.checkReadable(tag, "tag");
        if (tag.isReadOnly()) {
            throw new IllegalArgumentException("the tag segment is read-only");
        }
        hashInto(key, message, tag, false);
    }

    /**
     * {@return whether {@code tag} is the keyed BLAKE2b of {@code message}} The tag's length chooses the output
     * length; the comparison runs in constant time.
     *
     * @param key     the key: 16 to 64 bytes, of any kind but {@link SecretKind.Password}
     * @param message what was authenticated
     * @param tag     the tag to check: 16 to 64 bytes
     * @throws IllegalArgumentException      if the key or the tag has a length out of range, or the key is a
     *                                       password
     * @throws IllegalStateException         if {@code key} is closed, or this thread has it open for writing, or a
     *                                       segment is not alive
     * @throws WrongThreadException          if a segment is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public static boolean verify(Secret<?> key, MemorySegment message, MemorySegment tag) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(tag, "tag");
        Sodium.require();
        check(key, message, tag.byteSize(), "tag");
        AeadCore.checkReadable(tag, "tag");
        try (SecretArena scratch = SecretArena.ofConfined()) {
            MemorySegment expected = scratch.allocate(tag.byteSize());
            hashInto(key, message, expected, false);
            return ConstantTime.equals(expected, tag);
        }
    }

    /**
     * Derives a key from {@code key} and {@code context} into every byte of {@code destination}, which must be
     * native memory.
     *
     * @param key         the key: 16 to 64 bytes, of any kind but {@link SecretKind.Password}
     * @param context     what the derived key is for, not secret; any length, on the Java heap or not
     * @param destination where the key goes: 16 to 64 bytes, writable, native memory
     * @throws IllegalArgumentException      if the key or the destination has a length out of range, the key is a
     *                                       password, or {@code destination} is read-only or on the Java heap
     * @throws IllegalStateException         if {@code key} is closed, or this thread has it open for writing, or a
     *                                       segment is not alive
     * @throws WrongThreadException          if a segment is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public static void derive(Secret<?> key, MemorySegment context, MemorySegment destination) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(destination, "destination");
        Sodium.require();
        check(key, context, destination.byteSize(), "output");
        KdfSupport.checkDestination(destination);
        hashInto(key, context, destination, true);
    }

    /**
     * {@return a key of {@code length} bytes derived from {@code key} and {@code context}, as a new secret of
     * {@code kind}}
     *
     * @param <K>     the kind, as a type
     * @param key     the key: 16 to 64 bytes, of any kind but {@link SecretKind.Password}
     * @param context what the derived key is for, not secret; any length, on the Java heap or not
     * @param kind    the kind of the new secret
     * @param length  the number of bytes: 16 to 64
     * @throws IllegalArgumentException      if the key or {@code length} is out of range, or the key is a password
     * @throws IllegalStateException         if {@code key} is closed, or this thread has it open for writing, or
     *                                       {@code context} is not alive
     * @throws WrongThreadException          if {@code context} is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public static <K extends SecretKind> Secret<K> derive(Secret<?> key, MemorySegment context, Class<K> kind,
                                                          long length) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(kind, "kind");
        Sodium.require();
        check(key, context, length, "output");
        return Secret.withContents(kind, length, out -> hashInto(key, context, out, true));
    }

    private static void check(Secret<?> key, MemorySegment input, long outputLength, String output) {
        KdfSupport.checkNotPassword(key, "key");
        KdfSupport.checkLength("a BLAKE2b key", key.size(), MIN_KEY_LENGTH, MAX_KEY_LENGTH);
        KdfSupport.checkLength("a BLAKE2b " + output, outputLength, MIN_OUTPUT_LENGTH, MAX_OUTPUT_LENGTH);
        AeadCore.checkReadable(input, output.equals("tag") ? "message" : "context");
    }

    /**
     * BLAKE2b(key, input) into a guarded buffer, then copied whole to {@code out}; personalised with
     * {@link #DERIVE_PERSONAL} for a derivation.
     */
    private static void hashInto(Secret<?> key, MemorySegment input, MemorySegment out, boolean derivation) {
        try (SecretArena scratch = SecretArena.ofConfined()) {
            MemorySegment state = scratch.allocate(SodiumKdf.blake2bStateBytes(), STATE_ALIGNMENT);
            MemorySegment result = scratch.allocate(out.byteSize());
            MemorySegment personal = derivation ? personal(scratch) : null;
            key.read(k -> {
                int r = derivation ? SodiumKdf.blake2bInitPersonal(state, k, out.byteSize(), personal)
                        : SodiumKdf.blake2bInit(state, k, out.byteSize());
                KdfSupport.succeeded(r, "BLAKE2b init");
                return null;
            });
            KdfSupport.feed(SodiumKdf::blake2bUpdate, state, input, "BLAKE2b update");
            KdfSupport.succeeded(SodiumKdf.blake2bFinal(state, result), "BLAKE2b final");
            MemorySegment.copy(result, 0, out, 0, out.byteSize());
        }
    }

    private static MemorySegment personal(SecretArena scratch) {
        MemorySegment p = scratch.allocate(16);
        byte[] name = DERIVE_PERSONAL.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(MemorySegment.ofArray(name), 0, p, 0, name.length);
        return p;
    }
}
