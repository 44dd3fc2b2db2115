package dev.hardmem;

import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.internal.alloc.GuardedAccess;
import dev.hardmem.internal.alloc.Leaks;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.keys.Borrows;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Memory;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.security.auth.Destroyable;

/**
 * One fixed-size secret with one owner: a key, a password, a seed. Its bytes live outside the Java heap, are only
 * reachable inside {@link #read} and {@link #write}, and are wiped when it is {@linkplain #close() closed}.
 *
 * {@snippet :
 * try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32)) {
 *     byte first = key.read(k -> k.get(ValueLayout.JAVA_BYTE, 0));   // the segment dies when the lambda returns
 *     System.out.println(key);                                        // Secret[32 bytes, redacted]
 * }                                                                   // wiped, then freed
 * }
 *
 * <h2>Kinds are types</h2>
 * The type parameter names the kind of secret ({@link SecretKind.Key}, {@link SecretKind.Password},
 * {@link SecretKind.Seed}, or your own). A method that takes a {@code Secret<SecretKind.Key>} does not compile
 * when handed a {@code Secret<SecretKind.Password>}.
 *
 * <h2>Access is scoped</h2>
 * {@link #read} hands the function a read-only segment, {@link #write} a writable one; both segments have a
 * lifetime of their own that ends when the function returns, so a reference that escapes throws
 * {@link IllegalStateException} on use (and {@link WrongThreadException} from another thread). The function may
 * throw a checked exception, or any {@link Throwable} ({@link SecretFunction}, {@link SecretConsumer}): it
 * propagates unchanged, so a downcall inside ({@code MethodHandle.invokeExact}) needs no {@code try}.
 *
 * <h2>Many readers or one writer</h2>
 * A secret is borrowed as a Rust {@code RefCell} is (and a secret of Rust's {@code secrets} crate): at any moment it
 * is open for reading by any number of {@code read}s, nested or on any threads, or open for writing by one
 * {@code write}. On the thread that has it open, a {@code write} inside a {@code read} or a {@code write} of the
 * same secret, or a {@code read} inside a {@code write}, throws {@link IllegalStateException} at once (waiting
 * would wait for itself), naming the access that is open, and so does {@link #close()}; the open access carries
 * on. Another thread waits instead: a {@code read} for the {@code write} in progress, a {@code write} for every
 * access in progress, {@link #close()} for all of them. An access belongs to the thread (a virtual thread, not its
 * carrier) that began it. Threads that open several secrets in different orders can deadlock, as with any locks.
 *
 * <h2>It does not leak by accident</h2>
 * {@link #toString()} is redacted, {@link #equals} is identity ({@link #contentEquals} compares contents in
 * constant time), it is neither {@link java.io.Serializable} (serializing an object that holds one fails with
 * {@link java.io.NotSerializableException}) nor {@link Cloneable}. The only way to copy its bytes onto the heap is
 * {@link #insecureCopyToHeap()}, named so a reviewer can find it.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the bytes never enter the Java heap through this class (except through {@code insecure...}), are
 * written by {@link #random} straight from the kernel, and are wiped before the memory is freed, on close and,
 * for a secret that was never closed, by hardmem's leak watcher (which also logs a warning). Not guaranteed:
 * copies the caller makes inside {@code read}, copies a JCA provider makes of a key, values the JIT keeps in
 * registers or spills to the stack.
 *
 * @param <K> the kind of secret
 */
public final class Secret<K extends SecretKind> implements AutoCloseable, Destroyable {

