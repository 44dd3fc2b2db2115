package dev.hardmem;

import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wipes from 4 KiB on go through the C library's memset (in 1 MiB pieces): every byte, every kind of target. */
class LargeWipeTest {
    private static final int[] SIZES = {4095, 4096, 4097, 65_536, (1 << 20) - 1, 1 << 20, (1 << 20) + 3, 5 << 20};

    @Test
    void arraysBuffersAndSegmentsOfEverySizeAreWipedCompletely() {
        for (int n : SIZES) {
            byte[] b = new byte[n];
            Arrays.fill(b, (byte) 0x5A);
            Wipe.bytes(b);
            assertTrue(FreeWatch.isZero(MemorySegment.ofArray(b)), "byte[" + n + "]");
            char[] c = new char[n];
            Arrays.fill(c, 'x');
            Wipe.chars(c);
            assertTrue(FreeWatch.isZero(MemorySegment.ofArray(c)), "char[" + n + "]");
            ByteBuffer heap = ByteBuffer.allocate(n);
            heap.put(0, (byte) 1).put(n - 1, (byte) 1).position(7).limit(n / 2);
            Wipe.buffer(heap);
            assertTrue(FreeWatch.isZero(MemorySegment.ofBuffer(heap.duplicate().clear())), "heap buffer " + n);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(n).fill((byte) -1);
                Wipe.segment(s);
                assertTrue(FreeWatch.isZero(s), "segment " + n);
                MemorySegment middle = arena.allocate(n + 2).fill((byte) 7);
                Wipe.segment(middle.asSlice(1, n));
                assertTrue(middle.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) == 7
                        && middle.get(java.lang.foreign.ValueLayout.JAVA_BYTE, n + 1) == 7, "no byte outside");
                ByteBuffer direct = arena.allocate(n).fill((byte) 3).asByteBuffer();
                Wipe.buffer(direct);
                assertTrue(FreeWatch.isZero(MemorySegment.ofBuffer(direct)), "direct buffer " + n);
            }
        }
    }

    @Test
    void aLargeWipeStillChecksLifetimeAndThread() throws Exception {
        WipeTest.assertWipeChecksLifetimeAndThread(1 << 16); // the libc memset path, not the small Java one
    }
}
