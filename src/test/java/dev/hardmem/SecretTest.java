package dev.hardmem;

import dev.hardmem.SecretKind.Key;
import dev.hardmem.SecretKind.Password;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.FreeListeners;
import dev.hardmem.testing.FreeLog;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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

    private static byte[] bytesOf(Secret<?> s) {
        return s.read(m -> m.toArray(BYTE));
    }

    private static byte[] counting(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i + 1);
        }
        return b;
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
    void readFromStreamUpToExactlyTheCapacity() throws IOException {
        try (Secret<Key> s = Secret.readFrom(Key.class, new ByteArrayInputStream(counting(32)), 32)) {
            assertArrayEquals(counting(32), bytesOf(s));
        }
        try (Secret<Key> s = Secret.readFrom(Key.class, new ByteArrayInputStream(counting(10)), 32)) {
            assertEquals(10, s.size(), "the size is what was read, not the capacity");
            assertArrayEquals(counting(10), bytesOf(s));
            assertEquals(10L, (long) s.read(MemorySegment::byteSize));
        }
    }

    @Test
    void readFromStreamPastTheCapacityThrowsAndKeepsNothing() {
        try (FreeLog log = FreeLog.start()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Secret.readFrom(Key.class, new ByteArrayInputStream(counting(33)), 32));
            assertTrue(e.getMessage().contains("32"), e.getMessage());
            assertEquals(List.of(32L), log.all().stream().map(FreeLog.Freed::size).toList());
            assertTrue(log.all().get(0).zero(), "the 32 bytes read were wiped before the free");
        }
    }

    @Test
    void readFromAnEmptyStreamOrChannelThrows() {
        try (FreeWatch watch = FreeWatch.start()) {
            assertThrows(IllegalArgumentException.class,
                    () -> Secret.readFrom(Key.class, InputStream.nullInputStream(), 16));
            assertThrows(IllegalArgumentException.class,
                    () -> Secret.readFrom(Key.class, Channels.newChannel(InputStream.nullInputStream()), 16));
            assertEquals(2, watch.blocks(), "nothing leaked");
            assertEquals(0, watch.dirtyBlocks());
        }
        assertThrows(IllegalArgumentException.class,
                () -> Secret.readFrom(Key.class, new ByteArrayInputStream(counting(1)), 0));
        assertThrows(IllegalArgumentException.class,
                () -> Secret.readFrom(Key.class, Channels.newChannel(new ByteArrayInputStream(counting(1))), -1));
    }

    @Test
    void aFailingStreamKeepsNothing() {
        InputStream failing = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n == 5) {
                    throw new IOException("disk on fire");
                }
                return ++n;
            }
        };
        try (FreeWatch watch = FreeWatch.start()) {
            assertThrows(IOException.class, () -> Secret.readFrom(Key.class, failing, 64));
            assertEquals(1, watch.blocks());
            assertEquals(0, watch.dirtyBlocks());
        }
    }

    @Test
    void readFromStripsOneTrailingNewlineFromAPasswordAndNothingElse() throws IOException {
        String[][] cases = {
            {"hunter2\n", "hunter2"},
            {"hunter2\r\n", "hunter2"},
            {"hunter2", "hunter2"},
            {"hunter2\n\n", "hunter2\n"},
            {"hunter2\r\n\r\n", "hunter2\r\n"},
            {"hunter2\r", "hunter2\r"},
            {"hunter2\n\r", "hunter2\n\r"},
            {"\r\r\n", "\r"},
            {" pass word \n", " pass word "},
        };
        for (String[] c : cases) {
            byte[] in = c[0].getBytes(StandardCharsets.UTF_8);
            byte[] expected = c[1].getBytes(StandardCharsets.UTF_8);
            try (Secret<Password> s = Secret.readFrom(Password.class, new ByteArrayInputStream(in), 64);
                 Secret<Password> t = Secret.readFrom(Password.class,
                         Channels.newChannel(new ByteArrayInputStream(in)), in.length)) {
                assertArrayEquals(expected, bytesOf(s), c[0]);
                assertEquals(expected.length, s.size());
                assertArrayEquals(expected, bytesOf(t), c[0] + ", from a channel");
            }
            // Other kinds keep every byte.
            try (Secret<Key> k = Secret.readFrom(Key.class, new ByteArrayInputStream(in), 64)) {
                assertArrayEquals(in, bytesOf(k), c[0]);
            }
        }
    }

    @Test
    void aPasswordThatIsOnlyANewlineIsEmptyAndKeepsNothing() {
        for (String only : new String[] {"\n", "\r\n"}) {
            try (FreeLog log = FreeLog.start()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Secret.readFrom(
                        Password.class, new ByteArrayInputStream(only.getBytes(StandardCharsets.UTF_8)), 8));
                assertTrue(e.getMessage().contains("empty"), e.getMessage());
                assertEquals(List.of(8L), log.all().stream().map(FreeLog.Freed::size).toList());
                assertTrue(log.all().get(0).zero());
            }
        }
    }

    @Test
    void noPublicMemberOfSecretTakesAnIntSize() {
        // size() is a long: so is every size and capacity a secret is made with.
        for (Method m : Secret.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers())) {
                continue;
            }
            for (Class<?> p : m.getParameterTypes()) {
                assertNotEquals(int.class, p, m + " takes an int");
            }
        }
    }

    @Test
    void readFromRefusesACapacityNoSecretCanHaveAndNamesIt() {
        long huge = Long.MAX_VALUE;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Secret.readFrom(Key.class, new ByteArrayInputStream(counting(4)), huge));
        assertTrue(e.getMessage().contains(String.valueOf(huge)), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Secret.readFrom(Key.class,
                Channels.newChannel(new ByteArrayInputStream(counting(4))), (1L << 46) + 1));
        assertTrue(e.getMessage().contains(String.valueOf((1L << 46) + 1)), e.getMessage());
    }

    @Test
    void readFromChannelUpToExactlyTheCapacity() throws IOException {
        try (Secret<Key> s = Secret.readFrom(Key.class, Channels.newChannel(new ByteArrayInputStream(counting(32))),
                32)) {
            assertArrayEquals(counting(32), bytesOf(s));
        }
        Path file = Files.createTempFile("hardmem-secret", ".bin");
        try {
            Files.write(file, counting(20));
            // A file channel reads straight into the secret's memory through a direct buffer.
            try (FileChannel ch = FileChannel.open(file); Secret<Key> s = Secret.readFrom(Key.class, ch, 64)) {
                assertEquals(20, s.size());
                assertArrayEquals(counting(20), bytesOf(s));
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void readFromChannelPastTheCapacityThrowsAndKeepsNothing() {
        try (FreeLog log = FreeLog.start()) {
            assertThrows(IllegalArgumentException.class, () -> Secret.readFrom(Key.class,
                    Channels.newChannel(new ByteArrayInputStream(counting(33))), 32));
            assertEquals(List.of(32L), log.all().stream().map(FreeLog.Freed::size).toList());
            assertTrue(log.all().get(0).zero());
        }
    }

    /** A channel that reads at most 3 bytes at a time, as a pipe or a socket may. */
    private static ReadableByteChannel stuttering(byte[] data) {
        return new ReadableByteChannel() {
            int pos;

            @Override
            public int read(ByteBuffer dst) {
                if (pos == data.length) {
                    return -1;
                }
                int n = Math.min(3, Math.min(dst.remaining(), data.length - pos));
                dst.put(data, pos, n);
                pos += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void readFromChannelCopesWithShortReads() throws IOException {
        try (Secret<Key> s = Secret.readFrom(Key.class, stuttering(counting(32)), 32)) {
            assertArrayEquals(counting(32), bytesOf(s));
        }
        try (Secret<Key> s = Secret.readFrom(Key.class, stuttering(counting(7)), 32)) {
            assertArrayEquals(counting(7), bytesOf(s));
        }
        assertThrows(IllegalArgumentException.class,
                () -> Secret.readFrom(Key.class, stuttering(counting(33)), 32));
    }

    /** A channel that never has a byte ready, as a non-blocking one with nothing to read; it counts its calls. */
    private static final class NothingReady implements ReadableByteChannel {
        final byte[] first;
        int calls;

        NothingReady(byte[] first) {
            this.first = first;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (++calls > 1_000_000) {
                throw new AssertionError("spun through a million reads of 0 bytes");
            }
            if (calls == 1 && first.length > 0) {
                dst.put(first);
                return first.length;
            }
            return 0;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aChannelThatReadsNothingIsRefusedAtOnceAndKeepsNothing() throws IOException {
        // Nothing ready at all; 5 bytes, then nothing; exactly the capacity, then nothing where the end should be.
        for (byte[] first : new byte[][] {new byte[0], counting(5), counting(16)}) {
            NothingReady channel = new NothingReady(first);
            try (FreeLog log = FreeLog.start()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Secret.readFrom(Key.class, channel, 16));
                assertTrue(e.getMessage().contains("non-blocking"), e.getMessage());
                assertTrue(channel.calls <= 2, "refused at the first read of 0 bytes, not after " + channel.calls);
                assertEquals(List.of(16L), log.all().stream().map(FreeLog.Freed::size).toList());
                assertTrue(log.all().get(0).zero(), "what was read was wiped");
            }
        }
        // A selectable channel in non-blocking mode is refused before anything is read from it.
        Pipe pipe = Pipe.open();
        try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
            source.configureBlocking(false);
            sink.write(ByteBuffer.wrap(counting(4)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Secret.readFrom(Key.class, source, 16));
            assertTrue(e.getMessage().contains("non-blocking"), e.getMessage());
        }
    }

    @Test
    void aFailedWriterInWithContentsWipesAndFrees() {
        try (FreeWatch watch = FreeWatch.start()) {
            ArithmeticException e = assertThrows(ArithmeticException.class,
                    () -> Secret.withContents(Key.class, 48, s -> {
                        s.fill((byte) 0x77);
                        throw new ArithmeticException("half-derived key");
                    }));
            assertEquals("half-derived key", e.getMessage());
            assertEquals(1, watch.blocks());
            assertEquals(48, watch.bytes());
            assertEquals(0, watch.dirtyBlocks());
        }
    }

    /** Throws {@code t}, checked or not, from code whose signature declares no checked exception. */
    @SuppressWarnings("unchecked")
    private static <X extends Throwable> RuntimeException sneaky(Throwable t) throws X {
        throw (X) t;
    }

    @Test
    void aWriterThatThrowsACheckedExceptionSneakilyWipesAndFreesAtOnce() {
        Exception planted = new Exception("half-derived key, thrown sneakily");
        try (FreeWatch watch = FreeWatch.start()) {
            Throwable thrown = assertThrows(Exception.class, () -> Secret.withContents(Key.class, 48, s -> {
                s.fill((byte) 0x77);
                throw sneaky(planted);
            }));
            assertSame(planted, thrown, "the exception propagates unchanged");
            assertEquals(1, watch.blocks(), "freed at once, not left to the cleaner");
            assertEquals(48, watch.bytes());
            assertEquals(0, watch.dirtyBlocks());
        }
    }

    @Test
    void aSourceThatThrowsACheckedExceptionSneakilyKeepsNothing() {
        Exception planted = new Exception("not an IOException, thrown sneakily");
        InputStream stream = new InputStream() {
            int n;

            @Override
            public int read() {
                if (n == 5) {
                    throw sneaky(planted);
                }
                return ++n;
            }
        };
        ReadableByteChannel channel = new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) {
                dst.put(counting(5));
                throw sneaky(planted);
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        try (FreeLog log = FreeLog.start()) {
            assertSame(planted, assertThrows(Exception.class, () -> Secret.readFrom(Key.class, stream, 64)));
            assertSame(planted, assertThrows(Exception.class, () -> Secret.readFrom(Key.class, channel, 64)));
            assertEquals(List.of(64L, 64L), log.all().stream().map(FreeLog.Freed::size).toList());
            assertTrue(log.all().stream().allMatch(FreeLog.Freed::zero), "the 5 bytes read were wiped");
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
