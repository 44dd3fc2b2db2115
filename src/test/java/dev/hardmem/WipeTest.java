package dev.hardmem;

import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Wipe}: every element zero afterwards, also once C2 has compiled the wipe and its caller. */
class WipeTest {

    @Test
    void bytesAndChars() {
        byte[] b = {1, 2, 3, -1};
        Wipe.bytes(b);
        assertArrayEquals(new byte[4], b);
        char[] c = "p\u00e4ssw\u00f6rd\uD83D\uDE00".toCharArray();
        Wipe.chars(c);
        assertArrayEquals(new char[c.length], c);
        Wipe.bytes(new byte[0]);
        Wipe.chars(new char[0]);
    }

    @Test
    void heapAndDirectBuffersAreWipedWholeWhateverTheirPositionAndLimit() {
        for (ByteBuffer buf : new ByteBuffer[] {ByteBuffer.allocate(64), ByteBuffer.allocateDirect(64)}) {
            while (buf.hasRemaining()) {
                buf.put((byte) 0x3C);
            }
            buf.position(10).limit(20);
            Wipe.buffer(buf);
            assertEquals(10, buf.position(), "position kept");
            assertEquals(20, buf.limit(), "limit kept");
            ByteBuffer whole = buf.duplicate().clear();
            for (int i = 0; i < whole.capacity(); i++) {
                assertEquals(0, whole.get(i), (buf.isDirect() ? "direct" : "heap") + " byte " + i);
            }
        }
    }

    @Test
    void aSlicedBufferIsWipedWithinItsSliceOnly() {
        byte[] backing = new byte[32];
        Arrays.fill(backing, (byte) 7);
        ByteBuffer slice = ByteBuffer.wrap(backing).position(8).limit(24).slice();
        Wipe.buffer(slice);
        for (int i = 0; i < backing.length; i++) {
            assertEquals(i >= 8 && i < 24 ? 0 : 7, backing[i], "byte " + i);
        }
    }

