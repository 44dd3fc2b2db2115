package dev.hardmem.bench;

import dev.hardmem.SecretArena;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Live-secret scale: the time to allocate {@code count} live 32-byte secrets (each written with a non-zero value),
 * and what holding them all at once costs the process: memory mappings ({@code /proc/self/maps} lines), resident
 * and locked memory ({@code VmRSS}, {@code VmLck} in {@code /proc/self/status}), measured at the peak, before
 * anything is freed.
 *
 * <p>hardmem holds them in one {@link SecretArena} on a fresh {@link GuardedAllocator} (default policy: slab tier,
 * locked, not dumped), created before and closed after every iteration, so each iteration maps its slabs from
 * nothing.
 *
 * <p>libsodium: {@code sodium_malloc} maps 4 areas per allocation (read-only header, guard, locked data, guard), so
 * the process runs into {@code vm.max_map_count} (65,530 by default) near 16,400 allocations. It does <em>not</em>
 * return {@code NULL} there: libsodium ignores the results of {@code mprotect} and {@code mlock}, and the kernel
 * merges the new, unprotected mapping with its neighbour, so {@code sodium_malloc} goes on handing out memory with
 * no guard pages and no lock. Running it into the limit also starves the JVM, which dies the next time it needs a
 * mapping (committing code cache or metaspace: "Native memory allocation (mmap) failed"). So the baseline stops
 * at {@code count}, or at {@code NULL}, or when the process is {@value #HEADROOM} mappings short of
 * {@code vm.max_map_count}, and reports the allocation at which libsodium stops guarding as {@code stopsAt}: the
 * allocations made plus the mappings left divided by 4 (what each guarded allocation takes, checked: every
 * allocation's trailing guard page is probed with a one-byte {@code write(2)} into a pipe, which fails with
 * {@code EFAULT} on a guard page; about a microsecond each, inside the timed loop; {@code guarded} counts those
 * that had it). Everything is freed after the iteration (not timed).
 *
 * <p>Single-shot: one invocation per iteration is the whole experiment, so it includes a cold start for the first
 * iteration (warm-up) and a warm allocator code path after. The secondary results are JMH auxiliary counters, each
 * the value of one iteration (averaged over iterations). The heap is fixed ({@code -Xms} = {@code -Xmx}) so the
 * garbage collector never needs a new mapping while libsodium holds all of them.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
public class LiveSecretsBenchmark {
    static final int SECRET_BYTES = 32;
    /** Mappings left to the JVM when the libsodium baseline stops short of {@code vm.max_map_count}. */
    static final int HEADROOM = 1000;
    private static final int SODIUM_MAPPINGS_PER_ALLOCATION = 4;

    /** How many secrets to hold at once. */
    @State(Scope.Thread)
    public static class Count {
        @Param({"10000", "100000", "1000000"})
        public int count;
    }

    /** What one iteration saw at its peak. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Peak {
        /** Secrets held at the peak (below {@code count} where the allocator gave up). */
        public long secrets;
        /** Secrets held whose trailing guard page is in place (libsodium only; hardmem's are counted as all). */
        public long guarded;
        /**
         * The allocation at which the allocator stops giving guarded memory: {@code secrets} plus what the
         * remaining mappings allow (libsodium); 0 where the run did not come near the limit.
         */
        public long stopsAt;
        /** Lines of {@code /proc/self/maps} at the peak. */
        public long mappings;
        /** Mappings added by the secrets. */
        public long mappingsAdded;
        /** Resident memory added, KiB. */
        public long rssKiBAdded;
        /** Locked memory added, KiB. */
        public long lockedKiBAdded;

        Native.Footprint before;

        @Setup(Level.Iteration)
        public void reset() {
            secrets = 0;
            guarded = 0;
            stopsAt = 0;
            mappings = 0;
            mappingsAdded = 0;
            rssKiBAdded = 0;
            lockedKiBAdded = 0;
            before = Native.Footprint.now();
        }

        void record(long held, long withGuard, boolean nearLimit) {
            Native.Footprint now = Native.Footprint.now();
            secrets = held;
            guarded = withGuard;
            stopsAt = nearLimit ? held + (maxMapCount() - now.mappings()) / SODIUM_MAPPINGS_PER_ALLOCATION : 0;
            mappings = now.mappings();
            mappingsAdded = now.mappings() - before.mappings();
            rssKiBAdded = now.rssKiB() - before.rssKiB();
            lockedKiBAdded = now.lockedKiB() - before.lockedKiB();
        }
    }

    /** A fresh guarded allocator and one arena on it, per iteration. */
    @State(Scope.Thread)
    public static class Hardmem {
        GuardedAllocator allocator;
        SecretArena arena;

        @Setup(Level.Iteration)
        public void open() {
            allocator = GuardedAllocator.create(GuardPolicy.defaults());
            arena = SecretArena.ofConfined(allocator);
        }

        @TearDown(Level.Iteration)
        public void close() {
            arena.close();
            allocator.close();
        }
    }

    /** libsodium and the pointers it handed out in this iteration, all freed after it. */
    @State(Scope.Thread)
    public static class Sodium {
        Native.Sodium sodium;
        Native.GuardProbe probe;
        long maxMapCount;
        long[] pointers;
        int held;

        @Setup(Level.Trial)
        public void load(Count c) {
            sodium = Native.Sodium.require();
            probe = new Native.GuardProbe();
            maxMapCount = maxMapCount();
            pointers = new long[c.count];
        }

        @TearDown(Level.Trial)
        public void unload() {
            probe.close();
        }

        @TearDown(Level.Iteration)
        public void freeAll() {
            for (int i = 0; i < held; i++) {
                sodium.free(pointers[i]);
                pointers[i] = 0;
            }
            held = 0;
        }
    }

    /** hardmem: {@code count} segments from one {@code SecretArena} on the default guarded policy. */
    @Benchmark
    public void hardmem(Count c, Hardmem h, Peak peak, Blackhole bh) {
        SecretArena arena = h.arena;
        for (int i = 0; i < c.count; i++) {
            MemorySegment s = arena.allocate(SECRET_BYTES);
            s.set(ValueLayout.JAVA_LONG, 0, i + 1L);
            bh.consume(s);
        }
        peak.record(c.count, c.count, false);
    }

    /**
     * Baseline: {@code sodium_malloc(32)} until {@code count}, {@code NULL}, an allocation that came back without its
     * trailing guard page, or {@value #HEADROOM} mappings short of {@code vm.max_map_count}.
     */
    @Benchmark
    public void baselineSodium(Count c, Sodium lib, Peak peak) {
        long[] pointers = lib.pointers;
        long stopAtMappings = lib.maxMapCount - HEADROOM - SODIUM_MAPPINGS_PER_ALLOCATION;
        long mappings = peak.before.mappings();
        int n = 0;
        int withGuard = 0;
        boolean nearLimit = false;
        while (n < c.count) {
            if (mappings >= stopAtMappings) {
                nearLimit = true;
                break;
            }
            long p = lib.sodium.malloc(SECRET_BYTES);
            if (p == 0) {
                break;
            }
            pointers[n++] = p;
            lib.held = n;
            mappings += SODIUM_MAPPINGS_PER_ALLOCATION;
            Native.at(p, SECRET_BYTES).set(ValueLayout.JAVA_LONG, 0, n);
            // The 32 user bytes end exactly at the trailing guard page.
            if (lib.probe.readable(p + SECRET_BYTES)) {
                break;
            }
            withGuard++;
        }
        peak.record(n, withGuard, nearLimit);
    }

    /** {@return {@code vm.max_map_count}, or 65,530 (the kernel's default) if it cannot be read} */
    static long maxMapCount() {
        try {
            // Not Files.readString: on this kernel it returns "6" for "65530" (a sysctl file that reports size 0
            // and answers a sized read short); reading lines gets the whole value.
            return Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/max_map_count")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return 65_530;
        }
    }
}
