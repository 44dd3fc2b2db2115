package dev.hardmem.bench;

import dev.hardmem.Secret;
import dev.hardmem.SecretConsumer;
import dev.hardmem.SecretFunction;
import dev.hardmem.SecretKind;
import dev.hardmem.sealed.SealedSecret;
import dev.hardmem.sealed.SealingMode;
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
 * What reading a sealed secret costs: {@link SealedSecret#read} (derive the process key, decrypt and verify into this
 * thread's scratch slot, run the function on a scoped read-only view, wipe) in each {@link SealingMode}, against
 * {@link Secret#read} of the same size, and against the hash that every shielded-mode use adds.
 *
 * <ul>
 *   <li>{@code sealedCoffer}, {@code sealedShielded}: {@code read} of a sealed secret made by
 *       {@link SealedSecret#random(Class, long, SealingMode)}; the function reads the first {@code long} and returns
 *       it (JMH sinks it).</li>
 *   <li>{@code sealedCofferWrite}: {@code write} in coffer mode, the function adding one to the first {@code long}:
 *       decrypt, change, seal again under a fresh nonce from {@code getrandom(2)}, wipe.</li>
 *   <li>{@code baselineSecretRead}: {@link Secret#read} on the default allocator, the same function.</li>
 *   <li>{@code aeadOpen}: libsodium's XChaCha20-Poly1305 open of {@code size} bytes (8 bytes of associated data,
 *       as a sealed secret binds its id), through this benchmark's own critical downcall, on plain native memory:
 *       the decryption alone, with no key to derive, no lock, no scratch memory and no wipe; the floor of any sealed
 *       read.</li>
 *   <li>{@code hash16KiB}: libsodium's {@code crypto_generichash} (BLAKE2b) of 16 KiB into 32 bytes, through this
 *       benchmark's own critical downcall, on a plain native segment: what shielded mode hashes at every use, with
 *       nothing around it. Shielded mode's target is to cost no more than this plus one coffer-mode read.</li>
 * </ul>
 *
 * <p>Each thread has its own secrets (JMH {@code -t}): the threads share only the process keys, the scratch-slot
 * machinery (one slot per thread) and libsodium. The report's thread-scaling run runs this class at 32 B on 1, 2, 4 …
 * threads beside {@code AllocateWipeFreeBenchmark}. Sealed secrets need libsodium; without it only the methods that
 * use it fail, with a message naming the package to install.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SealedReadBenchmark {
    /** Bytes hashed by every shielded-mode use: the prekey. */
    static final int PREKEY_BYTES = 16 * 1024;
    /** Bytes of the process key, the hash's output. */
    static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 24;
    private static final int TAG_BYTES = 16;

    @Param({"32", "1024"})
    public int size;

    private static final SecretFunction<Long, RuntimeException> FIRST_LONG =
            s -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    private static final SecretConsumer<RuntimeException> INCREMENT =
            s -> s.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, s.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) + 1);

    private Secret<SecretKind.Key> secret;

    @Setup(Level.Trial)
    public void open() {
        secret = Secret.random(SecretKind.Key.class, size);
    }

    @TearDown(Level.Trial)
    public void close() {
        secret.close();
    }

    /** This thread's sealed secrets, one per mode: fails its benchmarks alone where libsodium is missing. */
    @State(Scope.Thread)
    public static class Sealed {
        SealedSecret<SecretKind.Key> coffer;
        SealedSecret<SecretKind.Key> shielded;

        @Setup(Level.Trial)
        public void open(SealedReadBenchmark b) {
            coffer = SealedSecret.random(SecretKind.Key.class, b.size, SealingMode.COFFER);
            shielded = SealedSecret.random(SecretKind.Key.class, b.size, SealingMode.SHIELDED);
        }

        @TearDown(Level.Trial)
        public void close() {
            coffer.close();
            shielded.close();
        }
    }

    /**
     * The native floors, in plain native memory: 16 KiB of random bytes and a 32-byte output for the hash; a key, a
     * nonce, 8 bytes of associated data and {@code size} bytes sealed under them, and room for the plaintext, for the
     * open.
     */
    @State(Scope.Thread)
    public static class Floor {
        Native.Sodium sodium;
        Arena arena;
        long in;
        long out;
        long plain;
        long sealed;
        long sealedLength;
        long ad;
        long nonce;
        long key;

        @Setup(Level.Trial)
        public void open(SealedReadBenchmark b) {
            sodium = Native.Sodium.require();
            arena = Arena.ofConfined();
            in = bytes(PREKEY_BYTES, 16);
            out = arena.allocate(KEY_BYTES, 64).address();
            key = bytes(KEY_BYTES, 17);
            nonce = bytes(NONCE_BYTES, 18);
            ad = bytes(Long.BYTES, 19);
            plain = bytes(b.size, 20);
            sealedLength = b.size + TAG_BYTES;
            sealed = arena.allocate(sealedLength, 64).address();
            if (sodium.xchachaEncrypt(sealed, plain, b.size, ad, Long.BYTES, nonce, key) != 0
                    || sodium.xchachaDecrypt(plain, sealed, sealedLength, ad, Long.BYTES, nonce, key) != 0) {
                throw new IllegalStateException("XChaCha20-Poly1305 did not round-trip");
            }
        }

        private long bytes(int length, long seed) {
            MemorySegment m = arena.allocate(length, 64);
            m.copyFrom(MemorySegment.ofArray(AeadSealBenchmark.random(length, seed)));
            return m.address();
        }

        @TearDown(Level.Trial)
        public void close() {
            arena.close();
        }
    }

    /** {@link SealedSecret#read} in {@link SealingMode#COFFER}: one HChaCha20 block for the key, then the open. */
    @Benchmark
    public long sealedCoffer(Sealed s) {
        return s.coffer.read(FIRST_LONG);
    }

    /** {@link SealedSecret#read} in {@link SealingMode#SHIELDED}: a 16 KiB BLAKE2b for the key, then the open. */
    @Benchmark
    public long sealedShielded(Sealed s) {
        return s.shielded.read(FIRST_LONG);
    }

    /** {@link SealedSecret#write} in {@link SealingMode#COFFER}: open, change, seal under a fresh nonce. */
    @Benchmark
    public void sealedCofferWrite(Sealed s) {
        s.coffer.write(INCREMENT);
    }

    /** Baseline: {@link Secret#read} on the default allocator, the same function. */
    @Benchmark
    public long baselineSecretRead() {
        return secret.read(FIRST_LONG);
    }

    /** The floor of any sealed read: XChaCha20-Poly1305 open of {@code size} bytes, nothing around it. */
    @Benchmark
    public int aeadOpen(Floor f) {
        return f.sodium.xchachaDecrypt(f.plain, f.sealed, f.sealedLength, f.ad, Long.BYTES, f.nonce, f.key);
    }

    /** The floor of shielded mode: {@code crypto_generichash} of 16 KiB into 32 bytes, nothing around it. */
    @Benchmark
    public int hash16KiB(Floor f) {
        return f.sodium.generichash(f.out, KEY_BYTES, f.in, PREKEY_BYTES);
    }
}