    @Test
    void segmentsOnAndOffTheHeap() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment off = arena.allocate(1000).fill((byte) -1);
            Wipe.segment(off);
            assertTrue(FreeWatch.isZero(off));
            Wipe.segment(off.asSlice(0, 0));
        }
        long[] longs = {-1, -1, -1};
        Wipe.segment(MemorySegment.ofArray(longs));
        assertArrayEquals(new long[3], longs);
    }

    @Test
    void readOnlyTargetsAreRefused() {
        ByteBuffer ro = ByteBuffer.wrap(new byte[] {5}).asReadOnlyBuffer();
        assertThrows(ReadOnlyBufferException.class, () -> Wipe.buffer(ro));
        ByteBuffer roDirect = ByteBuffer.allocateDirect(4).asReadOnlyBuffer();
        assertThrows(ReadOnlyBufferException.class, () -> Wipe.buffer(roDirect));
        MemorySegment roSegment = MemorySegment.ofArray(new byte[] {5}).asReadOnly();
        assertThrows(UnsupportedOperationException.class, () -> Wipe.segment(roSegment));
        assertEquals(5, roSegment.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void deadAndForeignSegmentsGetTheJdksExceptions() throws InterruptedException {
        assertWipeChecksLifetimeAndThread(8);
    }

    /** Wiping a confined segment of {@code size} bytes from another thread, or after its arena closed, throws. */
    static void assertWipeChecksLifetimeAndThread(long size) throws InterruptedException {
        Arena arena = Arena.ofConfined();
        MemorySegment s = arena.allocate(size);
        Throwable[] seen = new Throwable[1];
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                Wipe.segment(s);
            } catch (Throwable e) {
                seen[0] = e;
            }
        });
        t.join();
        assertTrue(seen[0] instanceof WrongThreadException, String.valueOf(seen[0]));
        arena.close();
        assertThrows(IllegalStateException.class, () -> Wipe.segment(s));
    }

    @Test
    void nulls() {
        assertThrows(NullPointerException.class, () -> Wipe.bytes(null));
        assertThrows(NullPointerException.class, () -> Wipe.chars(null));
        assertThrows(NullPointerException.class, () -> Wipe.buffer(null));
        assertThrows(NullPointerException.class, () -> Wipe.segment(null));
    }

    /**
     * Runs in a child JVM where only C2 compiles (no tiers), synchronously ({@code -Xbatch}), after 1000
     * invocations: each method below is called 200,000 times, so nearly all calls run C2 code. Each call fills its
     * target with a pattern, uses it the way secret-handling code does (computes from it, then drops it), and
     * wipes it; the checker then reads every element.
     */
    public static final class HotWipe {
        static final int ROUNDS = 200_000;
        static final int N = 48;

        // What crypto code does: derive something from the secret, wipe the secret, return the result. One method
        // per target, so each gets its own profile and its own C2 compilation.
        static int bytes(byte[] a, int round) {
            Arrays.fill(a, (byte) (round | 1));
            int h = Arrays.hashCode(a);
            Wipe.bytes(a);
            return h;
        }

        static int chars(char[] a, int round) {
            Arrays.fill(a, (char) (round | 1));
            int h = Arrays.hashCode(a);
            Wipe.chars(a);
            return h;
        }

        static int heapBuffer(ByteBuffer a, int round) {
            return fillHashWipe(a, round);
        }

        static int directBuffer(ByteBuffer a, int round) {
            return fillHashWipe(a, round);
        }

        private static int fillHashWipe(ByteBuffer a, int round) {
            for (int i = 0; i < a.capacity(); i++) {
                a.put(i, (byte) (round | 1));
            }
            int h = a.hashCode();
            Wipe.buffer(a);
            return h;
        }

        static int offHeapSegment(MemorySegment a, int round) {
            return fillHashWipe(a, round);
        }

        static int heapSegment(MemorySegment a, int round) {
            return fillHashWipe(a, round);
        }

        private static int fillHashWipe(MemorySegment a, int round) {
            a.fill((byte) (round | 1));
            int h = a.get(ValueLayout.JAVA_BYTE, N - 1);
            Wipe.segment(a);
            return h;
        }

        public static void main(String[] args) {
            byte[] bytes = new byte[N];
            char[] chars = new char[N];
            ByteBuffer heap = ByteBuffer.allocate(N);
            ByteBuffer direct = ByteBuffer.allocateDirect(N);
            long dirty = 0;
            long sink = 0;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment offHeap = arena.allocate(N);
                MemorySegment onHeap = MemorySegment.ofArray(new long[N / 8]);
                for (int round = 0; round < ROUNDS; round++) {
                    sink += bytes(bytes, round);
                    dirty += Arrays.equals(bytes, new byte[N]) ? 0 : 1;
                    sink += chars(chars, round);
                    dirty += Arrays.equals(chars, new char[N]) ? 0 : 1;
                    sink += heapBuffer(heap, round);
                    dirty += heap.equals(ByteBuffer.allocate(N)) ? 0 : 1;
                    sink += directBuffer(direct, round);
                    dirty += direct.mismatch(ByteBuffer.allocate(N)) < 0 ? 0 : 1;
                    sink += offHeapSegment(offHeap, round);
                    dirty += FreeWatch.isZero(offHeap) ? 0 : 1;
                    sink += heapSegment(onHeap, round);
                    dirty += FreeWatch.isZero(onHeap) ? 0 : 1;
                }
            }
            System.out.println("RESULT rounds=" + ROUNDS + " dirty=" + dirty + " sink=" + (sink != 42));
        }
    }

    @Test
    void theWipeSurvivesC2() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xbatch", "-XX:-TieredCompilation",
                "-XX:CompileThreshold=1000", "-XX:+PrintCompilation"), HotWipe.class);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("RESULT rounds=200000 dirty=0 "), r.output());
        // Prove the hot paths really were compiled by C2 (the only compiler here): each caller as a whole method
        // ("b" = blocking compile, no "%" = not just on-stack replacement), with Wipe compiled or inlined into it.
        for (String method : List.of("bytes", "chars", "heapBuffer", "directBuffer", "offHeapSegment",
                "heapSegment")) {
            Pattern compiled = Pattern.compile("^\\s*\\d+\\s+\\d+\\s+!?b\\s+dev\\.hardmem\\.WipeTest\\$HotWipe::"
                    + method + " \\(", Pattern.MULTILINE);
            assertTrue(compiled.matcher(r.stdout()).find(), method + " was not compiled\n" + r.output());
        }
    }
}
