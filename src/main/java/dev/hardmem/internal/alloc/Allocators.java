package dev.hardmem.internal.alloc;

/** The allocator secrets and arenas get when they do not name one. */
public final class Allocators {
    private Allocators() {
    }

    /** {@return the default allocator} */
    public static SecretAllocator defaultAllocator() {
        return UnguardedAllocator.INSTANCE;
    }
}
