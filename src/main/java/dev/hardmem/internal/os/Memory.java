package dev.hardmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Restricted segment operations: giving memory that hardmem owns a lifetime of its own, and naming raw addresses.
 */
@SuppressWarnings("restricted") // this package is where restricted calls are allowed to live
public final class Memory {
    private static final long PAGE_SIZE = Libc.sysconf(Platform.SC_PAGESIZE);

    /**
     * All of the address space as one segment of the global scope, for the allocator's own bookkeeping accesses
     * (canaries, zero checks) at addresses it computed inside memory it mapped. A {@code static final} segment
     * with no lifetime and no real bound lets the JIT compile each access to a plain load or store: the checks a
     * per-slab segment repeats on every access (lifetime, bounds, alignment) cost more than the work itself on
     * the allocation path. Never hand it, or a slice of it, to anyone.
     */
    public static final MemorySegment EVERYWHERE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private Memory() {
    }

    /** {@return the size of a page on this machine, from {@code sysconf(_SC_PAGESIZE)}} */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    /**
     * {@return a view of {@code memory} (same address and size) that lives exactly as long as {@code lifetime}}
     * Closing {@code lifetime} makes the view, and every slice of it, fail with {@link IllegalStateException},
     * without touching the memory itself.
     */
    public static MemorySegment viewFor(MemorySegment memory, Arena lifetime) {
        return memory.reinterpret(lifetime, null);
    }

    /** {@return a segment of {@code size} bytes at {@code address} that lives exactly as long as {@code lifetime}} */
    public static MemorySegment viewAt(long address, long size, Arena lifetime) {
        return MemorySegment.ofAddress(address).reinterpret(size, lifetime, null);
    }

    /** {@return a global-scope segment of {@code size} bytes at {@code address}} */
    public static MemorySegment at(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }
}
