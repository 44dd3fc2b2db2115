package dev.hardmem.bench;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.crypto.Hkdf;
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

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * What one HKDF-SHA256 derivation costs (extract, then expand: a 32-byte key), on hardmem's native path against the
 * JDK's own HKDF. The inputs are those of RFC 5869, test case A.1 (22 bytes of keying material, a 13-byte salt, a
 * 10-byte info), and every state's set-up checks its output against the first 32 bytes of that test's published
 * output (HKDF's output is the same prefix whatever length is asked), so a benchmark that computed anything else
 * would not start.
 * <ul>
 *   <li>{@code hardmemDerive}: {@link Hkdf#derive(Secret, MemorySegment, MemorySegment, Class, long)}, the key
 *       into a new {@link Secret}, then closed (wiped and freed): the usual call.</li>
 *   <li>{@code hardmemDeriveInto}: {@link Hkdf#derive(Secret, MemorySegment, MemorySegment, MemorySegment)} into
 *       a {@link SecretArena} segment allocated once.</li>
 *   <li>{@code baselineJdkKdf}: {@code javax.crypto.KDF} {@code HKDF-SHA256} (JDK 25): the keying material as a
 *       {@code SecretKeySpec} made once, the parameters built per derivation as a caller must (salt and info
 *       belong to the derivation), {@code deriveData} into a new {@code byte[]}. This module compiles for JDK
 *       22, so the calls go through method handles looked up once and held in {@code static final} fields,
 *       which the JIT inlines like direct calls. On a JDK before 25 it is skipped with that message.</li>
 * </ul>
 * Salt and info are {@code byte[]}s, seen as segments of the heap on hardmem's side, as a caller would pass them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HkdfBenchmark {
    private static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();
    /** RFC 5869, A.1. */
    private static final byte[] IKM = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    private static final byte[] SALT = HEX.parseHex("000102030405060708090a0b0c");
    private static final byte[] INFO = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
    /** RFC 5869, A.1: the first 32 of the 42 bytes of OKM. */
    private static final byte[] OKM = HEX.parseHex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");

    private final byte[] salt = SALT.clone();
    private final byte[] info = INFO.clone();
    private final MemorySegment saltSegment = MemorySegment.ofArray(salt);
    private final MemorySegment infoSegment = MemorySegment.ofArray(info);

    /** hardmem's native path. */
    @State(Scope.Thread)
    public static class Native {
        Secret<SecretKind.Seed> ikm;
        SecretArena secrets;
        MemorySegment out;

        @Setup(Level.Trial)
        public void open() {
            ikm = Secret.withContents(SecretKind.Seed.class, IKM.length, s -> s.copyFrom(MemorySegment.ofArray(IKM)));
            secrets = SecretArena.ofConfined();
            out = secrets.allocate(LENGTH);
            Hkdf.SHA256.derive(ikm, MemorySegment.ofArray(SALT), MemorySegment.ofArray(INFO), out);
            check(out.toArray(ValueLayout.JAVA_BYTE));
        }

        @TearDown(Level.Trial)
        public void close() {
            secrets.close();
            ikm.close();
        }
    }

    /** The JDK's {@code javax.crypto.KDF}. */
    @State(Scope.Thread)
    public static class Jdk {
        Object kdf;
        SecretKey ikm;

        @Setup(Level.Trial)
        public void open() throws Throwable {
            kdf = JdkHkdf.kdf();
            ikm = new SecretKeySpec(IKM, "HKDF");
            check(JdkHkdf.derive(kdf, ikm, SALT, INFO));
        }
    }

    private static void check(byte[] okm) {
        if (!Arrays.equals(okm, OKM)) {
            throw new IllegalStateException("HKDF-SHA256 of RFC 5869 A.1 gave " + HEX.formatHex(okm));
        }
    }

    /** The key into a new secret, closed at once. */
    @Benchmark
    public void hardmemDerive(Native s, Blackhole bh) {
        try (Secret<SecretKind.Key> key = Hkdf.SHA256.derive(s.ikm, saltSegment, infoSegment, SecretKind.Key.class,
                LENGTH)) {
            bh.consume(key);
        }
    }

    /** The key into a segment allocated once. */
    @Benchmark
    public MemorySegment hardmemDeriveInto(Native s) {
        Hkdf.SHA256.derive(s.ikm, saltSegment, infoSegment, s.out);
        return s.out;
    }

    /** Baseline: {@code javax.crypto.KDF}, {@code HKDF-SHA256}, into a new {@code byte[]}. */
    @Benchmark
    public byte[] baselineJdkKdf(Jdk s) throws Throwable {
        return JdkHkdf.derive(s.kdf, s.ikm, salt, info);
    }

    /**
     * {@code javax.crypto.KDF} and {@code HKDFParameterSpec} (JDK 25), through method handles. Where they are
     * missing, the handles are null and {@link #kdf()} throws, naming the JDK this runs on.
     */
    static final class JdkHkdf {
        static final int FEATURE = 25;
        private static final MethodHandle GET_INSTANCE;
        private static final MethodHandle OF_EXTRACT;
        private static final MethodHandle ADD_IKM;
        private static final MethodHandle ADD_SALT;
        private static final MethodHandle THEN_EXPAND;
        private static final MethodHandle DERIVE_DATA;

        static {
            MethodHandle getInstance = null;
            MethodHandle ofExtract = null;
            MethodHandle addIkm = null;
            MethodHandle addSalt = null;
            MethodHandle thenExpand = null;
            MethodHandle deriveData = null;
            if (Runtime.version().feature() >= FEATURE) {
                try {
                    MethodHandles.Lookup l = MethodHandles.publicLookup();
                    Class<?> kdf = Class.forName("javax.crypto.KDF");
                    Class<?> spec = Class.forName("javax.crypto.spec.HKDFParameterSpec");
                    Class<?> builder = Class.forName("javax.crypto.spec.HKDFParameterSpec$Builder");
                    Class<?> both = Class.forName("javax.crypto.spec.HKDFParameterSpec$ExtractThenExpand");
                    MethodType objects = MethodType.methodType(Object.class);
                    getInstance = l.findStatic(kdf, "getInstance", MethodType.methodType(kdf, String.class))
                            .asType(objects.appendParameterTypes(String.class));
                    ofExtract = l.findStatic(spec, "ofExtract", MethodType.methodType(builder)).asType(objects);
                    addIkm = l.findVirtual(builder, "addIKM", MethodType.methodType(builder, SecretKey.class))
                            .asType(objects.appendParameterTypes(Object.class, SecretKey.class));
                    addSalt = l.findVirtual(builder, "addSalt", MethodType.methodType(builder, byte[].class))
                            .asType(objects.appendParameterTypes(Object.class, byte[].class));
                    thenExpand = l.findVirtual(builder, "thenExpand",
                                    MethodType.methodType(both, byte[].class, int.class))
                            .asType(MethodType.methodType(AlgorithmParameterSpec.class, Object.class, byte[].class,
                                    int.class));
                    deriveData = l.findVirtual(kdf, "deriveData",
                                    MethodType.methodType(byte[].class, AlgorithmParameterSpec.class))
                            .asType(MethodType.methodType(byte[].class, Object.class, AlgorithmParameterSpec.class));
                } catch (ReflectiveOperationException e) {
                    throw new ExceptionInInitializerError(e);
                }
            }
            GET_INSTANCE = getInstance;
            OF_EXTRACT = ofExtract;
            ADD_IKM = addIkm;
            ADD_SALT = addSalt;
            THEN_EXPAND = thenExpand;
            DERIVE_DATA = deriveData;
        }

        private JdkHkdf() {
        }

        /** {@return {@code KDF.getInstance("HKDF-SHA256")}} */
        static Object kdf() throws Throwable {
            if (GET_INSTANCE == null) {
                throw new UnsupportedOperationException("JDK HKDF baseline skipped: javax.crypto.KDF needs JDK "
                        + FEATURE + "; this is JDK " + Runtime.version().feature());
            }
            return (Object) GET_INSTANCE.invokeExact("HKDF-SHA256");
        }

        /** {@return {@code kdf.deriveData(ofExtract().addIKM(ikm).addSalt(salt).thenExpand(info, 32))}} */
        static byte[] derive(Object kdf, SecretKey ikm, byte[] salt, byte[] info) throws Throwable {
            Object b = (Object) OF_EXTRACT.invokeExact();
            b = (Object) ADD_IKM.invokeExact(b, ikm);
            b = (Object) ADD_SALT.invokeExact(b, salt);
            AlgorithmParameterSpec spec = (AlgorithmParameterSpec) THEN_EXPAND.invokeExact(b, info, LENGTH);
            return (byte[]) DERIVE_DATA.invokeExact(kdf, spec);
        }
    }
}
