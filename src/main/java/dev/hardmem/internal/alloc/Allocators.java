package dev.hardmem.internal.alloc;

import dev.hardmem.guarded.GuardedAllocator;

/** The allocator secrets and arenas get when they do not name one: the shared guarded allocator. */
public final class Allocators {
    private Allocators() {
    }

    /** {@return the default allocator} */
    public static SecretAllocator defaultAllocator() {
        return GuardedBridge.allocatorOf(GuardedAllocator.shared());
    }
}
