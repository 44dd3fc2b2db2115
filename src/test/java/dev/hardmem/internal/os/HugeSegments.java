package dev.hardmem.internal.os;

import java.lang.foreign.MemorySegment;

/**
 * Segments that claim more memory than the test has, for checking that a size is refused before anything reads or
 * allocates it: a view of address 0 with the size asked for. Touching one kills the JVM; only hand it to code that
 * must refuse it.
 */
@SuppressWarnings("restricted")
public final class HugeSegments {
    private HugeSegments() {
    }

    /** {@return a native segment of {@code size} bytes at address 0: never to be read or written} */
    public static MemorySegment unbacked(long size) {
        return MemorySegment.NULL.reinterpret(size);
    }
}
