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
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
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
import java.util.List;

import static dev.hardmem.testing.Bytes.bytesOf;
import static dev.hardmem.testing.Bytes.counting;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Secret}s made from what a caller has: streams, channels, writers; what is kept when they fail. */
class SecretSourcesTest {
    @AfterEach
    void stopWatching() {
        FreeListeners.observe(FreeListener.NONE);
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

}
