package dev.hardmem;

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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
 * What every implementation of {@link Secret}'s contract promises about its contents, its views, its lifecycle,
 * bad input and accidental leaks: {@code Secret}, and a sealed secret of each mode. The borrow rules and threads
 * are in {@link SecretBorrowContract}. Subclasses name the implementation.
 */
public abstract class SecretContract {
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    /** For subclasses, one per implementation. */
    protected SecretContract() {
    }

    /** {@return how to make the secrets under test} */
    protected abstract SecretUnderTest.Maker maker();

    @AfterEach
    void stopWatching() {
        FreeListeners.observe(FreeListener.NONE);
    }

    private SecretUnderTest holding(byte[] bytes) {
        return maker().withContents(bytes.length, m -> m.copyFrom(MemorySegment.ofArray(bytes)));
    }

    private static boolean allZero(byte[] a) {
        for (byte b : a) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- contents

    @Test
    void whatIsWrittenIsReadBack() {
        try (SecretUnderTest s = holding(counting(40))) {
            assertEquals(40, s.size());
            assertSame(SecretKind.Key.class, s.kind());
            assertArrayEquals(counting(40), s.read(m -> m.toArray(BYTE)));
            s.write(m -> m.set(BYTE, 39, (byte) 0x77));
            byte[] expected = counting(40);
            expected[39] = 0x77;
            assertArrayEquals(expected, s.insecureCopyToHeap());
            byte[] copy = s.insecureCopyToHeap();
            Wipe.bytes(copy);
            assertArrayEquals(expected, s.insecureCopyToHeap(), "the copy is a copy");
        }
    }

    @Test
    void randomIsNotZeroAndTwoRandomsDiffer() {
        try (SecretUnderTest a = maker().random(32); SecretUnderTest b = maker().random(32)) {
            assertEquals(32, a.size());
            // 2^-256 chance of a false failure each.
            assertFalse(allZero(a.insecureCopyToHeap()));
            assertFalse(a.contentEquals(b));
        }
        try (SecretUnderTest one = maker().random(1)) {
            assertEquals(1, one.size());
        }
    }

    @Test
    void withContentsStartsFromZeros() {
        AtomicBoolean zero = new AtomicBoolean();
        try (SecretUnderTest s = maker().withContents(100, m -> zero.set(FreeWatch.isZero(m)))) {
            assertTrue(zero.get());
            assertEquals(100, s.size());
        }
    }

    @Test
    void contentEqualsIsFalseForEverySingleBitFlipped() {
        byte[] original = counting(32);
        try (SecretUnderTest s = holding(original)) {
            try (SecretUnderTest same = holding(original)) {
                assertTrue(s.contentEquals(same));
                assertTrue(same.contentEquals(s));
            }
            assertTrue(s.contentEquals(s));
            for (int bit = 0; bit < original.length * 8; bit++) {
                byte[] flipped = original.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                try (SecretUnderTest other = holding(flipped)) {
                    assertFalse(s.contentEquals(other), "bit " + bit);
                    assertFalse(other.contentEquals(s), "bit " + bit);
                }
            }
            try (SecretUnderTest shorter = holding(Arrays.copyOf(original, 31));
                 SecretUnderTest longer = holding(Arrays.copyOf(original, 33))) {
                assertFalse(s.contentEquals(shorter));
                assertFalse(s.contentEquals(longer));
                assertFalse(longer.contentEquals(s));
            }
        }
    }

    // ---------------------------------------------------------------- views

    @Test
    void readGivesAReadOnlySegmentOfExactlyTheSizeAndWriteAWritableOne() {
        try (SecretUnderTest s = holding(counting(16))) {
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
                assertThrows(IndexOutOfBoundsException.class, () -> m.get(BYTE, 16));
                m.set(BYTE, 0, (byte) 99);
            });
            assertEquals(99, (int) s.read(m -> m.get(BYTE, 0)));
            assertEquals(2, (int) s.read(m -> m.get(BYTE, 1)), "the rest is unchanged");
        }
    }

    @Test
    void theBytesAreOffTheHeap() {
        try (SecretUnderTest s = maker().random(32)) {
            boolean offHeap = s.read(m -> m.isNative() && m.heapBase().isEmpty());
            assertTrue(offHeap);
            s.write(m -> {
                assertTrue(m.isNative());
                assertTrue(m.heapBase().isEmpty());
            });
        }
    }

    @Test
    void aSegmentThatEscapesReadOrWriteIsDead() {
        try (SecretUnderTest s = maker().random(32)) {
            MemorySegment fromRead = s.read(m -> m);
            MemorySegment slice = s.read(m -> m.asSlice(4, 8));
            AtomicReference<MemorySegment> written = new AtomicReference<>();
            s.write(written::set);
            assertThrows(IllegalStateException.class, () -> fromRead.get(BYTE, 0));
            assertThrows(IllegalStateException.class, () -> slice.get(BYTE, 0));
            assertThrows(IllegalStateException.class, () -> written.get().set(BYTE, 0, (byte) 1));
            assertThrows(IllegalStateException.class, () -> written.get().asByteBuffer().get(0));
            assertFalse(fromRead.scope().isAlive());
            assertFalse(written.get().scope().isAlive());
        }
    }

    @Test
    void theSegmentIsConfinedToTheThreadThatReads() throws InterruptedException {
        try (SecretUnderTest s = maker().random(32)) {
            AtomicReference<Throwable> inRead = new AtomicReference<>();
            AtomicReference<Throwable> inWrite = new AtomicReference<>();
            s.read(m -> touchFromAnotherThread(m, inRead));
            s.write(m -> touchFromAnotherThread(m, inWrite));
            assertInstanceOf(WrongThreadException.class, inRead.get());
            assertInstanceOf(WrongThreadException.class, inWrite.get());
        }
    }

    private static Object touchFromAnotherThread(MemorySegment m, AtomicReference<Throwable> seen) {
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
    }

    // ---------------------------------------------------------------- callbacks that throw

    /** Throws {@code t}, checked or not, where the compiler cannot see it: what a sneaky-throw library does. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }

    @Test
    void aReaderOrWriterThatThrowsPassesItOnAndWhatTheWriterWroteStays() {
        try (SecretUnderTest s = holding(counting(8))) {
            List<Throwable> planted = List.of(new IOException("planted"), new IllegalStateException("planted"),
                    new Error("planted"));
            for (Throwable t : planted) {
                assertSame(t, assertThrows(Throwable.class, () -> s.read(m -> {
                    sneaky(t);
                    return null;
                })));
                byte mark = (byte) (planted.indexOf(t) + 40);
                assertSame(t, assertThrows(Throwable.class, () -> s.write(m -> {
                    m.set(BYTE, 0, mark);
                    sneaky(t);
                })));
                assertEquals(mark, (byte) s.read(m -> m.get(BYTE, 0)), "what the writer wrote before it threw");
            }
            IOException io = new IOException("declared");
            assertSame(io, assertThrows(IOException.class, () -> s.write(m -> {
                throw io;
            })));
        }
    }

    @Test
    void aWriterThatThrowsOnCreationLeavesNothing() {
        List<Throwable> planted = List.of(new IOException("planted in withContents"),
                new IllegalArgumentException("planted"), new OutOfMemoryError("planted"));
        for (Throwable t : planted) {
            try (FreeWatch watch = FreeWatch.start()) {
                Throwable thrown = assertThrows(Throwable.class, () -> maker().withContents(24, m -> {
                    m.fill((byte) 0x66);
                    sneaky(t);
                }));
                assertSame(t, thrown);
                assertEquals(1, watch.blocks(), "the secret's memory is freed: " + t);
                assertEquals(maker().bytesAtRest(24), watch.bytes());
                assertEquals(0, watch.dirtyBlocks(), "and wiped first: " + t);
            }
        }
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void sizesBelowOneAndAbove64TiBAreRefusedNamingTheSize() {
        for (long size : new long[] {0, -1, Long.MIN_VALUE, (64L << 40) + 1, Long.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> maker().random(size));
            assertTrue(e.getMessage().contains(String.valueOf(size)), e.getMessage());
            AtomicBoolean called = new AtomicBoolean();
            e = assertThrows(IllegalArgumentException.class,
                    () -> maker().withContents(size, m -> called.set(true)));
            assertTrue(e.getMessage().contains(String.valueOf(size)), e.getMessage());
            assertFalse(called.get(), "the writer is not called for size " + size);
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Test
    void closeWipesBeforeFreeAndEverythingAfterIsIllegalState() {
        SecretUnderTest s = holding(counting(32));
        SecretUnderTest other = maker().random(32);
        try (FreeWatch watch = FreeWatch.start()) {
            s.close();
            assertEquals(1, watch.blocks());
            assertEquals(maker().bytesAtRest(32), watch.bytes());
            assertEquals(0, watch.dirtyBlocks());
        }
        assertTrue(s.isDestroyed());
        for (IllegalStateException e : List.of(
                assertThrows(IllegalStateException.class, s::close, "closing twice"),
                assertThrows(IllegalStateException.class, s::destroy),
                assertThrows(IllegalStateException.class, () -> s.read(m -> m)),
                assertThrows(IllegalStateException.class, () -> s.write(m -> { })),
                assertThrows(IllegalStateException.class, s::insecureCopyToHeap),
                assertThrows(IllegalStateException.class, () -> s.contentEquals(s)),
                assertThrows(IllegalStateException.class, () -> s.contentEquals(other)),
                assertThrows(IllegalStateException.class, () -> other.contentEquals(s)))) {
            assertEquals("Already closed", e.getMessage());
        }
        assertEquals(32, s.size(), "the size is not secret and stays readable");
        assertSame(SecretKind.Key.class, s.kind());
        assertEquals(maker().redacted(32), s.unwrap().toString());
        other.close();
    }

    @Test
    void closeFromInsideItsOwnAccessIsIllegalStateAndChangesNothing() {
        SecretUnderTest s = holding(counting(8));
        assertThrows(IllegalStateException.class, () -> s.read(m -> {
            s.close();
            return null;
        }));
        assertThrows(IllegalStateException.class, () -> s.write(m -> s.destroy()));
        assertFalse(s.isDestroyed());
        assertArrayEquals(counting(8), s.insecureCopyToHeap());
        s.close();
    }

    @Test
    void destroyIsClose() {
        SecretUnderTest s = holding(counting(24));
        assertFalse(s.isDestroyed());
        try (FreeWatch watch = FreeWatch.start()) {
            s.destroy();
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
        }
        assertTrue(s.isDestroyed());
        assertThrows(IllegalStateException.class, s::destroy);
        assertThrows(IllegalStateException.class, s::close);
        assertInstanceOf(javax.security.auth.Destroyable.class, s.unwrap());
        assertInstanceOf(AutoCloseable.class, s.unwrap());
    }

    @Test
    void closeWaitsForAReadInProgressOnAnotherThread() throws Exception {
        SecretUnderTest s = holding(counting(64));
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

    /** Makes a secret of {@code size} bytes, fills it, and forgets it. */
    private void dropOne(long size) {
        maker().withContents(size, m -> m.fill((byte) 0x4B));
    }

    @Test
    void aSecretNeverClosedIsWipedAndFreedByTheLeakWatcher() throws InterruptedException {
        // A size no other test uses: the free of its block is this secret's, whichever thread frees it.
        long size = 333;
        long atRest = maker().bytesAtRest(size);
        try (FreeLog log = FreeLog.start()) {
            dropOne(size);
            dev.hardmem.testing.Gc.awaitUntil(() -> log.all().stream().anyMatch(f -> f.size() == atRest),
                    Duration.ofSeconds(10));
            List<FreeLog.Freed> freed = log.all().stream().filter(f -> f.size() == atRest).toList();
            assertEquals(1, freed.size(), "freed once, within 10 s");
            assertTrue(freed.get(0).zero(), "wiped before it was freed");
        }
    }

    // ---------------------------------------------------------------- no accidental leaks

    @Test
    void toStringIsRedacted() {
        try (SecretUnderTest s = holding(counting(32))) {
            assertEquals(maker().redacted(32), s.unwrap().toString());
            assertEquals(maker().redacted(32), String.valueOf(s.unwrap()));
        }
    }

    @Test
    void equalsAndHashCodeAreIdentity() {
        try (SecretUnderTest a = holding(counting(16)); SecretUnderTest b = holding(counting(16))) {
            assertTrue(a.contentEquals(b));
            assertNotEquals(a.unwrap(), b.unwrap(), "same contents, different secrets");
            assertEquals(a.unwrap(), a.unwrap());
            assertEquals(System.identityHashCode(a.unwrap()), a.unwrap().hashCode());
            int before = a.unwrap().hashCode();
            a.write(m -> m.fill((byte) 0));
            assertEquals(before, a.unwrap().hashCode(), "independent of the contents");
        }
    }

    record Holder(String name, Object secret) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void isNotCloneable() {
        Class<?> type = maker().type();
        assertFalse(Cloneable.class.isAssignableFrom(type));
        for (Method m : type.getMethods()) {
            assertNotEquals("clone", m.getName());
        }
    }

    @Test
    void isNotSerializable() throws IOException {
        Class<?> type = maker().type();
        assertFalse(Serializable.class.isAssignableFrom(type));
        try (SecretUnderTest s = maker().random(32);
             ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
            NotSerializableException e = assertThrows(NotSerializableException.class,
                    () -> out.writeObject(new Holder("k", s.unwrap())));
            assertEquals(type.getName(), e.getMessage());
        }
    }

    @Test
    void isFinalAndHasNoPublicConstructor() {
        assertTrue(Modifier.isFinal(maker().type().getModifiers()));
        assertEquals(0, maker().type().getConstructors().length);
    }

    @Test
    void onlyInsecureMethodsReturnBytesOnTheHeapAndNoneReturnsASegment() {
        Class<?> type = maker().type();
        List<String> heapCopies = new ArrayList<>();
        for (Method m : type.getMethods()) {
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
    }
}