    private final Class<K> kind;
    private final long size;
    private final SecretMemory state;
    private final Leaks.Registration cleanable;
    /** Many readers or one writer: {@code read} holds it shared, {@code write} and {@code close} exclusive. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    private Secret(Class<K> kind, long size, SecretAllocator allocator) {
        this(Objects.requireNonNull(kind, "kind"), size, allocate(size, allocator), allocator);
    }

    private static Block allocate(long size, SecretAllocator allocator) {
        if (size <= 0) {
            throw new IllegalArgumentException("a secret must hold at least 1 byte, asked for " + size);
        }
        SecretAllocator.checkSizeAndAlignment(size, 1);
        return allocator.allocateForSecret(size, 1);
    }

    // ---------------------------------------------------------------- factories

    /**
     * {@return a new secret of {@code size} bytes from the kernel's random generator ({@code getrandom(2)}), written
     * straight into the secret's memory: no copy of them exists anywhere else}
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret, e.g. {@code SecretKind.Key.class}
     * @param size the number of bytes, at least 1
     * @throws IllegalArgumentException if {@code size} is below 1 or above 64 TiB
     * @throws dev.hardmem.guarded.MemoryBudgetException if the memory cannot be locked (default policy
     *                                  {@code REQUIRE}; see {@code GuardedAllocator})
     */
    public static <K extends SecretKind> Secret<K> random(Class<K> kind, long size) {
        return withContents(kind, size, Libc::getrandom);
    }

    /**
     * {@return a new secret of {@code size} bytes, filled by {@code writer}} The writer gets a writable segment of
     * exactly {@code size} zeroed bytes that dies when it returns; use it to derive a key straight into hardmem
     * memory. If the writer throws anything (an unchecked exception, an error, its checked {@code X}, or a
     * checked exception thrown sneakily), the secret is wiped and freed before the exception propagates,
     * unchanged.
     *
     * @param <K>    the kind, as a type
     * @param kind   the kind of secret
     * @param size   the number of bytes, at least 1
     * @param writer fills the segment
     * @param <X>    what {@code writer} may throw beyond unchecked exceptions
     * @throws IllegalArgumentException if {@code size} is below 1 or above 64 TiB
     * @throws dev.hardmem.guarded.MemoryBudgetException if the memory cannot be locked (default policy
     *                                  {@code REQUIRE}; see {@code GuardedAllocator})
     * @throws X                        if {@code writer} throws it
     */
    public static <K extends SecretKind, X extends Throwable> Secret<K> withContents(Class<K> kind, long size,
                                                                                   SecretConsumer<X> writer)
            throws X {
        Objects.requireNonNull(writer, "writer");
        Secret<K> s = new Secret<>(kind, size, GuardedAccess.defaultHeap());
        s.fillOrDestroy(writer);
        return s;
    }

    /**
     * {@return a new random secret, as {@link #random(Class, long)}, in memory from {@code allocator}} Use it to
     * choose a policy other than the default, for example access-scoped protection, which keeps the secret's
     * pages {@code PROT_NONE} except inside {@link #read} and {@link #write}:
     * {@snippet :
     * GuardedAllocator protectedMemory = GuardedAllocator.create(GuardPolicy.defaults().withAccessProtection(true));
     * try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32, protectedMemory)) {
     *     key.read(k -> use(k));   // readable here, and only here
     * }
     * }
     *
     * @param <K>       the kind, as a type
     * @param kind      the kind of secret
     * @param size      the number of bytes, at least 1
     * @param allocator where the memory comes from
     * @throws IllegalArgumentException if {@code size} is below 1 or above 64 TiB
     * @throws IllegalStateException    if {@code allocator} is closed
     * @throws dev.hardmem.guarded.MemoryBudgetException if the memory cannot be locked under policy
     *                                  {@code REQUIRE}
     */
    public static <K extends SecretKind> Secret<K> random(Class<K> kind, long size, GuardedAllocator allocator) {
        return withContents(kind, size, allocator, Libc::getrandom);
    }

    /**
     * {@return a new secret filled by {@code writer}, as {@link #withContents(Class, long, SecretConsumer)}, in
     * memory from {@code allocator}}
     *
     * @param <K>       the kind, as a type
     * @param kind      the kind of secret
     * @param size      the number of bytes, at least 1
     * @param allocator where the memory comes from
     * @param writer    fills the segment
     * @param <X>       what {@code writer} may throw beyond unchecked exceptions
     * @throws IllegalArgumentException if {@code size} is below 1 or above 64 TiB
     * @throws IllegalStateException    if {@code allocator} is closed
     * @throws dev.hardmem.guarded.MemoryBudgetException if the memory cannot be locked (default policy
     *                                  {@code REQUIRE}; see {@code GuardedAllocator})
     * @throws X                        if {@code writer} throws it; the secret is wiped and freed first
     */
    public static <K extends SecretKind, X extends Throwable> Secret<K> withContents(Class<K> kind, long size,
                                                                                   GuardedAllocator allocator,
                                                                                   SecretConsumer<X> writer)
            throws X {
        Objects.requireNonNull(allocator, "allocator");
        Objects.requireNonNull(writer, "writer");
        Secret<K> s = new Secret<>(kind, size, GuardedAccess.heapOf(allocator));
        s.fillOrDestroy(writer);
        return s;
    }

