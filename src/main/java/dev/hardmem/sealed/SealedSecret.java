package dev.hardmem.sealed;

import dev.hardmem.ConstantTime;
import dev.hardmem.Secret;
import dev.hardmem.SecretConsumer;
import dev.hardmem.SecretFunction;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.alloc.Leaks;
import dev.hardmem.internal.alloc.Scratch;
import dev.hardmem.internal.keys.Borrows;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Sodium;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.security.auth.Destroyable;

/**
 * A secret that is encrypted at rest, in memory: only its ciphertext exists between calls, and its plaintext exists
 * only inside {@link #read} and {@link #write}, in this thread's guarded scratch memory, wiped before they return.
 *
 * {@snippet :
 * try (SealedSecret<SecretKind.Key> key = SealedSecret.random(SecretKind.Key.class, 32)) {
 *     byte first = key.read(k -> k.get(ValueLayout.JAVA_BYTE, 0));   // decrypted, read, wiped
 *     System.out.println(key);                                        // SealedSecret[32 bytes, coffer, redacted]
 * }                                                                   // the ciphertext wiped, then freed
 * }
 *
 * <h2>What sealing adds to a {@link Secret}</h2>
 * A {@code Secret} is guarded against overruns, swap and core dumps, but its bytes sit in memory, readable by
 * anything that can read the process: a speculative-execution or Rowhammer read, an over-read in a native library,
 * a cold-boot or DMA snapshot, a core dump taken by a tool that ignores {@code MADV_DONTDUMP}, root reading
 * {@code /proc/PID/mem}. A sealed secret is XChaCha20-Poly1305 ciphertext there, under a process key that is itself
 * never whole in memory at rest ({@link SealingMode}): to decrypt it, an attacker must get every bit of the key
 * material and of the ciphertext, and each bit they are unsure of costs them a search ({@link SealingMode} says
 * how much). A changed bit in either makes every {@code read} fail closed
 * with {@link dev.hardmem.MemoryCorruptionError}, never return wrong bytes. An attacker who can read all of memory,
 * at the moment a {@code read} runs or at any time, reads the key material too: sealing does not stop that.
 *
 * <h2>The same contract as {@code Secret}</h2>
 * Kinds are types; {@code read} gets a read-only segment, {@code write} a writable one, each confined to the
 * calling thread and dead once the function returns; many readers or one writer, with the same rules and messages
 * as {@link Secret}; {@link #toString()} is redacted, {@link #equals} is identity, it is neither serializable nor
 * cloneable; closing wipes, and a secret never closed is wiped and reported by the leak watcher.
 *
 * <h2>Rekeying</h2>
 * {@link #rekey()} replaces the process keys and re-seals every live sealed secret while other threads go on
 * reading and writing: each secret is locked only while it moves, once. {@link #rekeyEvery(Duration)} does it
 * periodically on a daemon thread.
 *
 * <h2>Needs libsodium</h2>
 * Sealing runs on libsodium, found at run time; where it is missing, every factory throws
 * {@link UnsupportedOperationException} naming the package to install ({@link #isAvailable()} says so first).
 *
 * @param <K> the kind of secret
 */
public final class SealedSecret<K extends SecretKind> implements AutoCloseable, Destroyable {
    private final Class<K> kind;
    private final SealedState state;
    private final Leaks.Registration cleanable;

    private SealedSecret(Class<K> kind, SealedState state) {
        this.kind = kind;
        this.state = state;
        this.cleanable = Leaks.register(this, state);
    }

    // ---------------------------------------------------------------- factories

    /**
     * {@return a new sealed secret of {@code size} random bytes from the kernel ({@code getrandom(2)}), written
     * straight into scratch memory and sealed, in {@link SealingMode#COFFER} mode}
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret
     * @param size the number of bytes, at least 1
     * @throws IllegalArgumentException      if {@code size} is below 1 or above 64 TiB
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install
     */
    public static <K extends SecretKind> SealedSecret<K> random(Class<K> kind, long size) {
        return withContents(kind, size, SealingMode.COFFER, Libc::getrandom);
    }

    /**
     * {@return a new sealed secret of {@code size} random bytes, as {@link #random(Class, long)}, in {@code mode}}
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret
     * @param size the number of bytes, at least 1
     * @param mode how the process key is held
     * @throws IllegalArgumentException      if {@code size} is below 1 or above 64 TiB
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install
     */
    public static <K extends SecretKind> SealedSecret<K> random(Class<K> kind, long size, SealingMode mode) {
        return withContents(kind, size, mode, Libc::getrandom);
    }

