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

/** {@link Secret}: factories, scoped access, lifecycle, and everything that keeps it from leaking by accident. */
class SecretTest {
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    @AfterEach
    void stopWatching() {
        FreeListeners.observe(FreeListener.NONE);
    }

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
    void randomIsNotZeroAndTwoRandomsDiffer() {
        try (Secret<Key> a = Secret.random(Key.class, 32); Secret<Key> b = Secret.random(Key.class, 32)) {
            assertEquals(32, a.size());
            assertSame(Key.class, a.kind());
            // 2^-256 chance of a false failure each.
            assertFalse(allZero(bytesOf(a)));
            assertFalse(a.contentEquals(b));
        }
        try (Secret<Key> one = Secret.random(Key.class, 1)) {
            assertEquals(1, one.size());
        }
    }

    @Test
    void randomRefusesSizesBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> Secret.random(Key.class, 0));
        assertThrows(IllegalArgumentException.class, () -> Secret.random(Key.class, -1));
        assertThrows(IllegalArgumentException.class, () -> Secret.withContents(Key.class, 0, s -> { }));
    }

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

    @Test
    void withContentsStartsFromZeros() {
        AtomicBoolean zero = new AtomicBoolean();
        try (Secret<Key> s = Secret.withContents(Key.class, 100, m -> zero.set(FreeWatch.isZero(m)))) {
            assertTrue(zero.get());
            assertEquals(100, s.size());
        }
    }

    // ---------------------------------------------------------------- scoped access

    @Test
    void aSegmentThatEscapesReadOrWriteIsDead() {
        try (Secret<Key> s = Secret.random(Key.class, 32)) {
            MemorySegment fromRead = s.read(m -> m);
            MemorySegment slice = s.read(m -> m.asSlice(4, 8));
            AtomicReference<MemorySegment> written = new AtomicReference<>();
            s.write(written::set);
            assertThrows(IllegalStateException.class, () -> fromRead.get(BYTE, 0));
            assertThrows(IllegalStateException.class, () -> slice.get(BYTE, 0));
            assertThrows(IllegalStateException.class, () -> written.get().set(BYTE, 0, (byte) 1));
            assertThrows(IllegalStateException.class, () -> written.get().asByteBuffer().get(0));
            assertFalse(fromRead.scope().isAlive());
        }
    }

    @Test
    void theSegmentIsConfinedToTheThreadThatReads() throws InterruptedException {
        try (Secret<Key> s = Secret.random(Key.class, 32)) {
            AtomicReference<Throwable> seen = new AtomicReference<>();
            s.read(m -> {
                Thread t = Thread.ofPlatform().start(() -> {
                    try {
                        m.get(BYTE, 0);
                    } catch (Throwable e) {
                        seen.set(e);
                    }
                });
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return null;
            });
            assertInstanceOf(WrongThreadException.class, seen.get());
        }
    }

    @Test
    void theBytesAreOffTheHeap() {
        try (Secret<Key> s = Secret.random(Key.class, 32)) {
            boolean offHeap = s.read(m -> m.isNative() && m.heapBase().isEmpty());
            assertTrue(offHeap);
            s.write(m -> {
                assertTrue(m.isNative());
                assertTrue(m.heapBase().isEmpty());
            });
        }
    }

    @Test
    void readGivesAReadOnlySegmentOfExactlyTheSizeAndWriteAWritableOne() {
        try (Secret<Key> s = Secret.fromBytesWiping(Key.class, counting(16))) {
            s.read(m -> {
                assertTrue(m.isReadOnly());
                assertEquals(16, m.byteSize());
                assertThrows(IllegalArgumentException.class, () -> m.set(BYTE, 0, (byte) 9));
                assertThrows(IndexOutOfBoundsException.class, () -> m.get(BYTE, 16));
                assertTrue(m.asByteBuffer().isReadOnly());
                return null;
            });
            s.write(m -> {
                assertFalse(m.isReadOnly());
                assertEquals(16, m.byteSize());
                m.set(BYTE, 0, (byte) 99);
            });
            assertEquals(99, (int) s.read(m -> m.get(BYTE, 0)));
            assertEquals(2, (int) s.read(m -> m.get(BYTE, 1)), "the rest is unchanged");
        }
    }

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

    @Test
    void closeFromInsideItsOwnAccessIsIllegalStateAndChangesNothing() {
        Secret<Key> s = Secret.fromBytesWiping(Key.class, counting(8));
        assertThrows(IllegalStateException.class, () -> s.read(m -> {
            s.close();
            return null;
        }));
        assertThrows(IllegalStateException.class, () -> s.write(m -> s.destroy()));
        assertFalse(s.isDestroyed());
        assertArrayEquals(counting(8), bytesOf(s));
        s.close();
    }

    @Test
    void closeWaitsForAReadInProgressOnAnotherThread() throws Exception {
        Secret<Key> s = Secret.fromBytesWiping(Key.class, counting(64));
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<byte[]> seen = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> s.read(m -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            seen.set(m.toArray(BYTE));
            return null;
        }));
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        try (FreeWatch watch = FreeWatch.start()) {
            Thread closer = Thread.ofPlatform().start(s::close);
            closer.join(200);
            assertTrue(closer.isAlive(), "close waits for the read");
            assertEquals(0, watch.blocks());
            release.countDown();
            reader.join();
            closer.join();
            assertArrayEquals(counting(64), seen.get(), "the reader saw the bytes intact");
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
        }
        assertTrue(s.isDestroyed());
    }

    // ---------------------------------------------------------------- lifecycle

    @Test
    void closeWipesBeforeFreeAndEverythingAfterIsIllegalState() {
        Secret<Key> s = Secret.fromBytesWiping(Key.class, counting(32));
        Secret<Key> other = Secret.random(Key.class, 32);
        try (FreeWatch watch = FreeWatch.start()) {
            s.close();
            assertEquals(1, watch.blocks());
            assertEquals(32, watch.bytes());
            assertEquals(0, watch.dirtyBlocks());
        }
        assertTrue(s.isDestroyed());
        assertThrows(IllegalStateException.class, s::close, "closing twice");
        assertThrows(IllegalStateException.class, () -> s.read(m -> m));
        assertThrows(IllegalStateException.class, () -> s.write(m -> { }));
        assertThrows(IllegalStateException.class, s::insecureCopyToHeap);
        assertThrows(IllegalStateException.class, () -> s.contentEquals(s));
        assertThrows(IllegalStateException.class, () -> s.contentEquals(other));
        assertThrows(IllegalStateException.class, () -> other.contentEquals(s));
        assertEquals(32, s.size(), "the size is not secret and stays readable");
        assertEquals("Secret[32 bytes, redacted]", s.toString());
        other.close();
    }

    @Test
    void destroyIsClose() {
        Secret<Key> s = Secret.fromBytesWiping(Key.class, counting(24));
        assertFalse(s.isDestroyed());
        try (FreeWatch watch = FreeWatch.start()) {
            s.destroy();
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
        }
        assertTrue(s.isDestroyed());
        assertThrows(IllegalStateException.class, s::destroy);
        assertThrows(IllegalStateException.class, s::close);
        assertInstanceOf(javax.security.auth.Destroyable.class, s);
    }

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

    // ---------------------------------------------------------------- no accidental leaks

    @Test
    void toStringIsRedacted() {
        try (Secret<Key> s = Secret.random(Key.class, 32)) {
            assertEquals("Secret[32 bytes, redacted]", s.toString());
            assertEquals("Secret[32 bytes, redacted]", String.valueOf(s));
        }
    }

    @Test
    void equalsAndHashCodeAreIdentity() {
        byte[] bytes = counting(16);
        try (Secret<Key> a = Secret.fromBytesWiping(Key.class, bytes.clone());
             Secret<Key> b = Secret.fromBytesWiping(Key.class, bytes.clone())) {
            assertTrue(a.contentEquals(b));
            assertNotEquals(a, b, "same contents, different secrets");
            assertEquals(a, a);
            assertEquals(System.identityHashCode(a), a.hashCode());
            assertEquals(System.identityHashCode(b), b.hashCode());
            int before = a.hashCode();
            a.write(m -> m.fill((byte) 0));
            assertEquals(before, a.hashCode(), "independent of the contents");
        }
    }

    @Test
    void contentEqualsIsFalseForEverySingleBitFlipped() {
        byte[] original = counting(32);
        try (Secret<Key> s = Secret.fromBytesWiping(Key.class, original.clone())) {
            try (Secret<Key> same = Secret.fromBytesWiping(Key.class, original.clone())) {
                assertTrue(s.contentEquals(same));
                assertTrue(same.contentEquals(s));
            }
            assertTrue(s.contentEquals(s));
            for (int bit = 0; bit < original.length * 8; bit++) {
                byte[] flipped = original.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                try (Secret<Key> other = Secret.fromBytesWiping(Key.class, flipped)) {
                    assertFalse(s.contentEquals(other), "bit " + bit);
                    assertFalse(other.contentEquals(s), "bit " + bit);
                }
            }
            try (Secret<Key> shorter = Secret.fromBytesWiping(Key.class, Arrays.copyOf(original, 31));
                 Secret<Key> longer = Secret.fromBytesWiping(Key.class, Arrays.copyOf(original, 33))) {
                assertFalse(s.contentEquals(shorter));
                assertFalse(s.contentEquals(longer));
                assertFalse(longer.contentEquals(s));
            }
        }
    }

    record Holder(String name, Secret<Key> key) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void isNotSerializable() throws IOException {
        try (Secret<Key> s = Secret.random(Key.class, 32)) {
            assertFalse(Serializable.class.isAssignableFrom(Secret.class));
            try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
                NotSerializableException e = assertThrows(NotSerializableException.class,
                        () -> out.writeObject(new Holder("k", s)));
                assertEquals(Secret.class.getName(), e.getMessage());
            }
        }
    }

    @Test
    void isNotCloneable() {
        assertFalse(Cloneable.class.isAssignableFrom(Secret.class));
        for (Method m : Secret.class.getMethods()) {
            assertNotEquals("clone", m.getName());
        }
    }

    @Test
    void onlyInsecureMethodsReturnBytesOnTheHeapAndNoneReturnsASegment() {
        List<String> heapCopies = new ArrayList<>();
        for (Method m : Secret.class.getMethods()) {
            Class<?> r = m.getReturnType();
            boolean heap = r == byte[].class || r == char[].class || r == ByteBuffer.class
                    || (r == String.class && !m.getName().equals("toString"));
            if (heap) {
                assertTrue(m.getName().startsWith("insecure"), m + " copies to the heap but is not named insecure");
                heapCopies.add(m.getName());
            }
            assertNotEquals(MemorySegment.class, r, m + " hands out the memory outside a scope");
        }
        assertEquals(List.of("insecureCopyToHeap"), heapCopies);
        try (Secret<Key> s = Secret.fromBytesWiping(Key.class, counting(12))) {
            byte[] copy = s.insecureCopyToHeap();
            assertArrayEquals(counting(12), copy);
            Wipe.bytes(copy);
            assertArrayEquals(counting(12), bytesOf(s), "the copy is a copy");
        }
    }

    @Test
    void isFinalAndHasNoPublicConstructor() {
        assertTrue(Modifier.isFinal(Secret.class.getModifiers()));
        assertEquals(0, Secret.class.getConstructors().length);
    }
}
