package dev.hardmem.bench;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.crypto.AeadOpeningKey;
import dev.hardmem.crypto.AeadSealingKey;
import dev.hardmem.nonce.UsedNonce;
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

import javax.crypto.AEADBadTagException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static dev.hardmem.bench.AeadSealBenchmark.JIT_WARMUP_SIZE;
import static dev.hardmem.bench.AeadSealBenchmark.KEY_LENGTH;
import static dev.hardmem.bench.AeadSealBenchmark.jitWarmups;
import static dev.hardmem.bench.AeadSealBenchmark.random;

/**
 * What opening (verifying and decrypting) one message of {@code size} bytes costs on hardmem's native path, against
 * plain JCA on {@code byte[]}, for the same algorithm in the same run. Each method opens the same message, sealed
 * once in the set-up, over and over (a receiver may open a message with any nonce any number of times).
 * <ul>
 *   <li>{@code hardmemNative}: {@link AeadOpeningKey#openWire} through libsodium, from a native segment holding
 *       nonce ‖ ciphertext ‖ tag into a {@link SecretArena} segment. It writes there only once the tag has
 *       verified: the ChaCha20 AEADs check the tag with a call that writes nothing, then decrypt straight into the
 *       destination; AES-256-GCM decrypts into the thread's guarded scratch memory, and the copy out and the wipe
 *       of the scratch memory are part of every open.</li>
 *   <li>{@code hardmemJca}: hardmem's JCA path, {@link OpeningKey#open}, for reference: a new {@code Cipher} per
 *       message, the key lent as a {@code byte[]} and wiped, from a native segment into a {@code SecretArena}
 *       segment.</li>
 *   <li>{@code baselineJca}: {@link PlainJca}, plain JCA at its best: a {@code SecretKeySpec} and a {@code Cipher}
 *       made once, initialised again per message, {@code doFinal} from one {@code byte[]} into another.
 *       ChaCha20-Poly1305 and AES-256-GCM only: the JDK has no XChaCha20-Poly1305.</li>
 * </ul>
 * The set-up opens each message once and checks the plaintext, so a benchmark that measured a failed open would
 * not start; above 1 KiB it first opens {@value AeadSealBenchmark#JIT_WARMUP} messages of 1 KiB through the same
 * path, so that the JIT has compiled it, for the reason {@link AeadSealBenchmark} gives. Where libsodium is missing, {@code hardmemNative} is skipped with the message naming the package to
 * install; where the CPU lacks what libsodium's AES-256-GCM needs, that algorithm is.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AeadOpenBenchmark {
    /** The native path: every algorithm libsodium has. */
    @State(Scope.Thread)
    public static class Native {
        @Param({"XCHACHA20_POLY1305", "CHACHA20_POLY1305", "AES_256_GCM"})
        public AeadAlgorithm algorithm;

        @Param({"64", "1024", "65536", "1048576"})
        public int size;

        Secret<SecretKind.Key> key;
        AeadOpeningKey opening;
        SecretArena secrets;
        Arena arena;
        MemorySegment wire;
        MemorySegment aad;
        MemorySegment plaintext;

        @Setup(Level.Trial)
        public void open() throws AEADBadTagException {
            key = Secret.random(SecretKind.Key.class, KEY_LENGTH);
            secrets = SecretArena.ofConfined();
            arena = Arena.ofConfined();
            aad = arena.allocate(0);
            wire = arena.allocate(algorithm.wireLength(size));
            byte[] expected = random(size, 1);
            MemorySegment message = secrets.allocate(size).copyFrom(MemorySegment.ofArray(expected));
            AeadSealingKey sealing = AeadSealingKey.of(algorithm, key);
            sealing.sealToWire(message, aad, wire);
            opening = AeadOpeningKey.of(algorithm, key);
            plaintext = secrets.allocate(size);
            int n = Math.min(size, JIT_WARMUP_SIZE);
            MemorySegment small = arena.allocate(algorithm.wireLength(n));
            sealing.sealToWire(message.asSlice(0, n), aad, small);
            for (int i = jitWarmups(size); i > 0; i--) {
                opening.openWire(small, aad, plaintext);
            }
            opening.openWire(wire, aad, plaintext);
            check(plaintext.toArray(ValueLayout.JAVA_BYTE), expected);
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
        OpeningKey opening;
        SecretArena secrets;
        Arena arena;
        UsedNonce nonce;
        MemorySegment ciphertext;
        MemorySegment aad;
        MemorySegment plaintext;

        @Setup(Level.Trial)
        public void open() throws AEADBadTagException {
            key = Secret.random(SecretKind.Key.class, KEY_LENGTH);
            secrets = SecretArena.ofConfined();
            arena = Arena.ofConfined();
            aad = arena.allocate(0);
            byte[] expected = random(size, 1);
            MemorySegment message = secrets.allocate(size).copyFrom(MemorySegment.ofArray(expected));
            SealingKey sealing = SealingKey.of(algorithm, key);
            Sealed sealed = sealing.seal(message, aad);
            nonce = sealed.nonce();
            ciphertext = offHeap(arena, sealed.ciphertext());
            opening = OpeningKey.of(algorithm, key);
            plaintext = secrets.allocate(size);
            Sealed small = sealing.seal(message.asSlice(0, Math.min(size, JIT_WARMUP_SIZE)), aad);
            MemorySegment smallCiphertext = offHeap(arena, small.ciphertext());
            for (int i = jitWarmups(size); i > 0; i--) {
                opening.open(small.nonce(), smallCiphertext, aad, plaintext);
            }
            opening.open(nonce, ciphertext, aad, plaintext);
            check(plaintext.toArray(ValueLayout.JAVA_BYTE), expected);
        }

        @TearDown(Level.Trial)
        public void close() {
            arena.close();
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
        byte[] nonce;
        byte[] ciphertext;
        byte[] plaintext;

        @Setup(Level.Trial)
        public void open() throws GeneralSecurityException {
            jca = new PlainJca(algorithm, random(KEY_LENGTH, 2));
            byte[] expected = random(size, 1);
            ciphertext = new byte[size + 16];
            jca.seal(expected, size, ciphertext);
            nonce = jca.lastNonce();
            plaintext = new byte[size];
            int n = Math.min(size, JIT_WARMUP_SIZE);
            byte[] small = new byte[n + 16];
            jca.seal(expected, n, small);
            byte[] smallNonce = jca.lastNonce();
            for (int i = jitWarmups(size); i > 0; i--) {
                jca.open(smallNonce, small, plaintext);
            }
            jca.open(nonce, ciphertext, plaintext);
            check(plaintext, expected);
        }
    }

    private static MemorySegment offHeap(Arena arena, byte[] bytes) {
        return arena.allocate(bytes.length).copyFrom(MemorySegment.ofArray(bytes));
    }

    private static void check(byte[] opened, byte[] expected) {
        if (!Arrays.equals(opened, expected)) {
            throw new IllegalStateException("the set-up opened a message that is not the one it sealed");
        }
    }

    /** Native: wire form in, plaintext out, only once the tag verifies. */
    @Benchmark
    public long hardmemNative(Native s) throws AEADBadTagException {
        return s.opening.openWire(s.wire, s.aad, s.plaintext);
    }

    /** hardmem's JCA path, for reference. */
    @Benchmark
    public long hardmemJca(HardmemJca s) throws AEADBadTagException {
        return s.opening.open(s.nonce, s.ciphertext, s.aad, s.plaintext);
    }

    /** Baseline: plain JCA, {@code byte[]} to {@code byte[]}. */
    @Benchmark
    public int baselineJca(Jca s) throws GeneralSecurityException {
        return s.jca.open(s.nonce, s.ciphertext, s.plaintext);
    }
}
