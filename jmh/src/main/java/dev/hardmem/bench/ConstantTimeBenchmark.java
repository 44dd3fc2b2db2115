package dev.hardmem.bench;

import dev.hardmem.ConstantTime;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Does the time of {@link ConstantTime#equals} depend on where the inputs differ? Each input is compared with an
 * equal copy, with a copy whose <em>first</em> byte differs, and with a copy whose <em>last</em> byte differs, as
 * {@code byte[]} and as native segments (where secrets live). The three scores of one size must be the same within
 * the error; {@link Arrays#equals(byte[], byte[])} beside them is the baseline that is <em>not</em> constant time:
 * it returns at the first difference, so "first differs" is much faster than "last differs" at 4 KiB, which is the
 * leak a forged MAC is checked with.
 *
 * <h2>Traps avoided</h2>
 * <ul>
 *   <li>Constant inputs: the arrays are non-final fields of the state, so the JIT cannot fold the comparison.</li>
 *   <li>Identity shortcuts: {@code Arrays.equals(a, a)} returns at once; every comparison here is between two
 *       distinct arrays (or segments).</li>
 *   <li>Dead code: every benchmark returns its result, which JMH consumes.</li>
 *   <li>Branch prediction flattering the baseline: each benchmark always compares the same pair, so the predictor
 *       learns {@code Arrays.equals}'s exit; that is the attacker's favourable case too (a timing attack repeats
 *       one guess many times), and {@code ConstantTime} has no data-dependent branch to learn.</li>
 * </ul>
 * 32 bytes is a key or a MAC tag; at that size the whole comparison takes a few nanoseconds and the difference for
 * {@code Arrays.equals} is small. 4 KiB makes the early exit of the baseline plain to see.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ConstantTimeBenchmark {
    @Param({"32", "4096"})
    public int size;

    byte[] input;
    byte[] equal;
    byte[] firstDiffers;
    byte[] lastDiffers;

    Arena arena;
    MemorySegment inputSegment;
    MemorySegment equalSegment;
    MemorySegment firstDiffersSegment;
    MemorySegment lastDiffersSegment;

    @Setup(Level.Trial)
    public void setUp() {
        input = new byte[size];
        new SplittableRandom(42).nextBytes(input);
        equal = input.clone();
        firstDiffers = input.clone();
        firstDiffers[0] ^= 1;
        lastDiffers = input.clone();
        lastDiffers[size - 1] ^= 1;
        arena = Arena.ofConfined();
        inputSegment = copyOffHeap(input);
        equalSegment = copyOffHeap(equal);
        firstDiffersSegment = copyOffHeap(firstDiffers);
        lastDiffersSegment = copyOffHeap(lastDiffers);
    }

    private MemorySegment copyOffHeap(byte[] bytes) {
        return arena.allocate(bytes.length, 8).copyFrom(MemorySegment.ofArray(bytes));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    // ---------------------------------------------------------------- ConstantTime, byte[]

    @Benchmark
    public boolean constantTimeEqual() {
        return ConstantTime.equals(input, equal);
    }

    @Benchmark
    public boolean constantTimeFirstByteDiffers() {
        return ConstantTime.equals(input, firstDiffers);
    }

    @Benchmark
    public boolean constantTimeLastByteDiffers() {
        return ConstantTime.equals(input, lastDiffers);
    }

    // ---------------------------------------------------------------- ConstantTime, native segments

    @Benchmark
    public boolean constantTimeSegmentEqual() {
        return ConstantTime.equals(inputSegment, equalSegment);
    }

    @Benchmark
    public boolean constantTimeSegmentFirstByteDiffers() {
        return ConstantTime.equals(inputSegment, firstDiffersSegment);
    }

    @Benchmark
    public boolean constantTimeSegmentLastByteDiffers() {
        return ConstantTime.equals(inputSegment, lastDiffersSegment);
    }

    // ---------------------------------------------------------------- baseline: early exit

    @Benchmark
    public boolean arraysEqualsEqual() {
        return Arrays.equals(input, equal);
    }

    @Benchmark
    public boolean arraysEqualsFirstByteDiffers() {
        return Arrays.equals(input, firstDiffers);
    }

    @Benchmark
    public boolean arraysEqualsLastByteDiffers() {
        return Arrays.equals(input, lastDiffers);
    }
}
