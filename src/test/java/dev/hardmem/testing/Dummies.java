package dev.hardmem.testing;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretConsumer;
import dev.hardmem.SecretFunction;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.KeyLoan;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.crypto.Argon2id;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.crypto.AeadOpeningKey;
import dev.hardmem.crypto.AeadSealingKey;
import dev.hardmem.guarded.Allocation;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.nonce.UnusedNonce;
import dev.hardmem.nonce.UsedNonce;
import dev.hardmem.sealed.PeriodicRekey;
import dev.hardmem.sealed.SealedSecret;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Valid, fresh values of the types that appear in hardmem's public API, for tests that call every public method
 * reflectively (the null test passes {@code null} to one parameter and these to all the others).
 *
 * <p><strong>Adding a package or a type to the API?</strong> Register a supplier for every new parameter type, and
 * for every class whose instance methods take references, in the section of its package below. Each supplier must
 * return a new, valid, open value: one that would make the method succeed. Values with a public {@code close()}
 * are closed after use. Enums need nothing: their first constant is used.
 */
public final class Dummies {
    private static final Map<Class<?>, Supplier<?>> REGISTRY = new LinkedHashMap<>();

    private static <T> void register(Class<T> type, Supplier<? extends T> supplier) {
        if (REGISTRY.put(type, supplier) != null) {
            throw new IllegalStateException("two dummies for " + type.getName());
        }
    }

