package dev.hardmem.bench;

import dev.hardmem.SecretKind;
import dev.hardmem.sealed.SealedSecret;
import dev.hardmem.sealed.SealingMode;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@link SealedSecret#rekey()} costs per secret: {@value #COUNT} live 32-byte sealed secrets of one
 * {@link SealingMode}, made once per fork, then rekeyed once per iteration (single shot), with nothing else running.
 * Each rekey makes fresh key material for every mode in use and re-seals every secret under it: per secret, its lock
 * taken exclusively, one open and one seal (two key derivations, a nonce from {@code getrandom(2)}), and the scratch
 * slot wiped. JMH divides the time by {@value #COUNT} ({@code @OperationsPerInvocation}), so the score is per
 * secret. A rekey that does not move exactly {@value #COUNT} secrets fails the benchmark.
 *
 * <p>The million-secret rekey is measured by the test that holds a million sealed secrets; this is the per-secret
 * cost, with the JIT warm, at a size that runs in seconds.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(SealedRekeyBenchmark.COUNT)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SealedRekeyBenchmark {
    /** Live sealed secrets rekeyed by each invocation. */
    static final int COUNT = 100_000;
    private static final int SECRET_BYTES = 32;

    @Param({"COFFER", "SHIELDED"})
    public SealingMode mode;

    private final List<SealedSecret<SecretKind.Key>> secrets = new ArrayList<>(COUNT);

    @Setup(Level.Trial)
    public void open() {
        for (int i = 0; i < COUNT; i++) {
            secrets.add(SealedSecret.random(SecretKind.Key.class, SECRET_BYTES, mode));
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        for (SealedSecret<SecretKind.Key> s : secrets) {
            s.close();
        }
        secrets.clear();
    }

    /** Rekeys every live sealed secret: the {@value #COUNT} of this state. */
    @Benchmark
    public long rekey() {
        long moved = SealedSecret.rekey();
        if (moved != COUNT) {
            throw new IllegalStateException("rekey moved " + moved + " sealed secrets, not " + COUNT);
        }
        return moved;
    }
}
