package dev.hardmem.aead;

import java.lang.foreign.MemorySegment;

/** Checks on the segments handed to seal and open, made before any nonce is consumed or any key is read. */
final class Segments {
    /** The largest array HotSpot allocates; a ciphertext must fit in one. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private Segments() {
    }

    static void checkReadable(MemorySegment segment, String name, long maxSize) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("the " + name + " segment is not alive: its arena is closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("the " + name + " segment is confined to another thread");
        }
        if (segment.byteSize() > maxSize) {
            throw new IllegalArgumentException(name + " is " + segment.byteSize() + " bytes, more than the "
                    + maxSize + " a JCA cipher can take in one operation");
        }
    }

    static void checkWritable(MemorySegment segment, String name, long minSize) {
        checkReadable(segment, name, Long.MAX_VALUE);
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException("the " + name + " segment is read-only");
        }
        if (segment.byteSize() < minSize) {
            throw new IllegalArgumentException(name + " is " + segment.byteSize() + " bytes, the plaintext needs "
                    + minSize);
        }
    }
}
