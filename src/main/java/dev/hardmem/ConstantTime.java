package dev.hardmem;

import dev.hardmem.internal.keys.Borrows;

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
 * <p>A {@link Secret} is compared in place, inside its own {@code read}: its bytes are never copied. Two secrets
 * compare only when they are of the same kind ({@link #equals(Secret, Secret)}, as {@link Secret#contentEquals});
 * comparing a key with a password does not compile unless the caller says so, with
 * {@link #equalsAcrossKinds(Secret, Secret)}.
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
        requireUsable(a);
        requireUsable(b);
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

    /**
     * {@return whether {@code secret} holds the same bytes as {@code other}} The secret is read in place; the
     * comparison runs in time that depends only on the sizes.
     *
     * @param secret the secret, of any kind
     * @param other  the bytes to compare with, from any arena or the Java heap
     * @throws IllegalStateException if {@code secret} is closed, or this thread has it open for writing, or
     *                               {@code other}'s scope is not alive
     * @throws WrongThreadException  if {@code other} is confined to another thread
     */
    public static boolean equals(Secret<?> secret, MemorySegment other) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(other, "other");
        return secret.read(s -> equals(s, other));
    }

    /**
     * {@return whether {@code secret} holds the same bytes as {@code other}} The secret is read in place; the
     * comparison runs in time that depends only on the lengths.
     *
     * @param secret the secret, of any kind
     * @param other  the bytes to compare with
     * @throws IllegalStateException if {@code secret} is closed, or this thread has it open for writing
     */
    public static boolean equals(Secret<?> secret, byte[] other) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(other, "other");
        return secret.read(s -> equals(s, MemorySegment.ofArray(other)));
    }

    /**
     * {@return whether two secrets of the same kind hold the same bytes} The same as {@code a.contentEquals(b)}:
     * both are read in place, in time that depends only on the sizes. Secrets of two kinds do not compile here;
     * see {@link #equalsAcrossKinds(Secret, Secret)}.
     *
     * @param <K> the kind of both
     * @param a   the first secret
     * @param b   the second secret
     * @throws IllegalStateException if either secret is closed, or this thread has either open for writing
     */
    public static <K extends SecretKind> boolean equals(Secret<K> a, Secret<K> b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        return bothEqual(a, b);
    }

    /**
     * {@return whether two secrets, of any kinds, hold the same bytes} The explicit way to compare secrets of
     * different kinds (a password received with a password stored as a key, say), which
     * {@link #equals(Secret, Secret)} and {@link Secret#contentEquals} refuse at compile time. Both are read in
     * place, in time that depends only on the sizes.
     *
     * @param a the first secret
     * @param b the second secret
     * @throws IllegalStateException if either secret is closed, or this thread has either open for writing
     */
    public static boolean equalsAcrossKinds(Secret<?> a, Secret<?> b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        return bothEqual(a, b);
    }

    /**
     * Throws what the JDK throws on access, before any: a segment of different size, or an empty one, is otherwise
     * never touched, and would pass unchecked.
     */
    static void requireUsable(MemorySegment segment) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("Already closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("Attempted access outside owning thread");
        }
    }

    /**
     * {@return whether {@code a} and {@code b}, of any kinds, hold the same bytes, in constant time} Both are read
     * at once, locked in a fixed order so that two threads comparing a with b and b with a cannot deadlock.
     */
    static boolean bothEqual(Secret<?> a, Secret<?> b) {
        if (a == b) {
            return a.read(s -> true); // open, or it throws
        }
        return Borrows.inOneOrder(a, b, (p, q) -> p.read(x -> q.read(y -> ConstantTime.equals(x, y))));
    }
}
