package dev.hardmem;

import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.alloc.region.Block;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reading a secret's bytes from a stream or a channel straight into its memory, refusing to grow, and ending a
 * password at its line.
 */
final class Sources {
    private Sources() {
    }

    /** A block holding what a source gave: {@code size} bytes, from {@code allocator}. */
    record Filled(Block block, long size) {
    }

    /**
     * {@return a block of {@code capacity} bytes from {@code allocator}, filled by {@code source}} A password
     * ({@code password}) loses one trailing line ending. Whatever goes wrong (over capacity, an empty source, an
     * {@link IOException}, anything thrown sneakily), the block is wiped and freed: nothing read is kept.
     *
     * @throws IllegalArgumentException if {@code capacity} is below 1 or above 64 TiB, or the source gave nothing
     */
    static Filled fill(SecretAllocator allocator, long capacity, boolean password,
                       SecretFunction<Long, IOException> source) throws IOException {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        SecretAllocator.checkSizeAndAlignment(capacity, 1);
        Block block = allocator.allocateForSecret(capacity, 1);
        boolean kept = false;
        try {
            long n;
            block.enter(true);
            try (Arena scope = Arena.ofConfined()) {
                MemorySegment segment = block.view(scope);
                n = source.apply(segment);
                if (password) {
                    n = withoutLineEnding(segment, n);
                }
            } finally {
                block.exit(true);
            }
            if (n == 0) {
                throw new IllegalArgumentException("the source was empty: a secret must hold at least 1 byte");
            }
            kept = true;
            return new Filled(block, n);
        } finally {
            if (!kept) {
                SecretMemory.wipeAndFree(allocator, block);
            }
        }
    }

    /**
     * Reads {@code in} to its end into {@code segment}, one byte at a time, so no heap buffer of the secret is made
     * here.
     *
     * @return the bytes read
     * @throws IllegalArgumentException if {@code in} holds more than the segment
     */
    static long readStream(InputStream in, MemorySegment segment) throws IOException {
        long n = 0;
        int b;
        while ((b = in.read()) >= 0) {
            if (n == segment.byteSize()) {
                throw overCapacity(segment.byteSize());
            }
            segment.set(ValueLayout.JAVA_BYTE, n++, (byte) b);
        }
        return n;
    }

    /**
     * Reads a blocking {@code channel} to its end into {@code segment}, through direct buffer views of it. A blocking
     * channel gives at least one byte or the end on every read; one that gives 0 is non-blocking (or breaks that
     * contract), and waiting for it without a selector would spin, so it is refused.
     *
     * @return the bytes read
     * @throws IllegalArgumentException if {@code channel} holds more than the segment, or a read gives 0 bytes
     */
    static long readChannel(ReadableByteChannel channel, MemorySegment segment) throws IOException {
        long done = 0;
        long size = segment.byteSize();
        while (done < size) {
            // A ByteBuffer holds less than 2 GiB: read in views of at most 1 GiB.
            ByteBuffer buf = segment.asSlice(done, Math.min(size - done, 1L << 30)).asByteBuffer();
            int r = channel.read(buf);
            if (r < 0) {
                return done;
            }
            if (r == 0) {
                throw nonBlocking();
            }
            done += r;
        }
        // Full: one more byte means the source is larger than the capacity.
        try (Arena probe = Arena.ofConfined()) {
            ByteBuffer one = probe.allocate(1).asByteBuffer();
            int r = channel.read(one);
            if (r == 0) {
                throw nonBlocking();
            }
            if (r > 0) {
                Wipe.buffer(one);
                throw overCapacity(size);
            }
        }
        return done;
    }

    /**
     * Ends a password at its line: drops one trailing {@code "\n"} or {@code "\r\n"} from the {@code length} bytes
     * at the start of {@code segment}, and wipes what it drops. Only the last byte, and the one before it when the
     * last is a line feed, are looked at.
     *
     * @return the length without the line ending
     */
    static long withoutLineEnding(MemorySegment segment, long length) {
        long end = length;
        if (end > 0 && segment.get(ValueLayout.JAVA_BYTE, end - 1) == '\n') {
            end--;
            if (end > 0 && segment.get(ValueLayout.JAVA_BYTE, end - 1) == '\r') {
                end--;
            }
        }
        segment.asSlice(end, length - end).fill((byte) 0);
        return end;
    }

    static IllegalArgumentException nonBlocking() {
        return new IllegalArgumentException("the channel is non-blocking (a read gave 0 bytes): hardmem does not"
                + " spin on it; read a secret from a channel in blocking mode");
    }

    private static IllegalArgumentException overCapacity(long capacity) {
        return new IllegalArgumentException("the source holds more than the capacity of " + capacity
                + " bytes; a secret never grows");
    }
}
