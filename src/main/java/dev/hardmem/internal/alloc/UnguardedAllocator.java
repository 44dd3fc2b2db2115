package dev.hardmem.internal.alloc;

import dev.hardmem.internal.os.Libc;

import java.lang.foreign.MemorySegment;

/**
 * Secret memory from the C heap ({@code posix_memalign}/{@code free}): wiped before it is freed and never seen by
 * the garbage collector, but with no guard pages, no canary, no locking and no exclusion from core dumps. It is
 * what {@code SecretArena.ofConfinedUnguarded()} uses, for comparison and for machines where nothing else works.
 */
public final class UnguardedAllocator implements SecretAllocator {
    public static final UnguardedAllocator INSTANCE = new UnguardedAllocator();

    private static final long MIN_ALIGNMENT = 16;

    private UnguardedAllocator() {
    }

    private record MallocBlock(MemorySegment raw, MemorySegment base) implements Block {
    }

    @Override
    public Block allocate(long size, long alignment) {
        SecretAllocator.checkSizeAndAlignment(size, alignment);
        MemorySegment base = Libc.posixMemalign(Math.max(size, 1), Math.max(alignment, MIN_ALIGNMENT));
        base.fill((byte) 0);
        return new MallocBlock(base.asSlice(0, size), base);
    }

    @Override
    public void free(Block block) {
        if (!(block instanceof MallocBlock b)) {
            throw new IllegalArgumentException("this block was not allocated by " + name());
        }
        SecretAllocator.beforeFree(b.raw());
        Libc.free(b.base());
    }

    @Override
    public String name() {
        return "unguarded (C heap)";
    }
}
