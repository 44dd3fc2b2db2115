package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.Block;
import dev.hardmem.internal.alloc.SecretAllocator;

/** Placeholder while the guarded allocator is written. */
public final class GuardedAllocator implements SecretAllocator {
    private GuardedAllocator() {
    }

    @Override
    public Block allocate(long size, long alignment) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void free(Block block) {
        throw new UnsupportedOperationException();
    }

    @Override
    public String name() {
        return "guarded";
    }
}
