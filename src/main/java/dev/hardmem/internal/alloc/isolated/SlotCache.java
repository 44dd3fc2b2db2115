package dev.hardmem.internal.alloc.isolated;

import dev.hardmem.internal.alloc.region.Layout;

/**
 * Free slots of one pool held by one holder, so a thread frees and allocates isolated secrets of a size it uses
 * without taking the pool's lock: each platform thread has its own (touched only by it), virtual threads share
 * one (behind its monitor). A cached slot is zeroed and out of the pool: its region stays mapped, and its zeros
 * are checked when it is next handed out.
 */
final class SlotCache {
    /** The most bytes of free slots a holder keeps per pool: bounds what the caches keep locked. */
    static final long BYTES = 32 * 1024;

    /** The thread it belongs to; {@code null} for the cache virtual threads share. */
    final Thread thread;
    private final Slot[] slots;
    private int count;
    /** Allocations minus frees through this cache (negative when its thread frees others' secrets). */
    private long live;
    private long bytes;

    SlotCache(Thread thread, long pages) {
        this.thread = thread;
        this.slots = new Slot[capacity(pages)];
    }

    /** {@return how many free slots of {@code pages} pages a cache keeps; 0: that pool is not cached} */
    static int capacity(long pages) {
        return (int) Math.min(8, BYTES / (pages * Layout.PAGE));
    }

    /** {@return a free slot of {@code pool} for {@code size} bytes: one of this cache's, or one from the pool} */
    Slot take(Pool pool, long size) {
        if (count == 0) {
            return pool.take(size);
        }
        Slot s = slots[--count];
        slots[count] = null;
        live++;
        bytes += size;
        return s;
    }

    /** {@return whether this cache kept {@code s}, a freed and zeroed slot; if not, the caller gives it back} */
    boolean keep(Slot s, long size) {
        if (count == slots.length) {
            return false;
        }
        s.clear();
        slots[count++] = s;
        live--;
        bytes -= size;
        return true;
    }

    /** Gives every slot and the counts back to {@code pool}. */
    void flush(Pool pool) {
        pool.takeBack(slots, count, live, bytes);
        java.util.Arrays.fill(slots, 0, count, null);
        count = 0;
        live = 0;
        bytes = 0;
    }

    /** Drops every slot without giving it back (the allocator was closed and its regions unmapped). */
    void forget() {
        java.util.Arrays.fill(slots, 0, count, null);
        count = 0;
    }

    long live() {
        return live;
    }

    long bytes() {
        return bytes;
    }
}
