package dev.hardmem;

import dev.hardmem.internal.os.Libc;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Overwrites with zeros what the caller already holds: arrays, buffers and segments that held secret bytes.
 *
 * <h2>Why the JIT cannot remove the wipe</h2>
 * A compiler may delete stores to memory that is never read again ("dead store elimination"); that is how a
 * plain {@code Arrays.fill} before dropping an array can vanish in C. Here, every wipe goes through a
 * {@link MethodHandle} read from a {@code volatile} field. The JIT cannot treat that handle as a constant, so it
 * cannot inline the fill into the caller; inside the fill, the array or segment is a parameter, which escapes by
 * definition, so its stores are visible to other code and must be performed. A full fence after the fill and a
 * {@link Reference#reachabilityFence reachability fence} keep the target alive and the stores ordered before
 * anything that follows. Stores to native memory ({@link MemorySegment}s outside the heap) are never eliminated
 * by HotSpot in any case, and wipes of 4 KiB and more are done by the C library's {@code memset} through a
 * downcall, which the JIT cannot see into at all. {@code WipeTest#theWipeSurvivesC2} calls every variant 200,000
 * times from code that uses the bytes and then drops them, in a child JVM where C2 is the only compiler ({@code -Xbatch
 * -XX:-TieredCompilation}); it checks from {@code -XX:+PrintCompilation} that the callers were compiled, and checks
 * every byte after every call.
 *
 * <h2>Security guarantees</h2>
 * After a method returns, every element of its argument is zero. It does <em>not</em> reach copies: a
 * {@code byte[]} the garbage collector moved leaves its old bytes in the old place until that memory is reused,
 * {@code String}s cannot be wiped at all, and values the JIT kept in registers or spilled to the stack are out of
 * reach. Keep secrets in {@link Secret}s or {@link SecretArena}s, which never enter the heap.
 */
public final class Wipe {
    private static volatile MethodHandle fillBytes;
    private static volatile MethodHandle fillChars;
    private static volatile MethodHandle fillSegment;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            fillBytes = l.findStatic(Wipe.class, "zeroBytes", MethodType.methodType(void.class, byte[].class));
            fillChars = l.findStatic(Wipe.class, "zeroChars", MethodType.methodType(void.class, char[].class));
            fillSegment = l.findStatic(Wipe.class, "zeroSegment",
                    MethodType.methodType(void.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Wipe() {
    }

    /**
     * Sets every element of {@code array} to zero.
     *
     * @param array the array to wipe
     */
    public static void bytes(byte[] array) {
        Objects.requireNonNull(array, "array");
        try {
            fillBytes.invokeExact(array);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        VarHandle.fullFence();
        Reference.reachabilityFence(array);
    }

    /**
     * Sets every element of {@code array} to {@code '\0'}.
     *
     * @param array the array to wipe
     */
    public static void chars(char[] array) {
        Objects.requireNonNull(array, "array");
        try {
            fillChars.invokeExact(array);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        VarHandle.fullFence();
        Reference.reachabilityFence(array);
    }

    /**
     * Sets every byte of {@code segment} to zero.
     *
     * @param segment the memory to wipe
     * @throws IllegalStateException         if the segment's scope is not alive
     * @throws WrongThreadException          if the segment is confined to another thread
     * @throws UnsupportedOperationException if the segment is read-only
     */
    public static void segment(MemorySegment segment) {
        Objects.requireNonNull(segment, "segment");
        if (segment.isReadOnly()) {
            throw new UnsupportedOperationException("cannot wipe a read-only segment");
        }
        try {
            fillSegment.invokeExact(segment);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        VarHandle.fullFence();
        Reference.reachabilityFence(segment);
    }

    /**
     * Sets every byte of {@code buffer} to zero: its whole capacity, whatever its position and limit, which are
     * left as they were. Works on heap and direct buffers.
     *
     * @param buffer the buffer to wipe
     * @throws java.nio.ReadOnlyBufferException if the buffer is read-only
     * @throws IllegalStateException            if the buffer is a view of a segment whose scope is closed
     * @throws WrongThreadException             if the buffer is a view of a segment confined to another thread
     */
    public static void buffer(ByteBuffer buffer) {
        Objects.requireNonNull(buffer, "buffer");
        if (buffer.isReadOnly()) {
            throw new java.nio.ReadOnlyBufferException();
        }
        MemorySegment whole = MemorySegment.ofBuffer(buffer.duplicate().clear());
        segment(whole);
    }

    private static void zeroBytes(byte[] array) {
        zeroSegment(MemorySegment.ofArray(array));
    }

    private static void zeroChars(char[] array) {
        zeroSegment(MemorySegment.ofArray(array));
    }

    /**
     * Small wipes use the JDK's fill; from {@value #MEMSET_THRESHOLD} bytes on, the C library's {@code memset}
     * (a downcall), which reaches about twice the JDK fill's bandwidth on data in cache.
     */
    private static void zeroSegment(MemorySegment segment) {
        if (segment.byteSize() >= MEMSET_THRESHOLD) {
            Libc.zero(segment);
        } else {
            segment.fill((byte) 0);
        }
    }

    private static final long MEMSET_THRESHOLD = 4096;
}
