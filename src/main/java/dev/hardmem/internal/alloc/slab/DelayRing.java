package dev.hardmem.internal.alloc.slab;

/**
 * Freed slots waiting before they can be reused, oldest first: a slot comes out only after {@code delay} others went
 * in after it, so a dangling pointer to a freed secret does not find the next secret there at once. Holds slot
 * handles; its length is a power of two above the delay, so positions wrap with a mask. Not thread-safe: its
 * owner (a magazine, or a slab under its class lock) guards it.
 */
final class DelayRing {
    /** What {@link #offer} and {@link #poll} return when no slot comes out. */
    static final long NONE = -1;

    private final int delay;
    private final long[] handles;
    private int head;
    private int count;

    DelayRing(int delay) {
        this.delay = delay;
        this.handles = new long[Integer.highestOneBit(delay) << 1];
    }

    /** Puts {@code handle} in; {@return the oldest handle, which has waited out its delay, or {@link #NONE}} */
    long offer(long handle) {
        handles[(head + count) & (handles.length - 1)] = handle;
        return ++count > delay ? poll() : NONE;
    }

    /** {@return the oldest handle, taken out, or {@link #NONE} if the ring is empty} */
    long poll() {
        if (count == 0) {
            return NONE;
        }
        long h = handles[head];
        head = (head + 1) & (handles.length - 1);
        count--;
        return h;
    }

    /** Forgets every handle (their memory is gone). */
    void clear() {
        count = 0;
    }
}
