package dev.hardmem.bench;

import dev.hardmem.Wipe;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Wipe throughput: how fast {@link Wipe} zeroes memory that holds data, against the bandwidth limit of this machine
 * (libc's {@code memset}, called through a critical downcall), {@link MemorySegment#fill} and libsodium's
 * {@code sodium_memzero}.
 *
 * <h2>What one operation is</h2>
 * One invocation wipes {@code max(size, batchBytes)} bytes (1 MiB by default) as {@code max(size, batchBytes) /
 * size} separate wipes of {@code size} bytes each, over distinct, adjacent pieces of one buffer (a {@code byte[]}
 * per piece for {@link #wipeBytes}). The score is nanoseconds per invocation; bytes per second is
 * {@code max(size, batchBytes) / score}, and nanoseconds per single wipe is {@code score / (max(size, batchBytes) /
 * size)}. The report in {@code docs/benchmarks.md} shows both.
 *
 * <h2>Traps avoided</h2>
 * <ul>
 *   <li>Wiping zeros: the buffer is filled with a non-zero pattern before every invocation
 *       ({@code @Setup(Level.Invocation)}, not timed), so every wipe overwrites data, as a real one does. Zero over
 *       zero would measure something else: some Intel server cores are reported to drop stores of zeros to cache
 *       lines that already hold zeros, which would beat the bandwidth a real wipe gets.</li>
 *   <li>Per-invocation setup around a nanosecond operation: the batch makes every invocation take tens of
 *       microseconds or more, so the two timestamps JMH takes around it cost well under 0.1%.</li>
 *   <li>The loop inside the invocation cannot be folded by the JIT: {@link Wipe} calls through a method handle the
 *       JIT cannot see into, and the downcalls are opaque. The buffers live in the state, so no store is dead.</li>
 * </ul>
 * The pattern fill leaves the buffer in the caches when it fits (1 MiB fits L2 or L3 on most machines, 16 MiB
 * usually does not), as a secret that was just used would be.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class WipeBenchmark {
    private static final byte PATTERN = 0x5A;

    /** Native memory: one buffer cut into pieces of {@code size} bytes. */
    @State(Scope.Thread)
    public static class NativeBuffer {
        @Param({"32", "1024", "65536", "1048576", "16777216"})
        public int size;

        /** The least number of bytes one invocation wipes. */
        @Param({"1048576"})
        public int batchBytes;

        MemorySegment whole;
        MemorySegment[] pieces;
        long[] addresses;

        @Setup(Level.Trial)
        public void allocate() {
            long total = Math.max(size, batchBytes);
            whole = Arena.ofAuto().allocate(total, 64);
            int n = (int) (total / size);
            pieces = new MemorySegment[n];
            addresses = new long[n];
            for (int i = 0; i < n; i++) {
                pieces[i] = whole.asSlice((long) i * size, size);
                addresses[i] = pieces[i].address();
            }
        }

        @Setup(Level.Invocation)
        public void dirty() {
            whole.fill(PATTERN);
        }
    }

    /** Heap memory: one {@code byte[]} of {@code size} bytes per piece. */
    @State(Scope.Thread)
    public static class HeapBuffer {
        @Param({"32", "1024", "65536", "1048576", "16777216"})
        public int size;

        @Param({"1048576"})
        public int batchBytes;

        byte[][] pieces;

        @Setup(Level.Trial)
        public void allocate() {
            int n = Math.max(size, batchBytes) / size;
            pieces = new byte[n][size];
        }

        @Setup(Level.Invocation)
        public void dirty() {
            for (byte[] p : pieces) {
                Arrays.fill(p, PATTERN);
            }
        }
    }

    /** {@link Wipe#segment} on native memory. */
    @Benchmark
    public void wipeSegment(NativeBuffer b) {
        for (MemorySegment p : b.pieces) {
            Wipe.segment(p);
        }
    }

    /** {@link Wipe#bytes} on {@code byte[]}s. */
    @Benchmark
    public void wipeBytes(HeapBuffer b) {
        for (byte[] p : b.pieces) {
            Wipe.bytes(p);
        }
    }

    /** Baseline, the bandwidth limit: libc {@code memset(p, 0, size)}, critical downcall. */
    @Benchmark
    public void baselineMemset(NativeBuffer b) {
        int size = b.size;
        for (long a : b.addresses) {
            Native.memset(a, 0, size);
        }
    }

    /** Baseline: {@link MemorySegment#fill} with zero, called directly (the JIT may inline it). */
    @Benchmark
    public void baselineSegmentFill(NativeBuffer b) {
        for (MemorySegment p : b.pieces) {
            p.fill((byte) 0);
        }
    }

    /** Baseline: libsodium {@code sodium_memzero}, critical downcall. */
    @Benchmark
    public void baselineSodiumMemzero(NativeBuffer b, SodiumLibrary lib) {
        int size = b.size;
        for (long a : b.addresses) {
            lib.sodium.memzero(a, size);
        }
    }
}