    /**
     * {@return a new secret holding the bytes of {@code source}; <strong>{@code source} is wiped</strong> (set to
     * zeros) once copied, also when this method fails}
     *
     * @param <K>    the kind, as a type
     * @param kind   the kind of secret
     * @param source the bytes; at least 1
     * @throws IllegalArgumentException if {@code source} is empty
     */
    public static <K extends SecretKind> Secret<K> fromBytesWiping(Class<K> kind, byte[] source) {
        Objects.requireNonNull(source, "source");
        try {
            Objects.requireNonNull(kind, "kind"); // inside the try: a bad kind still wipes the source
            return withContents(kind, source.length, s -> s.copyFrom(MemorySegment.ofArray(source)));
        } finally {
            Wipe.bytes(source);
        }
    }

    /**
     * {@return a new secret holding {@code source} encoded as UTF-8; <strong>{@code source} is wiped</strong> (set
     * to {@code '\0'}) once copied, also when this method fails} The encoding is done char by char straight into
     * the secret's memory: no encoded copy is made on the heap. Unpaired surrogates are encoded as {@code '?'}.
     *
     * @param <K>    the kind, as a type
     * @param kind   the kind of secret, usually {@code SecretKind.Password.class}
     * @param source the characters; at least 1
     * @throws IllegalArgumentException if {@code source} is empty
     */
    public static <K extends SecretKind> Secret<K> fromCharsWiping(Class<K> kind, char[] source) {
        Objects.requireNonNull(source, "source");
        try {
            Objects.requireNonNull(kind, "kind"); // inside the try: a bad kind still wipes the source
            long n = Utf8.encodedLength(source);
            return withContents(kind, n, s -> Utf8.encode(source, s));
        } finally {
            Wipe.chars(source);
        }
    }

    /**
     * {@return a new secret holding everything {@code in} gives until its end} At most {@code capacity} bytes are
     * read; the secret's memory is that capacity from the start and never grows. The stream is read one byte at a
     * time with {@link InputStream#read()}, so hardmem makes no heap buffer of the secret (the stream itself may
     * have one).
     *
     * <p>A {@link SecretKind.Password} ends at its line: one trailing {@code "\n"} or {@code "\r\n"} is dropped
     * ({@code "pw\n\n"} keeps {@code "pw\n"}; a lone trailing {@code '\r'} stays), and wiped where it was read;
     * {@link #size()} counts what is left. Every other kind keeps every byte.
     *
     * @param <K>      the kind, as a type
     * @param kind     the kind of secret
     * @param in       the stream; it is not closed
     * @param capacity the most bytes the secret may hold, at least 1
     * @throws IllegalArgumentException if {@code capacity} is below 1 or above 64 TiB, or the stream holds more
     *                                  than {@code capacity} bytes, or none (a password: nothing but its line
     *                                  ending); nothing read is kept
     * @throws IOException              if the stream fails; nothing read is kept
     * @throws dev.hardmem.guarded.MemoryBudgetException if the memory cannot be locked (default policy
     *                                  {@code REQUIRE}; see {@code GuardedAllocator})
     */
    public static <K extends SecretKind> Secret<K> readFrom(Class<K> kind, InputStream in, long capacity)
            throws IOException {
        Objects.requireNonNull(in, "in");
        return readInto(kind, capacity, segment -> Sources.readStream(in, segment));
    }

