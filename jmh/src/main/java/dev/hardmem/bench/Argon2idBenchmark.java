package dev.hardmem.bench;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.crypto.Argon2id;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What one Argon2id key derivation at libsodium's interactive limits ({@link Argon2id#INTERACTIVE}: 2 passes over
 * 64 MiB) costs through hardmem, against libsodium's {@code crypto_pwhash} called directly. Both derive a 32-byte key
 * from the same 20-byte password and 16-byte salt.
 * <ul>
 *   <li>{@code hardmemDeriveKey}: {@link Argon2id#deriveKey(Secret, MemorySegment, Class, long)}, from a password
 *       {@link Secret} into a new key {@code Secret}, then closed.</li>
 *   <li>{@code baselineSodium}: {@code crypto_pwhash} through FFM, the password, salt and output in plain native
 *       memory. Skipped, with a message naming {@code apt-get install libsodium23}, where libsodium is
 *       missing.</li>
 * </ul>
 * There is no Argon2 in the JDK. Nearly all the time is Argon2's own (filling 64 MiB twice), so the two should be
 * equal within the error: this shows that hardmem adds nothing that matters. A derivation takes about a tenth of a
 * second, so each is timed on its own (single shot), a few times; the set-up derives once with both and checks that
 * they agree.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class Argon2idBenchmark {
    private static final int LENGTH = 32;
    private static final byte[] PASSWORD = "correct horse staple".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SALT = AeadSealBenchmark.random(Argon2id.SALT_LENGTH, 5);

    private final MemorySegment salt = MemorySegment.ofArray(SALT.clone());

    /** hardmem's native path. */
    @State(Scope.Thread)
    public static class Hardmem {
        Secret<SecretKind.Password> password;

        @Setup(Level.Trial)
        public void open() {
            password = Secret.fromBytesWiping(SecretKind.Password.class, PASSWORD.clone());
            if (!Native.Sodium.available()) {
                return;
            }
            try (Secret<SecretKind.Key> key = Argon2id.INTERACTIVE.deriveKey(password, MemorySegment.ofArray(SALT),
                    SecretKind.Key.class, LENGTH); Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(LENGTH);
                int r = Native.Sodium.require().argon2id(out.address(), LENGTH,
                        arena.allocateFrom(ValueLayout.JAVA_BYTE, PASSWORD).address(), PASSWORD.length,
                        arena.allocateFrom(ValueLayout.JAVA_BYTE, SALT).address(), Argon2id.INTERACTIVE.opsLimit(),
                        Argon2id.INTERACTIVE.memLimit());
                if (r != 0 || key.read(k -> k.mismatch(out)) != -1) {
                    throw new IllegalStateException("hardmem's Argon2id and libsodium's disagree (" + r + ")");
                }
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            password.close();
        }
    }

    /** libsodium called directly, on plain native memory. */
    @State(Scope.Thread)
    public static class Sodium {
        Native.Sodium sodium;
        Arena arena;
        MemorySegment password;
        MemorySegment salt;
        MemorySegment out;

        @Setup(Level.Trial)
        public void open() {
            sodium = Native.Sodium.require();
            arena = Arena.ofConfined();
            password = arena.allocateFrom(ValueLayout.JAVA_BYTE, PASSWORD);
            salt = arena.allocateFrom(ValueLayout.JAVA_BYTE, SALT);
            out = arena.allocate(LENGTH);
        }

        @TearDown(Level.Trial)
        public void close() {
            arena.close();
        }
    }

    /** A key derived into a new secret, closed at once. */
    @Benchmark
    public void hardmemDeriveKey(Hardmem s, Blackhole bh) {
        try (Secret<SecretKind.Key> key = Argon2id.INTERACTIVE.deriveKey(s.password, salt, SecretKind.Key.class,
                LENGTH)) {
            bh.consume(key);
        }
    }

    /** Baseline: {@code crypto_pwhash}, Argon2id, at the same limits. */
    @Benchmark
    public int baselineSodium(Sodium s) {
        int r = s.sodium.argon2id(s.out.address(), LENGTH, s.password.address(), PASSWORD.length, s.salt.address(),
                Argon2id.INTERACTIVE.opsLimit(), Argon2id.INTERACTIVE.memLimit());
        if (r != 0) {
            throw new IllegalStateException("crypto_pwhash returned " + r);
        }
        return r;
    }
}
