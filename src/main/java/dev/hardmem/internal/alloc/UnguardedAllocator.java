package dev.hardmem.internal.alloc;

import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.Refusals;
import dev.hardmem.internal.os.Libc;

import java.lang.foreign.MemorySegment;

/**
 * Secret memory from the C heap ({@code posix_memalign}/{@code free}): wiped before it is freed and never seen by
 * the garbage collector, but with no guard pages, no canary, no locking and no exclusion from core dumps. It is
 * what {@code SecretArena.ofSharedUnguarded()} uses, for comparison and for machines where nothing else works.
 */
public final class UnguardedAllocator implements SecretAllocator {
    /** The one hardmem uses. */
    public static final UnguardedAllocator INSTANCE = new UnguardedAllocator(FreeListener.DEFAULT);

    private static final long MIN_ALIGNMENT = 16;

    private final FreeListener listener;

    private UnguardedAllocator(FreeListener listener) {
        this.listener = listener;
    }

    /** {@return who sees its frees} Confined unguarded arenas, which free their own memory, tell it too. */
    public FreeListener listener() {
        return listener;
    }

    /** A block of the C heap: {@code base} is what {@code posix_memalign} returned (at least one byte). */
    private static final class CHeapBlock extends Block {
        private final UnguardedAllocator owner;
        private final MemorySegment base;

        CHeapBlock(UnguardedAllocator owner, MemorySegment base, long size) {
            super(base.address(), size);
            this.owner = owner;
            this.base = base;
        }

        @Override
        public UnguardedAllocator owner() {
            return owner;
        }

        @Override
        public void free() {
            wipe();
            owner.listener.freeing(raw());
            Libc.free(base);
        }
    }

    @Override
    public Block allocate(long size, long alignment) {
        MemorySegment base = Libc.posixMemalign(Math.max(size, 1), Math.max(alignment, MIN_ALIGNMENT));
        base.fill((byte) 0);
        return new CHeapBlock(this, base, size);
    }

    @Override
    public void free(Block block) {
        if (block.owner() != this) {
            throw Refusals.notOurs(name());
        }
        block.free();
    }

    @Override
    public String name() {
        return "unguarded (C heap)";
    }
}
