package dev.hardmem.testing;

import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.FreeListeners;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches every block any allocator frees, through the allocator's test observer, and counts the blocks and
 * bytes freed and any byte that was not zero at that moment. Close it to stop watching.
 */
public final class FreeWatch implements AutoCloseable {
    private final AtomicLong blocks = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong dirtyBlocks = new AtomicLong();

    private FreeWatch() {
    }

    /** {@return a new watch, now observing} */
    public static FreeWatch start() {
        FreeWatch w = new FreeWatch();
        FreeListeners.observe(w::observe);
        return w;
    }

    private void observe(MemorySegment raw) {
        blocks.incrementAndGet();
        bytes.addAndGet(raw.byteSize());
        if (!isZero(raw)) {
            dirtyBlocks.incrementAndGet();
        }
    }

    /** {@return whether every byte of {@code s} is zero} */
    public static boolean isZero(MemorySegment s) {
        long n = s.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                return false;
            }
        }
        for (; i < n; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }

    public long blocks() {
        return blocks.get();
    }

    public long bytes() {
        return bytes.get();
    }

    /** {@return how many freed blocks held a non-zero byte when they were freed} */
    public long dirtyBlocks() {
        return dirtyBlocks.get();
    }

    @Override
    public void close() {
        FreeListeners.observe(FreeListener.NONE);
    }
}
