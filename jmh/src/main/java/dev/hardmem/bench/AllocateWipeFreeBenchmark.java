package dev.hardmem.bench;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.guarded.Allocation;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.Tier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * What one short-lived secret costs: allocate {@code size} bytes, write the secret into them, wipe them, free them.
 *
 * <p>Every method does the same work on the secret: it fills all {@code size} bytes with a non-zero pattern (as a
 * key derivation would), so the wipe that follows overwrites real data, not zeros. The hardmem methods wipe the way
 * the library does when it frees: {@link SecretArena#close()} wipes every segment and gives it back to its
 * allocator (the guarded allocator zeroes slots again as it takes them back); {@link Allocation#close()} checks the
 * canary and zeroes. {@code secretRandom} is the one-call path: {@link Secret#random} fills the secret from
 * {@code getrandom(2)} in place of the pattern, and {@link Secret#close()} wipes and frees it. The baselines:
 * <ul>
 *   <li>{@code baselineArena}: {@link Arena#ofConfined()} allocate + fill + close: plain FFM, which zeroes on
 *       allocation ({@code malloc} + {@code memset}) and does <em>not</em> wipe on close;</li>
 *   <li>{@code baselineSharedArena}: the same with {@link Arena#ofShared()}, whose close waits for a handshake
 *       with every thread that might be accessing the arena;</li>
 *   <li>{@code baselineHeap}: {@code new byte[size]} + fill + {@link Arrays#fill} with zeros (which the JIT cannot
 *       drop: the array escapes into the {@link Blackhole});</li>
 *   <li>{@code baselineSodium}: libsodium's {@code sodium_malloc} + fill + {@code sodium_free}, which wipes, checks
 *       the canary, and unmaps (5 system calls, 4 mappings per allocation). Skipped, with a message naming
 *       {@code apt-get install libsodium23}, where libsodium is missing.</li>
 * </ul>
 * The slab tier holds at most 4 KiB, so {@code slab} runs at 32 B and 1 KiB only (its own {@code @Param} set)
 * rather than report a number for a size it cannot serve.
 *
 * <p>Thread scaling: JMH's {@code -t} runs every method on that many threads at once, each with its own states
 * (all {@link Scope#Thread}), so the threads share only what the library shares: the default guarded allocator
 * and its tiers, the C heap, the kernel. The score is then the time per operation on each thread. {@link Suite}
 * takes a list ({@code -t 1,2,4}) and runs each count in turn; see {@code README.md}, "Benchmarks".
 *
 * <p>Trap avoided: no per-invocation setup; every invocation allocates and frees, so the cost is whole.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AllocateWipeFreeBenchmark {
    private static final byte PATTERN = 0x5A;

    /** Every size. */
    @State(Scope.Thread)
    public static class Size {
        @Param({"32", "1024", "65536"})
        public int size;
    }

    /** The sizes the slab tier can hold (at most 4 KiB). */
    @State(Scope.Thread)
    public static class SlabSize {
        @Param({"32", "1024"})
        public int size;
    }

    /** {@code SecretArena.ofConfined()}: the default guarded allocator (slab up to 4 KiB, isolated above). */
    @Benchmark
    public void secretArenaDefault(Size s, Blackhole bh) {
        try (SecretArena arena = SecretArena.ofConfined()) {
            MemorySegment m = arena.allocate(s.size);
            m.fill(PATTERN);
            bh.consume(m);
        }
    }

    /** {@code SecretArena.ofConfinedUnguarded()}: C heap, wiped before free; no guard pages, no locking. */
    @Benchmark
    public void secretArenaUnguarded(Size s, Blackhole bh) {
        try (SecretArena arena = SecretArena.ofConfinedUnguarded()) {
            MemorySegment m = arena.allocate(s.size);
            m.fill(PATTERN);
            bh.consume(m);
        }
    }

    /** {@code SecretArena.ofShared()}: the default guarded allocator behind a shared arena. */
    @Benchmark
    public void secretArenaShared(Size s, Blackhole bh) {
        try (SecretArena arena = SecretArena.ofShared()) {
            MemorySegment m = arena.allocate(s.size);
            m.fill(PATTERN);
            bh.consume(m);
        }
    }

    /** {@code SecretArena.ofSharedUnguarded()}: C heap, wiped before free, behind a shared arena. */
    @Benchmark
    public void secretArenaSharedUnguarded(Size s, Blackhole bh) {
        try (SecretArena arena = SecretArena.ofSharedUnguarded()) {
            MemorySegment m = arena.allocate(s.size);
            m.fill(PATTERN);
            bh.consume(m);
        }
    }

    /** {@code Secret.random} + {@code close}: allocate, fill from {@code getrandom(2)}, wipe, free. */
    @Benchmark
    public void secretRandom(Size s, Blackhole bh) {
        try (Secret<SecretKind.Key> secret = Secret.random(SecretKind.Key.class, s.size)) {
            bh.consume(secret);
        }
    }

    /** The slab tier directly, through {@link GuardedAllocator#allocate(long, long, Tier)}. */
    @Benchmark
    public void slab(SlabSize s, Blackhole bh) {
        try (Allocation a = GuardedAllocator.shared().allocate(s.size, 1, Tier.SLAB)) {
            MemorySegment m = a.segment();
            m.fill(PATTERN);
            bh.consume(m);
        }
    }

    /** The isolated tier directly, without access-scoped protection (the default policy). */
    @Benchmark
    public void isolated(Size s, Blackhole bh) {
        try (Allocation a = GuardedAllocator.shared().allocate(s.size, 1, Tier.ISOLATED)) {
            MemorySegment m = a.segment();
            m.fill(PATTERN);
            bh.consume(m);
        }
    }

    /** Baseline: plain FFM. Zeroes on allocation, no wipe on close. */
    @Benchmark
    public void baselineArena(Size s, Blackhole bh) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(s.size);
            m.fill(PATTERN);
            bh.consume(m);
        }
    }

    /** Baseline: plain FFM, shared. Zeroes on allocation, no wipe on close. */
    @Benchmark
    public void baselineSharedArena(Size s, Blackhole bh) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment m = arena.allocate(s.size);
            m.fill(PATTERN);
            bh.consume(m);
        }
    }

    /** Baseline: the Java heap. The garbage collector may copy the array; nothing wipes those copies. */
    @Benchmark
    public void baselineHeap(Size s, Blackhole bh) {
        byte[] a = new byte[s.size];
        Arrays.fill(a, PATTERN);
        bh.consume(a[s.size - 1]);
        Arrays.fill(a, (byte) 0);
        bh.consume(a);
    }

    /** Baseline: libsodium's {@code sodium_malloc} and {@code sodium_free} through FFM. */
    @Benchmark
    public void baselineSodium(Size s, SodiumLibrary lib, Blackhole bh) {
        long p = lib.sodium.malloc(s.size);
        if (p == 0) {
            throw new OutOfMemoryError("sodium_malloc(" + s.size + ") returned NULL");
        }
        MemorySegment m = Native.at(p, s.size);
        m.fill(PATTERN);
        bh.consume(m);
        lib.sodium.free(p);
    }
}
