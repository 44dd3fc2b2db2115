package dev.hardmem.bench;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.crypto.AeadSealingKey;
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
import java.security.GeneralSecurityException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What sealing (encrypting) one message of {@code size} bytes costs on hardmem's native path, against plain JCA on
 * {@code byte[]}, for the same algorithm in the same run.
 * <ul>
 *   <li>{@code hardmemNative}: {@link AeadSealingKey#sealToWire} through libsodium: the key in a {@link Secret},
 *       the plaintext in a {@link SecretArena} segment, the nonce drawn from the key's own sequence (a counter for
 *       ChaCha20-Poly1305 and AES-256-GCM, 24 random bytes from {@code SecureRandom} for XChaCha20-Poly1305),
 *       nonce, ciphertext and tag written to a native segment. Nothing on the Java heap.</li>
 *   <li>{@code hardmemJca}: hardmem's JCA path, {@link SealingKey#seal(MemorySegment, MemorySegment)}, for
 *       reference: a new {@code Cipher} per message, the key lent as a {@code byte[]} and wiped, a new ciphertext
 *       array per message.</li>
 *   <li>{@code baselineJca}: {@link PlainJca}, plain JCA at its best: a {@code SecretKeySpec} and a {@code Cipher}
 *       made once, initialised again per message with a counter nonce, {@code doFinal} from one {@code byte[]} into
 *       another. There is no XChaCha20-Poly1305 in the JDK, so this has ChaCha20-Poly1305 and AES-256-GCM only.</li>
 * </ul>
 * No additional data, in every method. Where libsodium is missing, {@code hardmemNative} is skipped with the message
 * naming the package to install; where the CPU lacks what libsodium's AES-256-GCM needs, that algorithm is.
 *
 * <p>Traps avoided:
 * <ul>
 *   <li>A cold JIT. SunJCE's AES-GCM, ChaCha20 and Poly1305 run as intrinsics only once the JIT has compiled their
 *       callers, which takes thousands of calls; at 1 MiB an iteration holds a dozen calls, so a run that only
 *       warmed up with its own messages would time SunJCE's uncompiled fallback from start to end (a hundred times
 *       slower for AES-GCM here). Above 1 KiB each state's set-up therefore first seals {@value #JIT_WARMUP}
 *       messages of 1 KiB through the very path it measures (at 1 KiB and below, one warm-up iteration holds over
 *       a hundred thousand).</li>
 *   <li>A reused nonce: every invocation seals with a fresh one, as a real sender must (SunJCE refuses a reused
 *       one; libsodium would not notice, and the benchmark would measure what no correct program does).</li>
 *   <li>Dead code and zeros: the inputs are random; every method returns what it wrote, or the ciphertext.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AeadSealBenchmark {
    static final int KEY_LENGTH = 32;
    /** The number of messages each state seals (or opens) in its set-up, so that the JIT has compiled the path. */
    static final int JIT_WARMUP = 20_000;
    /** The size of those messages: 1 KiB, or the benchmark's size where that is smaller. */
    static final int JIT_WARMUP_SIZE = 1024;

    /** The native path: every algorithm libsodium has. */
    @State(Scope.Thread)
    public static class Native {
        @Param({"XCHACHA20_POLY1305", "CHACHA20_POLY1305", "AES_256_GCM"})
        public AeadAlgorithm algorithm;

        @Param({"64", "1024", "65536", "1048576"})
        public int size;

        Secret<SecretKind.Key> key;
        AeadSealingKey sealing;
        SecretArena secrets;
        Arena arena;
        MemorySegment plaintext;
        MemorySegment aad;
        MemorySegment wire;

        @Setup(Level.Trial)
        public void open() {
            key = Secret.random(SecretKind.Key.class, KEY_LENGTH);
            sealing = AeadSealingKey.of(algorithm, key);
            secrets = SecretArena.ofConfined();
            plaintext = secrets.allocate(size);
            plaintext.copyFrom(MemorySegment.ofArray(random(size, 1)));
            arena = Arena.ofConfined();
            aad = arena.allocate(0);
            wire = arena.allocate(algorithm.wireLength(size));
            MemorySegment small = plaintext.asSlice(0, Math.min(size, JIT_WARMUP_SIZE));
            for (int i = jitWarmups(size); i > 0; i--) {
                sealing.sealToWire(small, aad, wire);
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            arena.close();
            secrets.close();
            key.close();
        }
    }

    /** hardmem's JCA path. */
    @State(Scope.Thread)
    public static class HardmemJca {
        @Param({"CHACHA20_POLY1305", "AES_256_GCM"})
        public Algorithm algorithm;

        @Param({"64", "1024", "65536", "1048576"})
        public int size;

        Secret<SecretKind.Key> key;
        SealingKey sealing;
        SecretArena secrets;
        MemorySegment plaintext;
        MemorySegment aad;

        @Setup(Level.Trial)
        public void open() {
            key = Secret.random(SecretKind.Key.class, KEY_LENGTH);
            sealing = SealingKey.of(algorithm, key);
            secrets = SecretArena.ofConfined();
            plaintext = secrets.allocate(size);
            plaintext.copyFrom(MemorySegment.ofArray(random(size, 1)));
            aad = secrets.allocate(0);
            MemorySegment small = plaintext.asSlice(0, Math.min(size, JIT_WARMUP_SIZE));
            for (int i = jitWarmups(size); i > 0; i--) {
                sealing.seal(small, aad);
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            secrets.close();
            key.close();
        }
    }

    /** Plain JCA on {@code byte[]}. */
    @State(Scope.Thread)
    public static class Jca {
        @Param({"CHACHA20_POLY1305", "AES_256_GCM"})
        public Algorithm algorithm;

        @Param({"64", "1024", "65536", "1048576"})
        public int size;

        PlainJca jca;
        byte[] plaintext;
        byte[] out;

        @Setup(Level.Trial)
        public void open() throws GeneralSecurityException {
            jca = new PlainJca(algorithm, random(KEY_LENGTH, 2));
            plaintext = random(size, 1);
            out = new byte[size + 16];
            for (int i = jitWarmups(size); i > 0; i--) {
                jca.seal(plaintext, Math.min(size, JIT_WARMUP_SIZE), out);
            }
        }
    }

    /** {@return how many messages of at most 1 KiB to seal or open before the run, at {@code size}} */
    static int jitWarmups(int size) {
        return size > JIT_WARMUP_SIZE ? JIT_WARMUP : 0;
    }

    static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Native: nonce ‖ ciphertext ‖ tag into a native segment. */
    @Benchmark
    public long hardmemNative(Native s) {
        return s.sealing.sealToWire(s.plaintext, s.aad, s.wire);
    }

    /** hardmem's JCA path, for reference: a new ciphertext array per message. */
    @Benchmark
    public Sealed hardmemJca(HardmemJca s) {
        return s.sealing.seal(s.plaintext, s.aad);
    }

    /** Baseline: plain JCA, {@code byte[]} to {@code byte[]}, a counter nonce. */
    @Benchmark
    public int baselineJca(Jca s) throws GeneralSecurityException {
        return s.jca.seal(s.plaintext, s.size, s.out);
    }
}
