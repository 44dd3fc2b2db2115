package dev.hardmem.internal.alloc.region;

/** Test access to where {@link FreeListener#DEFAULT} forwards: only code in this package can set it. */
public final class FreeListeners {
    private FreeListeners() {
    }

    /** Sends the frees of every allocator hardmem makes to {@code listener}; {@link FreeListener#NONE} stops it. */
    public static void observe(FreeListener listener) {
        DefaultFreeListener.target = listener;
    }
}
