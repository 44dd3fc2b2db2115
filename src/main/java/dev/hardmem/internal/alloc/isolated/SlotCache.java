package dev.hardmem.internal.alloc.isolated;

import dev.hardmem.internal.alloc.region.Layout;

/**
 * Free slots of one pool held by one holder, so a thread frees and allocates isolated secrets of a size it uses
 * without taking the pool's lock: each platform thread has its own (touched only by it), virtual threads share
 * one (behind its monitor). A cached slot is zeroed and out of the pool: its region stays mapped, and its zeros
 * are checked when it is next handed out. Slots come out oldest first, and the newest half never: a freed slot
 * waits for at least that many later frees before it is handed out again, so a dangling pointer to a freed secret
 * does not find the next secret there at once (the pool, first in first out, delays reuse the same way).
 */
final class SlotCache {
    /** The most bytes of free slots a holder keeps per pool: bounds what the caches keep locked. */
    static final long BYTES = 32 * 1024;
    /** The fewest slots worth caching: with fewer, the held-back half would leave nothing to hand out. */
    static final int MIN_SLOTS = 4;

    /** The thread it belongs to; {@code null} for the cache virtual threads share. */
    final Thread thread;
    private final Slot[] ring;
    private int head;
    private int count;
    /** Allocations minus frees through this cache (negative when its thread frees others' secrets). */
    private long live;
    private long bytes;

    SlotCache(Thread thread, long pages) {
        this.thread = thread;
        this.ring = new Slot[capacity(pages)];
    }

    /** {@return how many free slots of {@code pages} pages a cache keeps: a power of two (positions wrap by mask)} */
    static int capacity(long pages) {
        return Integer.highestOneBit((int) Math.min(8, BYTES / (pages * Layout.PAGE)));
    }

    /** {@return a free slot of {@code pool} for {@code size} bytes: this cache's oldest, or one from the pool} */
    Slot take(Pool pool, long size) {
        if (count <= ring.length / 2) {
            return pool.take(size);
        }
        Slot s = ring[head];
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        count--;
        live++;
        bytes += size;
        return s;
    }

    /** {@return whether this cache kept {@code s}, a freed and zeroed slot; if not, the caller gives it back} */
    boolean keep(Slot s, long size) {
        if (count == ring.length) {
            return false;
        }
        s.clear();
        ring[(head + count++) & (ring.length - 1)] = s;
        live--;
        bytes -= size;
        return true;
    }

    /** Gives every slot and the counts back to {@code pool}. */
    void flush(Pool pool) {
        Slot[] slots = new Slot[count];
        for (int i = 0; i < count; i++) {
            slots[i] = ring[(head + i) & (ring.length - 1)];
        }
        pool.takeBack(slots, slots.length, live, bytes);
        forget();
        live = 0;
        bytes = 0;
    }

    /** Drops every slot without giving it back (the allocator was closed and its regions unmapped). */
    void forget() {
        java.util.Arrays.fill(ring, null);
        head = 0;
        count = 0;
    }

    long live() {
        return live;
    }

    long bytes() {
        return bytes;
    }
}