    /**
     * {@return a new secret holding everything {@code channel} gives until its end} At most {@code capacity} bytes
     * are read, straight into the secret's memory through direct buffer views: no heap copy. A password loses one
     * trailing line ending, as {@link #readFrom(Class, InputStream, long)} says.
     *
     * <p>The channel must be in blocking mode, where every read gives at least one byte or the end. A channel that
     * gives 0 bytes (a non-blocking one with nothing ready) is refused at that read: hardmem does not spin on it.
     *
     * @param <K>      the kind, as a type
     * @param kind     the kind of secret
     * @param channel  the channel, in blocking mode; it is not closed
     * @param capacity the most bytes the secret may hold, at least 1
     * @throws IllegalArgumentException if {@code capacity} is below 1 or above 64 TiB, or the channel holds more
     *                                  than {@code capacity} bytes, or none (a password: nothing but its line
     *                                  ending), or is a non-blocking {@link SelectableChannel}, or a read gives 0
     *                                  bytes; nothing read is kept
     * @throws IOException              if the channel fails; nothing read is kept
     * @throws dev.hardmem.guarded.MemoryBudgetException if the memory cannot be locked (default policy
     *                                  {@code REQUIRE}; see {@code GuardedAllocator})
     */
    public static <K extends SecretKind> Secret<K> readFrom(Class<K> kind, ReadableByteChannel channel,
                                                            long capacity) throws IOException {
        Objects.requireNonNull(channel, "channel");
        if (channel instanceof SelectableChannel sc && !sc.isBlocking()) {
            throw Sources.nonBlocking();
        }
        return readInto(kind, capacity, segment -> Sources.readChannel(channel, segment));
    }

    private static <K extends SecretKind> Secret<K> readInto(Class<K> kind, long capacity,
                                                             SecretFunction<Long, IOException> source)
            throws IOException {
        Objects.requireNonNull(kind, "kind");
        SecretAllocator allocator = GuardedAccess.defaultHeap();
        Sources.Filled f = Sources.fill(allocator, capacity, kind == SecretKind.Password.class, source);
        try {
            return new Secret<>(kind, f.size(), f.block(), allocator);
        } catch (Throwable t) {
            SecretMemory.wipeAndFree(allocator, f.block()); // nothing read is kept, whatever went wrong
            throw t;
        }
    }

    private Secret(Class<K> kind, long size, Block block, SecretAllocator allocator) {
        this.kind = kind;
        this.size = size;
        this.state = new SecretMemory(allocator, block);
        this.cleanable = Leaks.register(this, state);
    }

    private <X extends Throwable> void fillOrDestroy(SecretConsumer<X> writer) throws X {
        try {
            write(writer);
        } catch (Throwable t) {
            // Everything: a checked exception can arrive here undeclared (thrown sneakily), and it must not leave
            // the half-written secret to the cleaner.
            try {
                close();
            } catch (Throwable c) {
                t.addSuppressed(c);
            }
            throw t;
        }
    }

    // ---------------------------------------------------------------- access

