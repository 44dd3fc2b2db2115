package dev.hardmem.internal.alloc;

import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.Tier;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.PerThread;
import dev.hardmem.internal.alloc.region.Zeros;

import java.lang.foreign.MemorySegment;

/**
 * Guarded scratch memory for plaintext that exists only while one call runs: a decrypted message before its tag has
 * verified, a sealed secret's plaintext inside {@code read}, a derived key between two downcalls.
 *
 * <p>Each platform thread keeps one slot of {@link #SLOT_SIZE} bytes in the isolated tier of an allocator of its own
 * (locked, not dumped, wiped on fork, a guard page on each side), made on the thread's first use and freed once
 * the thread has ended (when the next thread makes its slot). A lease of the slot costs no allocation and no system
 * call; closing it zeroes exactly the bytes it leased. A request the slot cannot serve (larger than the slot, on a virtual thread,
 * which can move between carriers while a lease is open, or while this thread's slot is already leased: nested
 * calls) gets a block of its own from that allocator, wiped and freed when the lease closes.
 *
 * <p>A lease belongs to the thread that took it and must be closed on that thread, once ({@code try}-with-resources).
 * The memory it hands out is a raw segment of the global scope: callers never give it to users, only views of it
 * with a lifetime of their own.
 */
public final class Scratch {
    /** The bytes of one thread's slot: one page. */
    public static final long SLOT_SIZE = 4096;

    /**
     * An allocator of its own (default policy), so that the slots, which live as long as their threads, never count
     * among the secrets of the shared allocator.
     */
    private static final GuardedAllocator MEMORY = GuardedAllocator.create(GuardPolicy.defaults());
    /**
     * One slot per platform thread, found again after the JDK erases a thread's thread-locals (a {@code Cleaner}'s
     * before each cleanup, common-pool workers when idle); the slot of a thread that ended is freed when the next
     * thread makes its own.
     */
    private static final PerThread<Slot> SLOTS = new PerThread<>(t -> t == null ? null : new Slot(), Slot::free);

    private Scratch() {
    }

    /**
     * {@return a lease of {@code size} zeroed bytes of guarded memory, aligned to 64 bytes}
     *
     * @param size the bytes needed, 0 or more
     * @throws dev.hardmem.guarded.MemoryBudgetException if a block of its own is needed and cannot be locked
     */
    public static Lease take(long size) {
        if (size <= SLOT_SIZE && !Thread.currentThread().isVirtual()) {
            Slot s = SLOTS.mine();
            if (!s.leased) {
                s.leased = true;
                s.used = size;
                return s;
            }
        }
        return new Own(size);
    }

    /** Guarded bytes for the length of one call. */
    public abstract static sealed class Lease implements AutoCloseable permits Slot, Own {
        /** {@return the leased bytes, zeroed when leased: a raw segment, never handed to users} */
        public abstract MemorySegment memory();

        /** Zeroes the leased bytes and gives them back. */
        @Override
        public abstract void close();
    }

    /** One platform thread's slot, leased to one call at a time; its own lease object. */
    private static final class Slot extends Lease {
        private final GuardedHeap heap = GuardedAccess.heapOf(MEMORY);
        private final Block block = heap.allocate(SLOT_SIZE, 64, Tier.ISOLATED, false);
        private boolean leased;
        private long used;

        /** Frees the slot of a thread that ended (zeroed after its last lease, and wiped again by the free). */
        void free() {
            heap.free(block);
        }

        @Override
        public MemorySegment memory() {
            return block.raw().asSlice(0, used);
        }

        @Override
        public void close() {
            Zeros.fill(block.address(), used);
            used = 0;
            leased = false;
        }
    }

    /** A block of its own, for what a slot cannot serve. */
    private static final class Own extends Lease {
        private final GuardedHeap heap = GuardedAccess.heapOf(MEMORY);
        private final Block block;
        private final long size;

        Own(long size) {
            this.block = heap.allocate(Math.max(size, 1), 64);
            this.size = size;
        }

        @Override
        public MemorySegment memory() {
            return block.raw().asSlice(0, size);
        }

        @Override
        public void close() {
            heap.free(block); // wipes first
        }
    }
}
