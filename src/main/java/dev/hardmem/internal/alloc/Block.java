package dev.hardmem.internal.alloc;

import dev.hardmem.internal.os.Memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One allocation made by a {@link SecretAllocator}: its memory as a raw segment of the global scope, exactly as
 * many bytes as were asked for. Only hardmem holds raw segments; users get views of them with a lifetime of their
 * own (see {@code Memory.viewFor}).
 */
public interface Block {
    /** {@return the memory, exactly the size asked for, global scope: never hand it out} */
    MemorySegment raw();

    /**
     * {@return a view of the memory that lives exactly as long as {@code lifetime}} The segment users get: closing
     * {@code lifetime} makes it, and every slice of it, unusable without touching the memory.
     */
    default MemorySegment view(Arena lifetime) {
        return Memory.viewFor(raw(), lifetime);
    }

    /**
     * Wipes the memory before it is freed. An allocator that zeroes every block it takes back itself (the guarded
     * slab tier zeroes the whole slot, after checking its canary) may leave this to {@code free}.
     */
    default void wipe() {
        raw().fill((byte) 0);
    }

    /**
     * Called before the memory is read ({@code writable} false) or written; nested and concurrent calls are
     * counted. An allocator with access-scoped protection makes the pages accessible here.
     */
    default void enter(boolean writable) {
    }

    /** Called after the access begun by {@link #enter} ends. */
    default void exit(boolean writable) {
    }

    /**
     * Keeps {@code watch} reachable from the allocator's own metadata for as long as this block is live (the
     * allocator drops it when the block is freed). {@code null} drops it now.
     */
    default void hold(Object watch) {
        throw new UnsupportedOperationException("this allocator cannot hold a leak watch");
    }
}
