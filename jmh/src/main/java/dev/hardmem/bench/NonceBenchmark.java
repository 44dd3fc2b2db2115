package dev.hardmem.bench;

import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.UsedNonce;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * What a nonce that can only be used once costs: {@link dev.hardmem.nonce.NonceSequence#next()} followed by
 * {@link dev.hardmem.nonce.UnusedNonce#consume()} (an atomic swap), against filling a fresh 12-byte array from
 * {@link SecureRandom#nextBytes} (the default {@code SecureRandom} of this JDK), which is what code without a nonce
 * type typically does.
 *
 * <p>{@code counter} is a 12-byte {@link CounterNonceSequence} (4-byte random prefix, 8-byte counter: it cannot run
 * out within a benchmark). Every method returns its nonce, so JMH sinks it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class NonceBenchmark {
    private CounterNonceSequence counter;
    private SecureRandom secureRandom;

    @Setup(Level.Trial)
    public void open() {
        counter = CounterNonceSequence.withRandomPrefix();
        secureRandom = new SecureRandom();
    }

    /** 12-byte counter nonce: next + consume. */
    @Benchmark
    public UsedNonce counter() {
        return counter.next().consume();
    }

    /** Baseline: {@code SecureRandom.nextBytes} into a new 12-byte array; nothing stops its reuse. */
    @Benchmark
    public byte[] baselineSecureRandom() {
        byte[] nonce = new byte[12];
        secureRandom.nextBytes(nonce);
        return nonce;
    }
}
