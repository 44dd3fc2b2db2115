package dev.hardmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Comparisons whose running time does not depend on where, or whether, the inputs differ.
 *
 * <p>Every byte of both inputs is read, always, and the differences are folded together with OR; no branch
 * depends on the data. Only the lengths are compared up front: they are treated as public, as they are in every
 * protocol that sends a MAC or a hash. {@code ConstantTimeBenchmark} in {@code jmh/} measures a first-byte
 * difference against a last-byte difference.
 *
 * <p>Not guaranteed: the JVM gives no formal timing contract, and a JIT could in principle compile the loop into
 * something with data-dependent timing; HotSpot's C2 does not do that today for this shape of loop.
 */
public final class ConstantTime {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private ConstantTime() {
    }

    /**
     * {@return whether {@code a} and {@code b} have the same length and the same bytes}
     *
     * @param a the first array
     * @param b the second array
     */
    public static boolean equals(byte[] a, byte[] b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        return equals(MemorySegment.ofArray(a), MemorySegment.ofArray(b));
    }

    /**
     * {@return whether {@code a} and {@code b} have the same length and the same chars}
     *
     * @param a the first array
     * @param b the second array
     */
    public static boolean equals(char[] a, char[] b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        return equals(MemorySegment.ofArray(a), MemorySegment.ofArray(b));
    }

    /**
     * {@return whether {@code a} and {@code b} have the same size and the same bytes}
     *
     * @param a the first segment
     * @param b the second segment
     * @throws IllegalStateException if either segment's scope is not alive
     * @throws WrongThreadException  if either segment is confined to another thread
     */
    public static boolean equals(MemorySegment a, MemorySegment b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        long n = a.byteSize();
        if (n != b.byteSize()) {
            return false;
        }
        long diff = 0;
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            diff |= a.get(LONG, i) ^ b.get(LONG, i);
        }
        for (; i < n; i++) {
            diff |= a.get(ValueLayout.JAVA_BYTE, i) ^ b.get(ValueLayout.JAVA_BYTE, i);
        }
        return diff == 0;
    }
}
