package dev.hardmem;

import dev.hardmem.SecretKind.Key;
import dev.hardmem.SecretKind.Password;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.FreeListeners;
import dev.hardmem.testing.FreeLog;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static dev.hardmem.testing.Bytes.bytesOf;
import static dev.hardmem.testing.Bytes.counting;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Secret}: what every implementation of its contract promises ({@link SecretContract}: contents, views,
 * lifecycle, bad input, leaks), and its own factories and what only it can show.
 */
class SecretTest extends SecretContract {
    @Override
    protected SecretUnderTest.Maker maker() {
        return PlainSecrets.Plain.MAKER;
    }

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private static boolean allZero(byte[] a) {
        for (byte b : a) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- factories

    @Test
    void fromBytesWipingWipesTheSourceAndKeepsTheBytes() {
        byte[] source = counting(32);
        byte[] expected = source.clone();
        try (Secret<Key> s = Secret.fromBytesWiping(Key.class, source)) {
            assertTrue(allZero(source), "the source is wiped");
            assertArrayEquals(expected, bytesOf(s));
        }
        assertThrows(IllegalArgumentException.class, () -> Secret.fromBytesWiping(Key.class, new byte[0]));
    }

    @Test
    void fromCharsWipingEncodesUtf8AndWipesTheSource() {
        // 1, 2, 3 and 4 byte sequences, then unpaired surrogates (high, low, high at the very end) which become '?'.
        char[] source = "a\u00e9\u20ac\uD83D\uDE00|\uD800x\uDC00|\uDBFF".toCharArray();
        byte[] expected = {
            'a',
            (byte) 0xC3, (byte) 0xA9,
            (byte) 0xE2, (byte) 0x82, (byte) 0xAC,
            (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80,
            '|', '?', 'x', '?', '|', '?',
        };
        try (Secret<Password> s = Secret.fromCharsWiping(Password.class, source)) {
            assertArrayEquals(expected, bytesOf(s));
            assertEquals(expected.length, s.size());
        }
        for (char c : source) {
            assertEquals('\0', c, "the source is wiped");
        }
        assertThrows(IllegalArgumentException.class, () -> Secret.fromCharsWiping(Password.class, new char[0]));
    }

    @Test
    void fromCharsWipingAgreesWithTheJdkEncoderOnRandomText() {
        // The JDK's encoder also replaces unpaired surrogates with '?', so it is an exact oracle.
        char[] edges = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000, 0xFFFF};
        Random r = new Random(42);
        for (int round = 0; round < 500; round++) {
            char[] text = new char[1 + r.nextInt(40)];
            for (int i = 0; i < text.length; i++) {
                text[i] = r.nextBoolean() ? edges[r.nextInt(edges.length)] : (char) r.nextInt(0x10000);
            }
            byte[] expected = new String(text).getBytes(StandardCharsets.UTF_8);
            try (Secret<Password> s = Secret.fromCharsWiping(Password.class, text)) {
                assertArrayEquals(expected, bytesOf(s), "round " + round);
            }
        }
        char[] max = Character.toChars(Character.MAX_CODE_POINT);
        try (Secret<Password> s = Secret.fromCharsWiping(Password.class, max)) {
            assertArrayEquals(new byte[] {(byte) 0xF4, (byte) 0x8F, (byte) 0xBF, (byte) 0xBF}, bytesOf(s));
        }
    }

    // ---------------------------------------------------------------- scoped access

    private static byte firstByte(MemorySegment m) {
        return m.get(BYTE, 0);
    }

    @Test
    void readAndWriteLetACheckedExceptionOrAThrowableThroughWithNoTry() throws Throwable {
        // Each of these calls compiles only because read, write and withContents declare what their lambda throws.
        MethodHandle first = MethodHandles.lookup().findStatic(SecretTest.class, "firstByte",
                MethodType.methodType(byte.class, MemorySegment.class));
        try (Secret<Key> s = Secret.fromBytesWiping(Key.class, counting(8))) {
            byte b = s.read(m -> (byte) first.invokeExact(m)); // declared to throw Throwable, as a downcall is
            assertEquals(1, b);
            IOException io = new IOException("planted");
            assertSame(io, assertThrows(IOException.class, () -> s.read(m -> {
                throw io;
            })));
            assertSame(io, assertThrows(IOException.class, () -> s.write(m -> {
                m.set(BYTE, 0, (byte) 42);
                throw io;
            })));
            assertEquals(42, (int) s.read(m -> m.get(BYTE, 0)), "what the writer wrote before it threw stays");
            s.write(m -> m.set(BYTE, 1, (byte) first.invokeExact(m)));
            assertEquals(42, (int) s.read(m -> m.get(BYTE, 1)));
        }
        IOException io = new IOException("planted in withContents");
        try (FreeWatch watch = FreeWatch.start()) {
            assertSame(io, assertThrows(IOException.class, () -> Secret.withContents(Key.class, 24, m -> {
                m.fill((byte) 0x66);
                throw io;
            })));
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Test
    void aSecretOnlyItsOwnReadStillUsesIsNotCleanedDuringThatRead() throws InterruptedException {
        // Compiled code drops a reference after its last use. If read() did not keep its secret reachable, a
        // secret the caller no longer holds could be wiped and freed by the cleaner while the reader still reads.
        try (Secret<Key> warm = Secret.random(Key.class, 8)) {
            for (int i = 0; i < 50_000; i++) {
                warm.read(m -> m.get(BYTE, 0));
            }
        }
        try (FreeLog log = FreeLog.start()) {
            List<Long> addresses = new ArrayList<>();
            for (int attempt = 0; attempt < 3; attempt++) {
                Optional<FreeLog.Freed> early = Secret.withContents(Key.class, 77, m -> m.fill((byte) 0x5A))
                        .read(m -> {
                            addresses.add(m.address());
                            try {
                                return log.awaitFreed(m.address(), 300);
                            } catch (InterruptedException e) {
                                throw new AssertionError(e);
                            }
                        });
                assertTrue(early.isEmpty(), "attempt " + attempt + ": freed while its read was running");
            }
            // Those secrets were never closed: wait for the cleaner, so no later test sees their frees.
            for (long address : addresses) {
                assertTrue(log.awaitFreed(address, 10_000).orElseThrow().zero());
            }
        }
    }
}