    /**
     * {@return a new sealed secret of {@code size} bytes, filled by {@code writer}, in {@link SealingMode#COFFER}
     * mode} The writer gets a writable segment of {@code size} zeroed bytes of guarded scratch memory, which dies when
     * it returns; what it wrote is sealed, and the scratch memory wiped. If it throws, nothing is kept.
     *
     * @param <K>    the kind, as a type
     * @param kind   the kind of secret
     * @param size   the number of bytes, at least 1
     * @param writer fills the segment
     * @param <X>    what {@code writer} may throw beyond unchecked exceptions
     * @throws IllegalArgumentException      if {@code size} is below 1 or above 64 TiB
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install
     * @throws X                             if {@code writer} throws it
     */
    public static <K extends SecretKind, X extends Throwable> SealedSecret<K> withContents(
            Class<K> kind, long size, SecretConsumer<X> writer) throws X {
        return withContents(kind, size, SealingMode.COFFER, writer);
    }

    /**
     * {@return a new sealed secret of {@code size} bytes, filled by {@code writer}, as
     * {@link #withContents(Class, long, SecretConsumer)}, in {@code mode}}
     *
     * @param <K>    the kind, as a type
     * @param kind   the kind of secret
     * @param size   the number of bytes, at least 1
     * @param mode   how the process key is held
     * @param writer fills the segment
     * @param <X>    what {@code writer} may throw beyond unchecked exceptions
     * @throws IllegalArgumentException      if {@code size} is below 1 or above 64 TiB
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install
     * @throws X                             if {@code writer} throws it
     */
    public static <K extends SecretKind, X extends Throwable> SealedSecret<K> withContents(
            Class<K> kind, long size, SealingMode mode, SecretConsumer<X> writer) throws X {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(writer, "writer");
        if (size <= 0) {
            throw new IllegalArgumentException("a secret must hold at least 1 byte, asked for " + size);
        }
        SecretAllocator.checkSizeAndAlignment(size, 1);
        Sodium.require();
        SealedSecret<K> s = new SealedSecret<>(kind, new SealedState(Vault.nextId(), size, mode, Vault.storage()));
        try {
            s.fill(writer);
        } catch (Throwable t) {
            try {
                s.close();
            } catch (Throwable c) {
                t.addSuppressed(c);
            }
            throw t;
        }
        return s;
    }

    /**
     * {@return a sealed secret holding the contents of {@code source}, in {@link SealingMode#COFFER} mode} The
     * contents go from {@code source} to guarded scratch memory and are sealed; then {@code source} is closed.
     *
     * @param <K>    the kind, as a type
     * @param source the secret to take the contents of; closed by this method once they are sealed
     * @throws IllegalStateException         if {@code source} is closed, or this thread has it open
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install; the source
     *                                       is left as it was
     */
    public static <K extends SecretKind> SealedSecret<K> from(Secret<K> source) {
        return from(source, SealingMode.COFFER);
    }

