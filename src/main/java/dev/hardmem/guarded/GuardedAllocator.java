package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.GuardedBridge;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.alloc.UnguardedAllocator;

/** Placeholder while the guarded allocator is written. */
public final class GuardedAllocator {
    static {
        GuardedBridge.install(a -> a.heap);
    }

    private final SecretAllocator heap = UnguardedAllocator.INSTANCE;

    private GuardedAllocator() {
    }
}