    /**
     * {@return what {@code reader} computes from the secret's bytes}
     *
     * <p>The segment is read-only, exactly {@link #size()} bytes, confined to the calling thread, and dies when
     * {@code reader} returns: keep results, not the segment. Reads share the secret: they may nest, and run on
     * several threads at once; a read waits while another thread writes.
     *
     * @param <R>    what the reader returns
     * @param reader reads the bytes
     * @param <X>    what {@code reader} may throw beyond unchecked exceptions
     * @throws IllegalStateException if the secret is closed, or this thread has it open for writing (a read inside
     *                               its own {@code write})
     * @throws X                     if {@code reader} throws it
     */
    public <R, X extends Throwable> R read(SecretFunction<? extends R, X> reader) throws X {
        Objects.requireNonNull(reader, "reader");
        if (lock.isWriteLockedByCurrentThread()) {
            throw openOnThisThread("read it");
        }
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        try {
            return access(false, reader);
        } finally {
            r.unlock();
            // The view given to the body does not refer to this secret, and compiled code drops `this` after its
            // last use: without the fence, a secret held only by the caller's expression
            // (`Secret.random(..).read(..)`) could be wiped and freed by the cleaner while the body still reads.
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Lets {@code writer} change the secret's bytes. The segment is writable, exactly {@link #size()} bytes,
     * confined to the calling thread, and dies when {@code writer} returns. A write is exclusive: it waits until
     * no other thread reads or writes the secret, and none can until it returns.
     *
     * @param writer writes the bytes
     * @param <X>    what {@code writer} may throw beyond unchecked exceptions
     * @throws IllegalStateException if the secret is closed, or this thread has it open (a write inside its own
     *                               {@code read} or {@code write})
     * @throws X                     if {@code writer} throws it; what it wrote stays
     */
    public <X extends Throwable> void write(SecretConsumer<X> writer) throws X {
        Objects.requireNonNull(writer, "writer");
        if (lock.isWriteLockedByCurrentThread() || lock.getReadHoldCount() > 0) {
            throw openOnThisThread("write it");
        }
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        w.lock();
        try {
            access(true, s -> {
                writer.accept(s);
                return null;
            });
        } finally {
            w.unlock();
            Reference.reachabilityFence(this);
        }
    }

    /** Runs {@code body} on a view of the secret; the caller holds the lock for {@code writable}. */
    private <R, X extends Throwable> R access(boolean writable, SecretFunction<? extends R, X> body) throws X {
        checkOpen();
        Block b = state.block;
        b.enter(writable);
        try (Arena scope = Arena.ofConfined()) {
            MemorySegment view = Memory.viewFor(b.raw().asSlice(0, size), scope);
            return body.apply(writable ? view : view.asReadOnly());
        } finally {
            b.exit(writable);
        }
    }

    /** {@return the refusal of {@code what} on a thread that has this secret open, naming how it has it open} */
    private IllegalStateException openOnThisThread(String what) {
        return Borrows.openOnThisThread(lock, what);
    }

    /**
     * {@return whether {@code other} holds the same bytes as this secret} Runs in time that depends only on the
     * sizes (which are not secret), never on where the bytes differ.
     *
     * @param other the secret to compare with, of the same kind
     * @throws IllegalStateException if either secret is closed, or this thread has either open for writing
     */
    public boolean contentEquals(Secret<K> other) {
        Objects.requireNonNull(other, "other");
        return ConstantTime.bothEqual(this, other);
    }

    /**
     * {@return a copy of the secret's bytes on the Java heap} <strong>Insecure:</strong> the garbage collector may
     * copy the array, and no one can wipe those copies. Use it only where an API demands a {@code byte[]}, and
     * {@link Wipe#bytes wipe} the array as soon as possible.
     *
     * @throws IllegalStateException if the secret is closed, or this thread has it open for writing
     */
    public byte[] insecureCopyToHeap() {
        return read(s -> s.toArray(ValueLayout.JAVA_BYTE));
    }

    // ---------------------------------------------------------------- lifecycle

    /** {@return the number of bytes of this secret} */
    public long size() {
        return size;
    }

    /** {@return the kind of this secret} */
    public Class<K> kind() {
        return kind;
    }

    /**
     * Wipes the secret and frees its memory. Waits for reads and writes in progress on other threads.
     *
     * @throws IllegalStateException if it is already closed, or if called from inside this secret's own
     *                               {@code read} or {@code write}
     */
    @Override
    public void close() {
        if (lock.isWriteLockedByCurrentThread() || lock.getReadHoldCount() > 0) {
            throw openOnThisThread("close it");
        }
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        w.lock();
        try {
            if (state.closed) {
                throw SecretArena.alreadyClosed();
            }
            // Closed first: the cleanup action takes a secret it finds still open for a leak, and reports it.
            state.closed = true;
            cleanable.clean();
        } finally {
            w.unlock();
            // Until here this secret stays reachable: the cleaner cannot run the cleanup on its own thread while
            // clean() runs it here, so close() returns only once the secret is wiped and freed.
            Reference.reachabilityFence(this);
        }
    }

    /** The same as {@link #close()}: wipes the secret and frees its memory; throws as {@code close()} does. */
    @Override
    public void destroy() {
        close();
    }

    /** {@return whether this secret has been closed (destroyed)} */
    @Override
    public boolean isDestroyed() {
        return state.closed;
    }

    private void checkOpen() {
        if (state.closed) {
            throw SecretArena.alreadyClosed();
        }
    }

    /** {@return {@code Secret[N bytes, redacted]}: never the contents} */
    @Override
    public String toString() {
        return "Secret[" + size + " bytes, redacted]";
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
}
