package dev.hardmem.internal.alloc.region;

import dev.hardmem.internal.os.Memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One allocation made by an allocator: its address and size, exactly as many bytes as were asked for, and the
 * allocator part that handed it out and takes it back ({@link #owner()}). Only hardmem holds the raw memory; users
 * get {@linkplain #view views} with a lifetime of their own.
 *
 * <p>The hierarchy is closed: {@link GuardedBlock} (whose subclasses are the slab and isolated tiers' blocks) and
 * the C heap's block. It is not declared {@code sealed} because a sealed class on the class path (the unnamed
 * module) may only permit subclasses in its own package, and each tier keeps its block beside its own code; the
 * constructor is protected and no package of the engine is exported.
 */
public abstract class Block {
    private final long address;
    private final long size;

    protected Block(long address, long size) {
        this.address = address;
        this.size = size;
    }

    /** {@return the allocator part that handed this block out: the only one that can take it back} */
    public abstract Object owner();

    /**
     * Wipes the block and gives it back to its {@link #owner()}, which checks what it guards (canaries, slack) in the
     * same pass and may reuse the memory. Callers check first that the owner is theirs.
     *
     * @throws IllegalStateException if it was already freed, or is being read or written; nothing is changed then
     */
    public abstract void free();

    /** {@return the address of the first byte} Never shown to users or in messages. */
    public final long address() {
        return address;
    }

    /** {@return the number of bytes asked for} */
    public final long size() {
        return size;
    }

    /** {@return the memory as a segment of the global scope: never hand it out} */
    public final MemorySegment raw() {
        return Memory.at(address, size);
    }

    /**
     * {@return a view of the memory that lives exactly as long as {@code lifetime}} The segment users get: closing
     * {@code lifetime} makes it, and every slice of it, unusable without touching the memory.
     */
    public final MemorySegment view(Arena lifetime) {
        return Memory.viewAt(address, size, lifetime);
    }

    /** Sets every byte of the block to zero; the caller has made the memory writable ({@link #enter}). */
    public final void wipe() {
        Zeros.fill(address, size);
    }

    /**
     * Makes the memory readable ({@code writable} false) or writable until the matching {@link #exit}; nested and
     * concurrent calls are counted. Only a block whose pages are inaccessible outside accesses (an isolated block
     * with access protection) has anything to change.
     */
    public void enter(boolean writable) {
    }

    /** Ends the access begun by {@link #enter}. */
    public void exit(boolean writable) {
    }
}
