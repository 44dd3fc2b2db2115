package dev.hardmem.sealed;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.Leaks;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.Zeros;
import dev.hardmem.internal.os.SodiumSealing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The memory and lock of one {@link SealedSecret}: its ciphertext at rest, the key it is sealed under, and whether it
 * is closed. The {@link Vault} holds every live one, so that a rekey can move it; it is also the secret's cleanup
 * action (run by {@code close()} or by the leak watcher), so it never refers to the secret.
 *
 * <h2>At rest</h2>
 * {@code storage} holds the nonce (24 random bytes, fresh at every seal), the XChaCha20-Poly1305 ciphertext of the
 * {@code size} plaintext bytes, and the 16-byte tag. The associated data is this secret's {@code id}, held on the
 * Java heap, never read from the storage: a ciphertext copied into another secret's storage does not verify there.
 *
 * <h2>In scratch memory, while a call runs</h2>
 * <pre>
 *   0   key   32 bytes: the process key, derived, used for one AEAD call, zeroed at once
 *   32  aad    8 bytes: the id, little-endian
 *   40  nonce 24 bytes: a new nonce, until the ciphertext under it is written
 *   64  plain  size bytes
 *   ..  work   {@link ProcessKey#WORK_BYTES}, 64-byte aligned: the shielded hash's state
 * </pre>
 * The lease that holds it zeroes it all when it closes.
 */
final class SealedState implements Runnable {
    static final int NONCE = 24;
    static final int TAG = 16;
    private static final int AAD_AT = 32;
    private static final int NONCE_AT = 40;
    private static final int PLAIN_AT = 64;
    private static final ValueLayout.OfLong ID = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final long id;
    final long size;
    final SealingMode mode;
    private final GuardedHeap heap;
    private final Block storage;
    private final Throwable site;
    /** Many readers or one writer; a rekey moving this secret, and the cleanup, hold it exclusively. */
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** The key the storage is sealed under; null until the first seal. Guarded by {@link #lock}. */
    private ProcessKey key;
    volatile boolean closed;
    /** Found not to verify by a rekey: every open throws, no key is derived. Guarded by {@link #lock}. */
    private boolean corrupt;

    SealedState(long id, long size, SealingMode mode, GuardedHeap heap) {
        this.id = id;
        this.size = size;
        this.mode = mode;
        this.heap = heap;
        this.storage = heap.allocate(size + NONCE + TAG, 16);
        this.site = Leaks.site("SealedSecret");
    }

    /** {@return the bytes of scratch memory a call on this secret needs} */
    long scratchBytes() {
        long work = (PLAIN_AT + size + 63) & ~63L;
        return mode == SealingMode.SHIELDED ? work + ProcessKey.WORK_BYTES : PLAIN_AT + size;
    }

    /** {@return the plaintext's place in {@code scratch}} */
    MemorySegment plain(MemorySegment scratch) {
        return scratch.asSlice(PLAIN_AT, size);
    }

    /** {@return the key this secret is sealed under, or null before its first seal} The caller holds the lock. */
    ProcessKey key() {
        return key;
    }

    /**
     * Decrypts the storage into {@link #plain}; the caller holds the lock (either way) and has checked that the
     * secret is open and sealed.
     *
     * @throws MemoryCorruptionError if it does not verify: the storage or the key material was changed in memory
     */
    void open(MemorySegment scratch) {
        if (corrupt) {
            throw corruption();
        }
        MemorySegment k = prepare(scratch);
        boolean verified;
        try {
            key.derive(k, work(scratch));
            verified = SodiumSealing.decrypt(plain(scratch), storage.raw().asSlice(NONCE),
                    scratch.asSlice(AAD_AT, 8), storage.raw().asSlice(0, NONCE), k);
        } finally {
            Zeros.fill(k.address(), ProcessKey.KEY_BYTES);
        }
        if (!verified) {
            throw corruption();
        }
    }

    private MemoryCorruptionError corruption() {
        return new MemoryCorruptionError("a " + mode.name().toLowerCase(Locale.ROOT) + " sealed secret of " + size
                + " bytes does not verify: its ciphertext or the process key material was changed in memory (a bit"
                + " flip, a stray write, an attack); nothing was returned");
    }

    /** Called by a rekey that found it does not verify; the caller holds the lock exclusively. */
    void markCorrupt() {
        corrupt = true;
        key = null;
    }

    /** {@return whether a rekey found it does not verify} The caller holds the lock. */
    boolean isCorrupt() {
        return corrupt;
    }

    /**
     * Seals {@link #plain} under {@code under} with a fresh random nonce; the caller holds the lock exclusively. The
     * key is derived and the nonce drawn before the storage is touched, so that a failure there leaves it as it was.
     */
    void seal(MemorySegment scratch, ProcessKey under) {
        MemorySegment k = prepare(scratch);
        MemorySegment nonce = scratch.asSlice(NONCE_AT, NONCE);
        try {
            under.derive(k, work(scratch));
            Nonces.draw(nonce);
            SodiumSealing.encrypt(storage.raw().asSlice(NONCE), plain(scratch), scratch.asSlice(AAD_AT, 8), nonce, k);
        } finally {
            Zeros.fill(k.address(), ProcessKey.KEY_BYTES);
        }
        MemorySegment.copy(nonce, 0, storage.raw(), 0, NONCE);
        key = under;
    }

    private MemorySegment prepare(MemorySegment scratch) {
        scratch.set(ID, AAD_AT, id);
        return scratch.asSlice(0, ProcessKey.KEY_BYTES);
    }

    private MemorySegment work(MemorySegment scratch) {
        return mode == SealingMode.SHIELDED ? scratch.asSlice((PLAIN_AT + size + 63) & ~63L) : MemorySegment.NULL;
    }

    /** {@return the storage as it is: nonce, ciphertext, tag} For the tests' partial-disclosure model only. */
    byte[] insecureCopyOfStorage() {
        return storage.raw().toArray(ValueLayout.JAVA_BYTE);
    }

    /** Flips bit {@code bit} of the storage, as a Rowhammer or stray write would. For the tests only. */
    void flipStorageBitForTests(long bit) {
        MemorySegment m = storage.raw();
        m.set(ValueLayout.JAVA_BYTE, bit / 8, (byte) (m.get(ValueLayout.JAVA_BYTE, bit / 8) ^ (1 << (bit % 8))));
    }

    /** Cleanup: frees the storage (ciphertext only) and leaves the vault; reports a leak if never closed. */
    @Override
    public void run() {
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        w.lock();
        boolean leaked;
        try {
            leaked = !closed;
            closed = true;
            key = null;
            Vault.forget(this);
            heap.free(storage); // wipes first
        } finally {
            w.unlock();
        }
        if (leaked) {
            Leaks.report("SealedSecret", site);
        }
    }
}