    static {
        // ------------------------------------------------------------ JDK types
        register(Object.class, Object::new);
        register(String.class, () -> "dummy");
        register(byte[].class, () -> new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        register(char[].class, () -> "dummy password".toCharArray());
        register(ByteBuffer.class, () -> ByteBuffer.allocate(16));
        register(MemorySegment.class, () -> Arena.ofAuto().allocate(16));
        register(Arena.class, Arena::ofConfined);
        register(SegmentAllocator.class, Arena::ofAuto);
        register(MemoryLayout.class, () -> ValueLayout.JAVA_BYTE);
        register(ValueLayout.class, () -> ValueLayout.JAVA_BYTE);
        register(InputStream.class, () -> new ByteArrayInputStream(new byte[] {1, 2, 3, 4}));
        register(ReadableByteChannel.class,
                () -> Channels.newChannel(new ByteArrayInputStream(new byte[] {1, 2, 3, 4})));
        register(Runnable.class, () -> () -> { });
        register(Supplier.class, () -> () -> null);
        register(Consumer.class, () -> x -> { });
        register(Function.class, () -> x -> null);
        register(BiFunction.class, () -> (x, y) -> null);
        // A class token is a kind of secret wherever the API takes one.
        register(Class.class, () -> SecretKind.Key.class);

        // ------------------------------------------------------------ dev.hardmem
        register(Secret.class, () -> Secret.random(SecretKind.Key.class, 16));
        register(SecretFunction.class, () -> (SecretFunction<Object, RuntimeException>) m -> null);
        register(SecretConsumer.class, () -> (SecretConsumer<RuntimeException>) m -> { });
        register(SecretArena.class, SecretArena::ofConfined);
        register(CharSequence.class, () -> "0123456789abcdef"); // valid in every Encoding: hex and Base64
        register(Path.class, Dummies::keyFile);

        // ------------------------------------------------------------ dev.hardmem.guarded
        register(GuardPolicy.class, GuardPolicy::defaults);
        register(GuardedAllocator.class, () -> GuardedAllocator.create(GuardPolicy.defaults()));
        // From the shared allocator, so that closing the allocator dummy above never meets a live allocation.
        register(Allocation.class, () -> GuardedAllocator.shared().allocate(16));

        // ------------------------------------------------------------ dev.hardmem.nonce
        register(NonceSequence.class, CounterNonceSequence::withRandomPrefix);
        register(UnusedNonce.class, () -> CounterNonceSequence.withRandomPrefix().next());
        register(UsedNonce.class, () -> UsedNonce.fromWire(new byte[12]));

        // ------------------------------------------------------------ dev.hardmem.aead
        // One 32-byte key for every dummy key: SealingKey and OpeningKey borrow it and are not closeable.
        // One sealing key per secret and algorithm: a fresh key each time, kept reachable for the whole run so
        // no cleaner frees it in the middle of another test that counts frees.
        register(SealingKey.class, () -> SealingKey.of(Algorithm.CHACHA20_POLY1305, keptKey()));
        register(OpeningKey.class, () -> OpeningKey.of(Algorithm.CHACHA20_POLY1305, AeadKey.KEY));
        register(KeyLoan.Borrower.class, () -> (KeyLoan.Borrower<Object, RuntimeException>) k -> null);

        // ------------------------------------------------------------ dev.hardmem.crypto
        // As above, with keys of their own: a secret serves one algorithm, across the JCA and native paths.
        register(AeadSealingKey.class, () -> AeadSealingKey.of(AeadAlgorithm.XCHACHA20_POLY1305, keptKey()));
        register(AeadOpeningKey.class, () -> AeadOpeningKey.of(AeadAlgorithm.XCHACHA20_POLY1305, keptKey()));
        // Libsodium's smallest limits: one pass over 8 KiB, so that every call the walks make is quick.
        register(Argon2id.class, () -> Argon2id.of(1, 8192));

        // ------------------------------------------------------------ dev.hardmem.sealed
        register(SealedSecret.class, () -> SealedSecret.random(SecretKind.Key.class, 16));
        register(Duration.class, () -> Duration.ofHours(1));
        register(PeriodicRekey.class, () -> SealedSecret.rekeyEvery(Duration.ofHours(1)));
    }

    private Dummies() {
    }

    /** {@return a new file of 16 bytes that only its owner may read or write, deleted when the JVM ends} */
    private static Path keyFile() {
        try {
            Path p = Files.createTempFile("hardmem-dummy", ".key",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            p.toFile().deleteOnExit();
            return Files.write(p, new byte[16]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final List<Secret<SecretKind.Key>> KEPT = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** {@return a new 32-byte key that stays reachable (and open) until the JVM ends} */
    public static Secret<SecretKind.Key> keptKey() {
        Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32);
        KEPT.add(k);
        return k;
    }

    /** Holds the dummy AEAD key, made on first use and never closed. */
    private static final class AeadKey {
        static final Secret<SecretKind.Key> KEY = Secret.random(SecretKind.Key.class, 32);
    }

    /** {@return a new valid value of {@code type}, or empty if none is registered (and it is not an enum)} */
    public static Optional<Object> of(Class<?> type) {
        Supplier<?> s = REGISTRY.get(type);
        if (s != null) {
            return Optional.of(s.get());
        }
        if (type.isEnum()) {
            return Optional.of(type.getEnumConstants()[0]);
        }
        return Optional.empty();
    }

    /** {@return a valid value of a primitive type: 16 for numbers, a size, count or power of two alike} */
    public static Object primitive(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == char.class) {
            return 'x';
        }
        if (type == byte.class) {
            return (byte) 16;
        }
        if (type == short.class) {
            return (short) 16;
        }
        if (type == int.class) {
            return 16;
        }
        if (type == long.class) {
            return 16L;
        }
        if (type == float.class) {
            return 16f;
        }
        if (type == double.class) {
            return 16d;
        }
        throw new IllegalArgumentException("not a primitive type: " + type);
    }

    /**
     * Closes {@code value} if it has a public {@code close()} (whether or not it is {@link AutoCloseable}, as
     * {@code GuardedAllocator} is not) and is not closed yet; a dummy's own state is no test's concern.
     */
    public static void release(Object value) {
        if (value instanceof AutoCloseable c) {
            // Through the interface: the class itself may be a JDK-internal one that reflection cannot call.
            try {
                c.close();
            } catch (Exception e) {
                // Already closed, closed by the method under test, or not closeable (an automatic arena).
            }
            return;
        }
        if (value == null) {
            return;
        }
        Method close;
        try {
            close = value.getClass().getMethod("close");
        } catch (NoSuchMethodException e) {
            return;
        }
        try {
            close.invoke(value);
        } catch (InvocationTargetException | IllegalAccessException e) {
            // Already closed, or closed by the method under test.
        }
    }
}
