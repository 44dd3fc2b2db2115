package dev.hardmem.internal.alloc.region;

import java.lang.foreign.MemorySegment;

/** {@link FreeListener#DEFAULT}: forwards to {@link #target}, which only code in this (sealed) package can set. */
final class DefaultFreeListener implements FreeListener {
    static final DefaultFreeListener INSTANCE = new DefaultFreeListener();

    /** Where frees go; {@link FreeListener#NONE} outside hardmem's tests. */
    static volatile FreeListener target = FreeListener.NONE;

    private DefaultFreeListener() {
    }

    @Override
    public void freeing(MemorySegment raw) {
        target.freeing(raw);
    }
}
