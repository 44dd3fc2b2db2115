package dev.hardmem;

import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.internal.alloc.GuardedAccess;
import dev.hardmem.internal.alloc.Leaks;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.alloc.UnguardedAllocator;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.os.Memory;

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
 * write them any more), then wipes every byte of each segment and gives its memory back (the allocator wipes as it
 * checks its canaries: one pass). If one fails, the others still happen, and then the first failure is thrown. A
 * segment's memory is always wiped before it is given back. Wiping is done here, never from a
 * {@code reinterpret} cleanup action: from JDK 25, a confined arena runs its first registered cleanup first, so a
 * wipe registered after the allocation would touch freed memory.
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
 * free, a leaked arena). Not guaranteed: copies made by the caller (reading a segment into a {@code byte[]}),
 * copies a native library or JCA provider makes, values the JIT keeps in registers or spills to the stack. The
 * unguarded arenas ({@link #ofConfinedUnguarded()}) add nothing more; the default arenas add what the default
 * allocator gives (see {@code docs/guarantees.md}).
 */
public final class SecretArena implements Arena {
    private final Arena lifetime;
    private final Thread owner;
    private final Blocks blocks;
    /** Where the memory comes from when it is the lifetime's own (confined unguarded arenas); else {@code null}. */
    private final LifetimeAllocator ownMemory;
    private final Leaks.Registration cleanable;

    private SecretArena(boolean shared, SecretAllocator allocator) {
        this.lifetime = shared ? Arena.ofShared() : Arena.ofConfined();
        this.owner = shared ? null : Thread.currentThread();
        // Confined and unguarded: the memory comes from the lifetime arena itself (the JDK's zeroed malloc), and
        // close() wipes it before it closes that arena. Only the owner thread can touch the segments, so wiping
        // before the scope ends is as safe as after, and it saves a malloc/free downcall pair per segment.
        this.ownMemory = allocator instanceof UnguardedAllocator u && !shared ? LifetimeAllocator.of(u.listener())
                : null;
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
     *                                  not a power of two, or (guarded arenas) is above the page size
     * @throws IllegalStateException    if this arena is closed
     * @throws WrongThreadException     if this arena is confined to another thread
     * @throws dev.hardmem.guarded.MemoryBudgetException (guarded arenas) if the memory cannot be locked under
     *                                  policy {@code REQUIRE}, or the mappings would cross {@code vm.max_map_count}
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
        if (ownMemory != null) {
            MemorySegment s = lifetime.allocate(byteSize, byteAlignment); // zeroed by the JDK
            blocks.add(ownMemory.new View(s.address(), byteSize));
            return s;
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
     * Ends the lifetime of every segment, wipes every byte of them, then frees them.
     *
     * @throws IllegalStateException if the arena is already closed, or (shared) a segment is in use by a
     *                               native call that holds it
     * @throws WrongThreadException  if this arena is confined to another thread
     */
    @Override
    public void close() {
        checkThread();
        if (ownMemory != null) {
            // Confined: the owner thread is the only one that can be here.
            if (blocks.closed) {
                throw alreadyClosed();
            }
            blocks.closed = true; // closed, not leaked: the cleanup below reports nothing
            cleanable.clean(); // wipes while the lifetime's memory is still allocated ...
            lifetime.close(); // ... then frees it
        } else {
            if (owner == null) {
                synchronized (blocks) {
                    endLifetime();
                }
            } else {
                endLifetime();
            }
            cleanable.clean();
        }
        Throwable failure = blocks.failure;
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** Ends the segments' lifetime and marks the arena closed; if the JDK refuses (a segment is held), no change. */
    private void endLifetime() {
        if (blocks.closed) {
            throw alreadyClosed();
        }
        lifetime.close();
        blocks.closed = true;
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
        return new IllegalStateException("Already closed");
    }

    /**
     * Memory from the lifetime arena itself, for confined unguarded arenas. Blocks are views of its segments;
     * freeing one only shows it to the listener: the arena frees them all when it closes. A leaked arena's memory is
     * never freed by the JDK (a confined arena is freed only by close), so the cleaner still finds it allocated when
     * it wipes it. It must not refer to the arena: it is reachable from the cleanup action, which must not keep the
     * lifetime (and so the scope it watches) reachable, or a leaked arena would never be cleaned.
     */
    private static final class LifetimeAllocator implements SecretAllocator {
        private static final LifetimeAllocator SHARED = new LifetimeAllocator(FreeListener.DEFAULT);

        private final FreeListener listener;

        private LifetimeAllocator(FreeListener listener) {
            this.listener = listener;
        }

        static LifetimeAllocator of(FreeListener listener) {
            return listener == FreeListener.DEFAULT ? SHARED : new LifetimeAllocator(listener);
        }

        /** A segment of the lifetime arena. */
        private final class View extends Block {
            View(long address, long size) {
                super(address, size);
            }

            @Override
            public LifetimeAllocator owner() {
                return LifetimeAllocator.this;
            }

            @Override
            public void free() {
                wipe(); // the lifetime arena frees it later, when the arena closes
                listener.freeing(raw());
            }
        }

        /** Not used: {@link SecretArena#allocate} takes the memory from its lifetime directly. */
        @Override
        public Block allocate(long size, long alignment) {
            throw new AssertionError("a confined unguarded arena allocates from its lifetime");
        }

        @Override
        public void free(Block block) {
            block.free();
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
                    first = first == null ? e : first;
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
