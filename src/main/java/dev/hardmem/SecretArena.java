package dev.hardmem;

import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.internal.alloc.GuardedAccess;
import dev.hardmem.internal.alloc.Leaks;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.alloc.UnguardedAllocator;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.keys.Borrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * An {@link Arena} whose memory is wiped, then freed, when it closes: the lifetime of every secret it holds is the
 * lifetime of its owner, as with Rust's ownership and {@code zeroize}.
 *
 * {@snippet :
 * try (SecretArena arena = SecretArena.ofConfined()) {
 *     MemorySegment key = arena.allocate(32);
 *     fill(key);                       // e.g. a KDF output, written straight into the segment
 *     use(key);                        // hand it to FFM code that takes a segment or an Arena
 * }                                    // every byte wiped, then freed; `key` now throws IllegalStateException
 * }
 *
 * <p>It can be passed unchanged to any code that takes an {@code Arena} or a
 * {@link java.lang.foreign.SegmentAllocator}. Every segment it returns is zeroed, aligned as asked, and of fixed
 * size: nothing in hardmem can grow or move a segment.
 *
 * <h2>Lifetimes and threads</h2>
 * {@link #ofConfined()} arenas belong to the thread that opened them: allocating, accessing and closing from
 * another thread throws {@link WrongThreadException}. {@link #ofShared()} arenas may be used and closed from any
 * thread. After {@link #close()}, every segment the arena returned throws {@link IllegalStateException}, as do
 * {@link #allocate} and a second {@code close()}.
 *
 * <h2>Closing: lifetime first, then wipe, then free</h2>
 * {@code close()} first ends the lifetime of the segments (the JDK's own scope closes, so no thread can read or
 * write them any more, and the cleanup actions registered with
 * {@link MemorySegment#reinterpret(Arena, java.util.function.Consumer) reinterpret} run), then wipes every byte of
 * each segment and gives its memory back (the allocator wipes as it checks its canaries: one pass). A segment's
 * memory is always wiped before it is given back. Wiping is done here, never from a {@code reinterpret} cleanup
 * action: from JDK 25, a confined arena runs its first registered cleanup first, so a wipe registered after the
 * allocation would touch freed memory.
 *
 * <p>A close either happens whole or not at all:
 * <ul>
 * <li>If the JDK refuses to end the lifetime, because a native call holds one of the segments (a downcall that was
 *     passed one, and an upcall from inside it calls {@code close()}; or, for a shared arena, such a call on another
 *     thread), {@code close()} throws {@link IllegalStateException} and changes nothing: no byte is wiped, the
 *     segments stay usable, and a later {@code close()} succeeds.</li>
 * <li>Once the lifetime has ended, every segment is wiped and freed, whatever else fails: a cleanup action that
 *     throws, or a free that fails (a damaged canary). Then the first failure is thrown, with the later ones
 *     {@linkplain Throwable#getSuppressed() suppressed}; the arena is closed.</li>
 * </ul>
 *
 * <p>An arena that becomes unreachable without being closed is still wiped and freed, by hardmem's leak watcher,
 * and a warning is logged through {@link System.Logger} (logger {@code dev.hardmem}); run with
 * {@code -Ddev.hardmem.leakDetection=stack} to have it name where the arena was opened. The watcher waits until
 * no segment of the arena is reachable either, so it never frees memory still in use. Registering with it takes no
 * lock that other threads share (unlike a {@link java.lang.ref.Cleaner}).
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the memory is outside the Java heap, so the garbage collector never copies it; it is zeroed when
 * allocated and wiped before it is freed, on every path (normal close, close while an exception unwinds, a failed
 * free, a cleanup action that throws, a leaked arena); it is never wiped or freed while a native call holds one of
 * its segments. Not guaranteed: copies made by the caller (reading a segment into a {@code byte[]}), copies a
 * native library or JCA provider makes, values the JIT keeps in registers or spills to the stack; giving back the
 * memory of a leaked {@link #ofConfinedUnguarded()} arena (it is wiped, but only its owner thread could free it).
 * The unguarded arenas add nothing more; the default arenas add what the default allocator gives (see
 * {@code docs/guarantees.md}).
 */
public final class SecretArena implements Arena {
    private final Arena lifetime;
    private final Thread owner;
    private final Blocks blocks;
    /** Where a confined unguarded arena's memory comes from; else {@code null}. */
    private final PrivateArenaAllocator ownMemory;
    private final Leaks.Registration cleanable;

    private SecretArena(boolean shared, SecretAllocator allocator) {
        this.lifetime = shared ? Arena.ofShared() : Arena.ofConfined();
        this.owner = shared ? null : Thread.currentThread();
        // Confined and unguarded: the memory comes from a confined arena of the arena's own (the JDK's zeroed
        // malloc), which saves a malloc/free downcall pair per segment.
        this.ownMemory = allocator instanceof UnguardedAllocator u && !shared
                ? new PrivateArenaAllocator(u.listener()) : null;
        if (ownMemory != null) {
            allocator = ownMemory;
        }
        Throwable site = Leaks.site(shared ? "SecretArena.ofShared" : "SecretArena.ofConfined");
        this.blocks = new Blocks(allocator, shared, site);
        // Registered on the scope, not on this object: segments keep the scope reachable, so the cleaner cannot
        // free memory that a live segment still points to.
        this.cleanable = Leaks.register(lifetime.scope(), blocks);
    }

    /**
     * {@return a new arena owned by the current thread, backed by the default allocator}
     */
    public static SecretArena ofConfined() {
        return new SecretArena(false, GuardedAccess.defaultHeap());
    }

    /**
     * {@return a new arena that any thread may use and close, backed by the default allocator}
     */
    public static SecretArena ofShared() {
        return new SecretArena(true, GuardedAccess.defaultHeap());
    }

    /**
     * {@return a new confined arena backed by the C heap}: wiped before free and outside the Java heap, but with
     * no guard pages, canaries, locking or core-dump exclusion. For comparison, and for machines where guarded
     * memory cannot be had.
     */
    public static SecretArena ofConfinedUnguarded() {
        return new SecretArena(false, UnguardedAllocator.INSTANCE);
    }

    /**
     * {@return a new shared arena backed by the C heap}, unguarded as {@link #ofConfinedUnguarded()} is.
     */
    public static SecretArena ofSharedUnguarded() {
        return new SecretArena(true, UnguardedAllocator.INSTANCE);
    }

    /**
     * {@return a new confined arena whose memory comes from {@code allocator}} Use it to choose a tier or a policy
     * other than the default (for example isolated secrets with access-scoped protection).
     *
     * @param allocator the guarded allocator to take memory from
     * @throws IllegalStateException if {@code allocator} is closed
     */
    public static SecretArena ofConfined(GuardedAllocator allocator) {
        return new SecretArena(false, GuardedAccess.heapOf(Objects.requireNonNull(allocator, "allocator")));
    }

    /**
     * {@return a new shared arena whose memory comes from {@code allocator}}
     *
     * @param allocator the guarded allocator to take memory from
     * @throws IllegalStateException if {@code allocator} is closed
     */
    public static SecretArena ofShared(GuardedAllocator allocator) {
        return new SecretArena(true, GuardedAccess.heapOf(Objects.requireNonNull(allocator, "allocator")));
    }

    /**
     * Allocates {@code byteSize} zeroed bytes aligned to {@code byteAlignment}, which live until this arena
     * closes.
     *
     * @throws IllegalArgumentException if {@code byteSize} is negative or above 64 TiB, or {@code byteAlignment} is
     *                                  not a power of two, or (guarded arenas) is above
     *                                  {@link dev.hardmem.guarded.GuardedAllocator#MAX_ALIGNMENT}
     * @throws IllegalStateException    if this arena is closed
     * @throws WrongThreadException     if this arena is confined to another thread
     * @throws dev.hardmem.guarded.MemoryBudgetException (guarded arenas) if the memory cannot be locked under
     *                                  policy {@code REQUIRE}, the mappings would cross {@code vm.max_map_count},
     *                                  or, under every policy, the size is more than the RAM the process may use
     * @throws SystemCallException      if the operating system refuses the memory
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        SecretAllocator.checkSizeAndAlignment(byteSize, byteAlignment);
        checkThread();
        if (owner == null) {
            synchronized (blocks) {
                return allocateChecked(byteSize, byteAlignment);
            }
        }
        // Confined: only the owner thread touches the block list (the leak watcher only once the arena is
        // unreachable), so it takes no lock, as the JDK's own confined arenas keep theirs.
        return allocateChecked(byteSize, byteAlignment);
    }

    private MemorySegment allocateChecked(long byteSize, long byteAlignment) {
        if (blocks.closed) {
            throw alreadyClosed();
        }
        Block b = blocks.allocator.allocate(byteSize, byteAlignment);
        blocks.add(b);
        return b.view(lifetime);
    }

    /** {@return the scope of every segment this arena allocates} */
    @Override
    public MemorySegment.Scope scope() {
        return lifetime.scope();
    }

    /**
     * Ends the lifetime of every segment (running the cleanup actions registered on this arena), wipes every byte
     * of them, then frees them. Either nothing changes (the JDK refused to end the lifetime) or everything is wiped
     * and freed, even when a cleanup action or a free fails; the first failure is thrown after, with the later
     * ones suppressed.
     *
     * @throws IllegalStateException if the arena is already closed, or a segment is held by a native call (nothing
     *                               has changed then, and the arena can be closed once the call returns)
     * @throws WrongThreadException  if this arena is confined to another thread
     * @throws RuntimeException      what a cleanup action threw, once the memory is wiped and freed
     * @throws Error                 what a cleanup action threw, or {@link MemoryCorruptionError} (guarded
     *                               arenas) if a canary was overwritten, once the memory is wiped and freed
     */
    @Override
    public void close() {
        checkThread();
        Throwable failure;
        if (owner == null) {
            synchronized (blocks) {
                failure = endLifetime();
            }
        } else {
            failure = endLifetime();
        }
        cleanable.clean(); // wipes and frees every block: closed, not leaked, so it reports nothing
        if (ownMemory != null) {
            ownMemory.close(); // gives the wiped memory back
        }
        Throwable freeing = blocks.failure;
        if (failure == null) {
            failure = freeing;
        } else if (freeing != null) {
            failure.addSuppressed(freeing);
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /**
     * Ends the segments' lifetime and marks the arena closed.
     *
     * @return what a cleanup action threw, if one did: the lifetime has ended all the same, and the memory must
     *         still be wiped and freed before it is thrown
     * @throws IllegalStateException if the arena is closed or closing (a cleanup action that calls close), or the
     *                               JDK refuses because a native call holds a segment: nothing has changed
     */
    private Throwable endLifetime() {
        if (blocks.closed || !lifetime.scope().isAlive()) {
            throw alreadyClosed();
        }
        Throwable cleanupFailure = null;
        try {
            lifetime.close();
        } catch (RuntimeException | Error e) {
            if (lifetime.scope().isAlive()) {
                throw e; // refused, before the JDK changed anything
            }
            cleanupFailure = e;
        }
        blocks.closed = true;
        return cleanupFailure;
    }

    /** {@return a description without contents or addresses} */
    @Override
    public String toString() {
        synchronized (blocks) {
            return "SecretArena[" + (owner == null ? "shared" : "confined") + ", " + blocks.allocator.name() + ", "
                    + (blocks.closed ? "closed" : blocks.count + " segments") + "]";
        }
    }

    private void checkThread() {
        if (owner != null && owner != Thread.currentThread()) {
            throw new WrongThreadException("Attempted access outside owning thread");
        }
    }

    static IllegalStateException alreadyClosed() {
        return Borrows.alreadyClosed();
    }

    /**
     * The memory of a confined unguarded arena: a confined arena of its own, distinct from the lifetime, whose
     * segments are never handed out (users get views with the lifetime's scope). So no native call can hold it, and
     * the lifetime can end, or be refused, before any byte is wiped; freeing a block only wipes it and shows it to
     * the listener, and {@link #close()} then frees them all. A leaked arena's blocks are wiped by the cleaner, on
     * its own thread, which cannot close a confined arena: that memory is wiped but never given back. It must not
     * refer to the lifetime: it is reachable from the cleanup action, which must not keep the scope it watches
     * reachable, or a leaked arena would never be cleaned.
     */
    private static final class PrivateArenaAllocator implements SecretAllocator {
        private final Arena memory = Arena.ofConfined();
        private final FreeListener listener;

        PrivateArenaAllocator(FreeListener listener) {
            this.listener = listener;
        }

        /** A segment of the private arena. */
        private final class View extends Block {
            View(long address, long size) {
                super(address, size);
            }

            @Override
            public PrivateArenaAllocator owner() {
                return PrivateArenaAllocator.this;
            }

            @Override
            public void free() {
                wipe(); // the private arena frees it later, when the arena closes
                listener.freeing(raw());
            }
        }

        @Override
        public Block allocate(long size, long alignment) {
            return new View(memory.allocate(size, alignment).address(), size); // zeroed by the JDK
        }

        @Override
        public void free(Block block) {
            block.free();
        }

        /** Frees every block; called by the owner thread once they are all wiped. */
        void close() {
            memory.close();
        }

        @Override
        public String name() {
            return UnguardedAllocator.INSTANCE.name();
        }
    }

    /** The memory an arena owns; also its cleanup action, so it must not refer to the arena. */
    private static final class Blocks implements Runnable {
        private static final Block[] NONE = new Block[0];

        final SecretAllocator allocator;
        final boolean shared;
        final Throwable site;
        Block[] items = new Block[4];
        int count;
        boolean closed;
        Throwable failure;

        Blocks(SecretAllocator allocator, boolean shared, Throwable site) {
            this.allocator = allocator;
            this.shared = shared;
            this.site = site;
        }

        void add(Block b) {
            if (count == items.length) {
                items = Arrays.copyOf(items, count * 2);
            }
            items[count++] = b;
        }

        /** {@return the list's array (its first {@code count} blocks), taken out; the list is closed from now on} */
        private Block[] take() {
            closed = true;
            Block[] all = items;
            items = NONE;
            count = 0;
            return all;
        }

        /** Wipes and frees every block, whatever happens to the others; runs once, from close() or the cleaner. */
        @Override
        public void run() {
            Block[] all;
            int n;
            boolean leaked;
            if (shared) {
                synchronized (this) {
                    leaked = !closed;
                    n = count;
                    all = take();
                }
            } else {
                leaked = !closed;
                n = count;
                all = take();
            }
            Throwable first = null;
            for (int i = 0; i < n; i++) {
                try {
                    allocator.free(all[i]); // wipes, then frees
                } catch (RuntimeException | Error e) {
                    if (first == null) {
                        first = e;
                    } else if (e != first) {
                        first.addSuppressed(e);
                    }
                }
                all[i] = null;
            }
            failure = first;
            if (leaked) {
                // Named only now: building the name at every open would cost more than the rest of the open.
                Leaks.report("SecretArena." + (shared ? "ofShared" : "ofConfined") + " (" + allocator.name() + ")",
                        site);
            }
        }
    }
}
