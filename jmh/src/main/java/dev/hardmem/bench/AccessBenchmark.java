package dev.hardmem.bench;

import dev.hardmem.Secret;
import dev.hardmem.SecretFunction;
import dev.hardmem.SecretKind;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
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
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * What reading a secret costs: {@link Secret#read} (a scoped, read-only, confined view that dies when the function
 * returns) on the default allocator, and on an allocator with access-scoped page protection (the pages are
 * {@code PROT_NONE} outside {@code read}/{@code write}, so each read makes two {@code mprotect} calls), against a
 * plain read of a segment.
 *
 * <p>Each method reads all {@code size} bytes, folds them into one {@code long} and returns it (JMH sinks it). The
 * secrets are created once per trial: creating them is not what is measured.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AccessBenchmark {
    @Param({"32"})
    public int size;

    private static final SecretFunction<Long, RuntimeException> FOLD = AccessBenchmark::fold;

    private Arena arena;
    private MemorySegment plain;
    private Secret<SecretKind.Key> secret;

    @Setup(Level.Trial)
    public void open() {
        arena = Arena.ofConfined();
        plain = arena.allocate(size, 16);
        plain.fill((byte) 0x5A);
        secret = Secret.random(SecretKind.Key.class, size);
    }

    @TearDown(Level.Trial)
    public void close() {
        secret.close();
        arena.close();
    }

    /** A secret on an allocator with access-scoped protection: isolated, {@code PROT_NONE} outside read/write. */
    @State(Scope.Thread)
    public static class Protected {
        GuardedAllocator allocator;
        Secret<SecretKind.Key> secret;

        @Setup(Level.Trial)
        public void open(AccessBenchmark b) {
            allocator = GuardedAllocator.create(GuardPolicy.defaults().withAccessProtection(true));
            secret = Secret.random(SecretKind.Key.class, b.size, allocator);
            if (allocator.stats().isolatedSlots() == 0) {
                throw new IllegalStateException("access protection did not put the secret in the isolated tier");
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            secret.close();
            allocator.close();
        }
    }

    static long fold(MemorySegment s) {
        long n = s.byteSize();
        long acc = 0;
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            acc ^= s.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        for (; i < n; i++) {
            acc ^= s.get(ValueLayout.JAVA_BYTE, i);
        }
        return acc;
    }

    /** {@link Secret#read} on the default allocator (slab, no page protection). */
    @Benchmark
    public long secretRead() {
        return secret.read(FOLD);
    }

    /** {@link Secret#read} with access-scoped protection: {@code mprotect} to read-only and back around the read. */
    @Benchmark
    public long secretReadProtected(Protected p) {
        return p.secret.read(FOLD);
    }

    /** Baseline: the same fold over a plain confined-arena segment. */
    @Benchmark
    public long baselineSegment() {
        return fold(plain);
    }
}
