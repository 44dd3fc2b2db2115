package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Sodium;
import dev.hardmem.internal.os.SodiumKdf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * HKDF (RFC 5869) with HMAC-SHA-256 or HMAC-SHA-512, from a secret to a secret: extract a pseudorandom key from
 * input keying material, expand it into as many bytes as asked, or both at once.
 *
 * {@snippet :
 * try (Secret<SecretKind.Seed> shared = Secret.random(SecretKind.Seed.class, 32);
 *      Secret<SecretKind.Key> key = Hkdf.SHA256.derive(shared, MemorySegment.ofArray(salt),
 *              MemorySegment.ofArray("my app v1 encryption".getBytes(StandardCharsets.UTF_8)),
 *              SecretKind.Key.class, 32)) {
 *     use(key);
 * }
 * }
 *
 * <p>The HMAC is libsodium's ({@code crypto_auth_hmacsha256}, {@code crypto_auth_hmacsha512}), which must be
 * installed; HKDF itself is built here on its incremental functions, since libsodium has it only from 1.0.19.
 * Salt and info are not secret: they may be segments of the Java heap ({@code MemorySegment.ofArray}) or of any
 * arena. Keying material is read from {@link Secret}s, and output goes to a new {@code Secret} or to a native
 * segment the caller gives (a {@link SecretArena}'s).
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the HMAC states, the pseudorandom key of {@link #derive derive} and every output block live in
 * hardmem's guarded memory (a {@link SecretArena}) and are wiped before the call returns or throws; the output is
 * written to the destination only once it is whole, so a call that fails writes nothing; no secret byte is put on
 * the Java heap. Not guaranteed: copies libsodium makes on its own stack (its HMAC keeps block-sized buffers there,
 * which it wipes); values the JIT keeps in registers; a destination the caller gives that is not guarded memory.
 */
public enum Hkdf {
    /** HKDF with HMAC-SHA-256: 32-byte blocks, at most 8160 bytes of output. */
    SHA256(32, false),
    /** HKDF with HMAC-SHA-512: 64-byte blocks, at most 16320 bytes of output. */
    SHA512(64, true);

    private final int hashLength;
    private final boolean sha512;

    Hkdf(int hashLength, boolean sha512) {
        this.hashLength = hashLength;
        this.sha512 = sha512;
    }

    /** {@return the length of the hash, in bytes: 32 or 64; also the length of a pseudorandom key} */
    public int hashLength() {
        return hashLength;
    }

    /** {@return the most bytes one expansion gives: 255 times {@link #hashLength()} (RFC 5869, section 2.3)} */
    public long maxOutputLength() {
        return 255L * hashLength;
    }

    // ---------------------------------------------------------------- extract

    /**
     * {@return the pseudorandom key {@code HMAC(salt, ikm)}: {@link #hashLength()} bytes, as a new secret} An empty
     * salt is the RFC's "not provided", the same as {@code hashLength()} zeros.
     *
     * @param salt the salt, not secret; may be empty, and on the Java heap
     * @param ikm  the input keying material, of any kind but {@link SecretKind.Password}
     * @throws IllegalArgumentException      if {@code ikm} is a password
     * @throws IllegalStateException         if {@code ikm} is closed, or this thread has it open for writing, or
     *                                       {@code salt} is not alive
     * @throws WrongThreadException          if {@code salt} is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public Secret<SecretKind.Key> extract(MemorySegment salt, Secret<?> ikm) {
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(ikm, "ikm");
        Sodium.require();
        AeadCore.checkReadable(salt, "salt");
        KdfSupport.checkNotPassword(ikm, "input keying material");
        return Secret.withContents(SecretKind.Key.class, hashLength,
                prk -> ikm.read(in -> {
                    extractInto(salt, in, prk);
                    return null;
                }));
    }

    // ---------------------------------------------------------------- expand

    /**
     * Expands {@code prk} with {@code info} into every byte of {@code destination}, which must be native memory.
     * Nothing is written to it unless the whole output is computed.
     *
     * @param prk         the pseudorandom key, at least {@link #hashLength()} bytes, of any kind but a password
     * @param info        context and application information, not secret; may be empty, and on the Java heap
     * @param destination where the output goes: 1 to {@link #maxOutputLength()} bytes, writable, native memory
     * @throws IllegalArgumentException      if {@code prk} is shorter than the hash or is a password, or
     *                                       {@code destination} is empty, longer than {@link #maxOutputLength()},
     *                                       read-only or on the Java heap
     * @throws IllegalStateException         if {@code prk} is closed, or this thread has it open for writing, or a
     *                                       segment is not alive
     * @throws WrongThreadException          if a segment is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public void expand(Secret<?> prk, MemorySegment info, MemorySegment destination) {
        Objects.requireNonNull(prk, "prk");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(destination, "destination");
        Sodium.require();
        checkExpand(prk, info, destination.byteSize());
        KdfSupport.checkDestination(destination);
        prk.read(p -> {
            expandInto(p, info, destination);
            return null;
        });
    }

    /**
     * {@return {@code length} bytes expanded from {@code prk} with {@code info}, as a new secret of {@code kind}}
     *
     * @param <K>    the kind, as a type
     * @param prk    the pseudorandom key, at least {@link #hashLength()} bytes, of any kind but a password
     * @param info   context and application information, not secret; may be empty, and on the Java heap
     * @param kind   the kind of the new secret
     * @param length the number of bytes: 1 to {@link #maxOutputLength()}
     * @throws IllegalArgumentException      if {@code prk} is shorter than the hash or is a password, or
     *                                       {@code length} is out of range
     * @throws IllegalStateException         if {@code prk} is closed, or this thread has it open for writing, or
     *                                       {@code info} is not alive
     * @throws WrongThreadException          if {@code info} is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public <K extends SecretKind> Secret<K> expand(Secret<?> prk, MemorySegment info, Class<K> kind, long length) {
        Objects.requireNonNull(prk, "prk");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(kind, "kind");
        Sodium.require();
        checkExpand(prk, info, length);
        return Secret.withContents(kind, length, out -> prk.read(p -> {
            expandInto(p, info, out);
            return null;
        }));
    }

    // ---------------------------------------------------------------- extract, then expand

    /**
     * Extracts a pseudorandom key from {@code ikm} and {@code salt}, then expands it with {@code info} into every
     * byte of {@code destination}. The pseudorandom key lives only in guarded memory, wiped before this returns.
     * Nothing is written to {@code destination} unless the whole output is computed.
     *
     * @param ikm         the input keying material, of any kind but {@link SecretKind.Password}
     * @param salt        the salt, not secret; may be empty, and on the Java heap
     * @param info        context and application information, not secret; may be empty, and on the Java heap
     * @param destination where the output goes: 1 to {@link #maxOutputLength()} bytes, writable, native memory
     * @throws IllegalArgumentException      if {@code ikm} is a password, or {@code destination} is empty, longer
     *                                       than {@link #maxOutputLength()}, read-only or on the Java heap
     * @throws IllegalStateException         if {@code ikm} is closed, or this thread has it open for writing, or
     *                                       a segment is not alive
     * @throws WrongThreadException          if a segment is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public void derive(Secret<?> ikm, MemorySegment salt, MemorySegment info, MemorySegment destination) {
        Objects.requireNonNull(ikm, "ikm");
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(destination, "destination");
        Sodium.require();
        checkDerive(ikm, salt, info, destination.byteSize());
        KdfSupport.checkDestination(destination);
        deriveInto(ikm, salt, info, destination);
    }

    /**
     * {@return {@code length} bytes extracted from {@code ikm} and {@code salt}, then expanded with {@code info},
     * as a new secret of {@code kind}} The pseudorandom key lives only in guarded memory, wiped before this
     * returns.
     *
     * @param <K>    the kind, as a type
     * @param ikm    the input keying material, of any kind but {@link SecretKind.Password}
     * @param salt   the salt, not secret; may be empty, and on the Java heap
     * @param info   context and application information, not secret; may be empty, and on the Java heap
     * @param kind   the kind of the new secret
     * @param length the number of bytes: 1 to {@link #maxOutputLength()}
     * @throws IllegalArgumentException      if {@code ikm} is a password, or {@code length} is out of range
     * @throws IllegalStateException         if {@code ikm} is closed, or this thread has it open for writing, or
     *                                       a segment is not alive
     * @throws WrongThreadException          if a segment is confined to another thread
     * @throws UnsupportedOperationException if libsodium is missing, naming the package to install
     */
    public <K extends SecretKind> Secret<K> derive(Secret<?> ikm, MemorySegment salt, MemorySegment info,
                                                   Class<K> kind, long length) {
        Objects.requireNonNull(ikm, "ikm");
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(kind, "kind");
        Sodium.require();
        checkDerive(ikm, salt, info, length);
        return Secret.withContents(kind, length, out -> deriveInto(ikm, salt, info, out));
    }

    // ---------------------------------------------------------------- the algorithm

    private void checkExpand(Secret<?> prk, MemorySegment info, long length) {
        KdfSupport.checkNotPassword(prk, "pseudorandom key");
        if (prk.size() < hashLength) {
            throw new IllegalArgumentException("the pseudorandom key must be at least " + hashLength + " bytes for "
                    + this + ", was " + prk.size());
        }
        AeadCore.checkReadable(info, "info");
        KdfSupport.checkLength(this + " output", length, 1, maxOutputLength());
    }

    private void checkDerive(Secret<?> ikm, MemorySegment salt, MemorySegment info, long length) {
        KdfSupport.checkNotPassword(ikm, "input keying material");
        AeadCore.checkReadable(salt, "salt");
        AeadCore.checkReadable(info, "info");
        KdfSupport.checkLength(this + " output", length, 1, maxOutputLength());
    }

    private void deriveInto(Secret<?> ikm, MemorySegment salt, MemorySegment info, MemorySegment out) {
        try (SecretArena scratch = SecretArena.ofConfined()) {
            MemorySegment prk = scratch.allocate(hashLength);
            ikm.read(in -> {
                extractInto(salt, in, prk);
                return null;
            });
            expandInto(prk, info, out);
        }
    }

    /**
     * PRK = HMAC(salt, ikm), into {@code prk}; the HMAC state in guarded memory. HMAC's init hashes a key longer than a
     * block in one call, of any length: so it is an ordinary downcall, which cannot read the Java heap, and a salt on
     * the heap is copied to native scratch memory first (a critical call would hold up the garbage collector for
     * as long as the hashing takes).
     */
    private void extractInto(MemorySegment salt, MemorySegment ikm, MemorySegment prk) {
        try (SecretArena scratch = SecretArena.ofConfined()) {
            MemorySegment state = scratch.allocate(SodiumKdf.hmacStateBytes(sha512), Long.BYTES);
            MemorySegment key = salt;
            if (!salt.isNative()) {
                key = scratch.allocate(salt.byteSize());
                MemorySegment.copy(salt, 0, key, 0, salt.byteSize());
            }
            KdfSupport.succeeded(SodiumKdf.hmacInit(sha512, state, key), "HMAC init");
            KdfSupport.feed(this::update, state, ikm, "HMAC update");
            KdfSupport.succeeded(SodiumKdf.hmacFinal(sha512, state, prk), "HMAC final");
        }
    }

    /**
     * T(i) = HMAC(prk, T(i-1) | info | i), every block in guarded memory, then the first {@code out.byteSize()}
     * bytes copied to {@code out} in one go. The key is set once and the keyed state copied for each block.
     */
    private void expandInto(MemorySegment prk, MemorySegment info, MemorySegment out) {
        long length = out.byteSize();
        int blocks = (int) ((length + hashLength - 1) / hashLength);
        long stateBytes = SodiumKdf.hmacStateBytes(sha512);
        try (SecretArena scratch = SecretArena.ofConfined()) {
            MemorySegment keyed = scratch.allocate(stateBytes, Long.BYTES);
            MemorySegment state = scratch.allocate(stateBytes, Long.BYTES);
            MemorySegment t = scratch.allocate((long) blocks * hashLength);
            MemorySegment counter = scratch.allocate(1);
            KdfSupport.succeeded(SodiumKdf.hmacInit(sha512, keyed, prk), "HMAC init");
            for (int i = 1; i <= blocks; i++) {
                MemorySegment.copy(keyed, 0, state, 0, stateBytes);
                if (i > 1) {
                    KdfSupport.feed(this::update, state, t.asSlice((long) (i - 2) * hashLength, hashLength),
                            "HMAC update");
                }
                KdfSupport.feed(this::update, state, info, "HMAC update");
                counter.set(ValueLayout.JAVA_BYTE, 0, (byte) i);
                KdfSupport.feed(this::update, state, counter, "HMAC update");
                KdfSupport.succeeded(SodiumKdf.hmacFinal(sha512, state, t.asSlice((long) (i - 1) * hashLength,
                        hashLength)), "HMAC final");
            }
            MemorySegment.copy(t, 0, out, 0, length);
        }
    }

    private int update(MemorySegment state, MemorySegment in) {
        return SodiumKdf.hmacUpdate(sha512, state, in);
    }

    /** {@return {@code HKDF-SHA256} or {@code HKDF-SHA512}} */
    @Override
    public String toString() {
        return "HKDF-" + name();
    }
}
