package dev.hardmem.internal.alloc.isolated;

import dev.hardmem.internal.alloc.region.Block;

import java.lang.foreign.MemorySegment;

/** What tests outside this package may see of an isolated block: the whole run of pages it lives in. */
public final class IsolatedProbe {
    private IsolatedProbe() {
    }

    /** {@return the data run of {@code b}'s slot (between its two guard pages)} */
    public static MemorySegment run(Block b) {
        return ((IsolatedBlock) b).slot.run;
    }
}