    /**
     * {@return a sealed secret holding the contents of {@code source}, in {@code mode}} As {@link #from(Secret)}.
     *
     * @param <K>    the kind, as a type
     * @param source the secret to take the contents of; closed by this method once they are sealed
     * @param mode   how the process key is held
     * @throws IllegalStateException         if {@code source} is closed, or this thread has it open
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install; the source
     *                                       is left as it was
     */
    public static <K extends SecretKind> SealedSecret<K> from(Secret<K> source, SealingMode mode) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(mode, "mode");
        if (source.isDestroyed()) {
            throw new IllegalStateException("the source secret is closed");
        }
        SealedSecret<K> sealed = withContents(source.kind(), source.size(), mode,
                into -> source.read(from -> into.copyFrom(from)));
        try {
            source.close();
        } catch (Throwable t) {
            sealed.close();
            throw t;
        }
        return sealed;
    }

    /** {@return whether sealed secrets can be made here: whether libsodium was found} */
    public static boolean isAvailable() {
        return Sodium.available();
    }

    // ---------------------------------------------------------------- access

    /**
     * {@return what {@code reader} computes from the secret's bytes}
     *
     * <p>The bytes are decrypted into this thread's guarded scratch memory; the segment is read-only, exactly
     * {@link #size()} bytes, confined to the calling thread, and dies when {@code reader} returns, and the scratch
     * memory is wiped before this method returns or throws. Reads share the secret as {@link Secret#read} does.
     *
     * @param <R>    what the reader returns
     * @param reader reads the bytes
     * @param <X>    what {@code reader} may throw beyond unchecked exceptions
     * @throws IllegalStateException           if the secret is closed, or this thread has it open for writing
     * @throws dev.hardmem.MemoryCorruptionError if the ciphertext or the key material was changed in memory; the
     *                                         reader is not called
     * @throws X                               if {@code reader} throws it
     */
    public <R, X extends Throwable> R read(SecretFunction<? extends R, X> reader) throws X {
        Objects.requireNonNull(reader, "reader");
        ReentrantReadWriteLock lock = state.lock;
        if (lock.isWriteLockedByCurrentThread()) {
            throw openOnThisThread("read it");
        }
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        Vault.enter();
        try {
            checkOpen();
            try (Scratch.Lease lease = Scratch.take(state.scratchBytes())) {
                MemorySegment scratch = lease.memory();
                state.open(scratch);
                try (Arena scope = Arena.ofConfined()) {
                    return reader.apply(Memory.viewFor(state.plain(scratch), scope).asReadOnly());
                }
            }
        } finally {
            Vault.exit();
            r.unlock();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Lets {@code writer} change the secret's bytes: they are decrypted into guarded scratch memory, changed, and
     * sealed again under a fresh random nonce, even if {@code writer} throws (what it wrote stays, as with
     * {@link Secret#write}). Exclusive, as {@link Secret#write} is.
     *
     * @param writer writes the bytes
     * @param <X>    what {@code writer} may throw beyond unchecked exceptions
     * @throws IllegalStateException           if the secret is closed, or this thread has it open
     * @throws dev.hardmem.MemoryCorruptionError if the ciphertext or the key material was changed in memory; the
     *                                         writer is not called
     * @throws X                               if {@code writer} throws it
     */
    public <X extends Throwable> void write(SecretConsumer<X> writer) throws X {
        Objects.requireNonNull(writer, "writer");
        ReentrantReadWriteLock lock = state.lock;
        if (lock.isWriteLockedByCurrentThread() || lock.getReadHoldCount() > 0) {
            throw openOnThisThread("write it");
        }
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        w.lock();
        Vault.enter();
        try {
            checkOpen();
            try (Scratch.Lease lease = Scratch.take(state.scratchBytes())) {
                MemorySegment scratch = lease.memory();
                state.open(scratch);
                Throwable thrown = null;
                try (Arena scope = Arena.ofConfined()) {
                    writer.accept(Memory.viewFor(state.plain(scratch), scope));
                } catch (Throwable t) {
                    thrown = t;
                    throw t;
                } finally {
                    sealAfterWrite(scratch, thrown);
                }
            }
        } finally {
            Vault.exit();
            w.unlock();
            Reference.reachabilityFence(this);
        }
    }

    /** Seals what a writer left, even if it threw; a failure to seal is then added to what it threw. */
    private void sealAfterWrite(MemorySegment scratch, Throwable thrown) {
        try {
            state.seal(scratch, Vault.current(state.mode));
        } catch (Throwable t) {
            if (thrown == null) {
                throw t;
            }
            thrown.addSuppressed(t);
        }
    }

    /** The first seal: joins the vault first, then reads the current key, both under the exclusive lock. */
    private <X extends Throwable> void fill(SecretConsumer<X> writer) throws X {
        ReentrantReadWriteLock.WriteLock w = state.lock.writeLock();
        w.lock();
        Vault.enter();
        try (Scratch.Lease lease = Scratch.take(state.scratchBytes())) {
            Vault.remember(state);
            MemorySegment scratch = lease.memory();
            try (Arena scope = Arena.ofConfined()) {
                writer.accept(Memory.viewFor(state.plain(scratch), scope));
            }
            state.seal(scratch, Vault.current(state.mode));
        } finally {
            Vault.exit();
            w.unlock();
        }
    }

    private IllegalStateException openOnThisThread(String what) {
        return Borrows.openOnThisThread(state.lock, what);
    }

    private void checkOpen() {
        if (state.closed) {
            throw Borrows.alreadyClosed();
        }
    }

    /**
     * {@return whether {@code other} holds the same bytes} Runs in time that depends only on the sizes, never on
     * where the bytes differ; both are decrypted into scratch memory, wiped before this returns.
     *
     * @param other the sealed secret to compare with, of the same kind
     * @throws IllegalStateException if either is closed, or this thread has either open for writing
     */
    public boolean contentEquals(SealedSecret<K> other) {
        Objects.requireNonNull(other, "other");
        if (other == this) {
            return read(a -> true); // open, or it throws
        }
        // Both are held at once: in one order, whoever compares which with which.
        return Borrows.inOneOrder(this, other, (x, y) -> x.read(a -> y.read(b -> ConstantTime.equals(a, b))));
    }

    /**
     * {@return a copy of the secret's bytes on the Java heap} <strong>Insecure:</strong> the copy is plaintext the
     * garbage collector may copy again, outside any protection: the opposite of sealing. Only where an API demands a
     * {@code byte[]}; wipe it at once.
     *
     * @throws IllegalStateException if the secret is closed, or this thread has it open for writing
     */
    public byte[] insecureCopyToHeap() {
        return read(s -> s.toArray(ValueLayout.JAVA_BYTE));
    }

    // ---------------------------------------------------------------- rekeying

    /**
     * Replaces the process key of each mode with one from fresh key material and re-seals every live sealed secret
     * under it, while other threads go on reading and writing: each secret is locked only while it moves, once. A
     * secret closed meanwhile stays closed. The old key material is wiped once every secret has moved. One rekey
     * runs at a time; a second call waits for the first.
     *
     * <p>It is refused where a sealed secret is open on the calling thread (a {@link #rekeyEvery periodic rekey} runs
     * on a thread of its own): the walk takes each secret's exclusive lock in turn, and would wait for this thread's
     * own access, or for a thread that waits for it.
     *
     * @return the number of secrets re-sealed
     * @throws IllegalStateException         if called from inside a {@code read} or {@code write} of a sealed secret
     *                                       (it would wait for that access to end); nothing is changed
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install
     */
    public static long rekey() {
        Sodium.require();
        return Vault.rekey();
    }

    /**
     * Starts rekeying ({@link #rekey()}) every {@code interval} on a daemon thread, until the returned handle is
     * closed. A rekey that fails is logged (through {@link System.Logger}, name {@code dev.hardmem}) and the next
     * one runs on time.
     *
     * @param interval the time between the end of one rekey and the start of the next: at least one millisecond
     * @return the handle that stops it
     * @throws IllegalArgumentException      if {@code interval} is below one millisecond
     * @throws UnsupportedOperationException where libsodium is missing, naming the package to install
     */
    public static PeriodicRekey rekeyEvery(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        Sodium.require();
        return PeriodicRekey.start(interval);
    }

    // ---------------------------------------------------------------- lifecycle

    /** {@return the number of bytes of this secret} */
    public long size() {
        return state.size;
    }

    /** {@return the kind of this secret} */
    public Class<K> kind() {
        return kind;
    }

    /** {@return how this secret's process key is held} */
    public SealingMode mode() {
        return state.mode;
    }

    /**
     * Wipes the ciphertext and frees it. Waits for reads and writes in progress on other threads, and for a rekey
     * moving this secret.
     *
     * @throws IllegalStateException if it is already closed, or called from inside this secret's own {@code read}
     *                               or {@code write}
     */
    @Override
    public void close() {
        ReentrantReadWriteLock lock = state.lock;
        if (lock.isWriteLockedByCurrentThread() || lock.getReadHoldCount() > 0) {
            throw openOnThisThread("close it");
        }
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        w.lock();
        try {
            checkOpen();
            state.closed = true;
            cleanable.clean();
        } finally {
            w.unlock();
            Reference.reachabilityFence(this);
        }
    }

    /** The same as {@link #close()}. */
    @Override
    public void destroy() {
        close();
    }

    /** {@return whether this secret has been closed (destroyed)} */
    @Override
    public boolean isDestroyed() {
        return state.closed;
    }

    /** {@return {@code SealedSecret[N bytes, mode, redacted]}: never the contents} */
    @Override
    public String toString() {
        return "SealedSecret[" + state.size + " bytes, " + state.mode.name().toLowerCase(java.util.Locale.ROOT)
                + ", redacted]";
    }

    /** {@return whether {@code o} is this very secret} Contents are compared with {@link #contentEquals}. */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    /** {@return an identity hash code, independent of the contents} */
    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    /** For the tests' partial-disclosure model: the state behind a secret. */
    SealedState stateForTests() {
        return state;
    }
}
