package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.os.Os;

/** Guarded allocators over engines a test makes: with its own system calls, for fault injection. */
@SuppressWarnings("exports") // test code: it hands internal types to other tests
public final class TestAllocators {
    private TestAllocators() {
    }

    /** {@return a closable allocator with {@code policy} whose system calls go through {@code os}} */
    public static GuardedAllocator create(GuardPolicy policy, Os os) {
        return new GuardedAllocator(new GuardedHeap(policy, "a guarded allocator", true, os, FreeListener.DEFAULT));
    }

    /** {@return the engine behind {@code allocator}} */
    public static GuardedHeap heapOf(GuardedAllocator allocator) {
        return allocator.heap();
    }
}
