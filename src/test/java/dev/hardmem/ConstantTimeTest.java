package dev.hardmem;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ConstantTime}: the answers. That its time does not depend on where the inputs differ is shown by
 * {@code ConstantTimeBenchmark} in {@code jmh/}, not here: a unit test cannot time reliably.
 */
class ConstantTimeTest {
    private static final int N = 64;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void equalArraysAndSegments() {
        byte[] a = random(N, 1);
        assertTrue(ConstantTime.equals(a, a.clone()));
        assertTrue(ConstantTime.equals(a, a));
        assertTrue(ConstantTime.equals(new byte[0], new byte[0]));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment off = arena.allocate(N).copyFrom(MemorySegment.ofArray(a));
            assertTrue(ConstantTime.equals(off, MemorySegment.ofArray(a.clone())), "off heap against heap");
            assertTrue(ConstantTime.equals(MemorySegment.ofArray(a), off));
            assertTrue(ConstantTime.equals(off.asSlice(0, 0), MemorySegment.ofArray(new byte[0])));
        }
    }

    @Test
    void everySingleBitFlipAtEveryPositionIsADifference() {
        // Every length up to N covers both the 8-byte loop and the byte tail, and every position in each.
        for (int n = 1; n <= N; n++) {
            byte[] a = random(n, n);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sa = arena.allocate(n).copyFrom(MemorySegment.ofArray(a));
                for (int bit = 0; bit < n * 8; bit++) {
                    byte[] b = a.clone();
                    b[bit / 8] ^= (byte) (1 << (bit % 8));
                    assertFalse(ConstantTime.equals(a, b), "n " + n + " bit " + bit);
                    assertFalse(ConstantTime.equals(b, a), "n " + n + " bit " + bit);
                    assertFalse(ConstantTime.equals(sa, MemorySegment.ofArray(b)), "n " + n + " bit " + bit);
                }
            }
        }
    }

    @Test
    void everyUnalignedSliceCompares() {
        byte[] a = random(N + 8, 7);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(N + 8).copyFrom(MemorySegment.ofArray(a));
            for (int off = 0; off < 8; off++) {
                MemorySegment x = s.asSlice(off, N);
                MemorySegment y = MemorySegment.ofArray(a).asSlice(off, N);
                assertTrue(ConstantTime.equals(x, y), "offset " + off);
                a[off + N - 1] ^= 1;
                assertFalse(ConstantTime.equals(x, y), "offset " + off);
                a[off + N - 1] ^= 1;
            }
        }
    }

    @Test
    void differentLengthsAreNeverEqual() {
        byte[] a = random(N, 3);
        byte[] prefix = java.util.Arrays.copyOf(a, N - 1);
        byte[] longer = java.util.Arrays.copyOf(a, N + 1);
        assertFalse(ConstantTime.equals(a, prefix));
        assertFalse(ConstantTime.equals(a, longer));
        assertFalse(ConstantTime.equals(new byte[0], new byte[1]));
        assertFalse(ConstantTime.equals(MemorySegment.ofArray(a), MemorySegment.ofArray(prefix)));
        assertFalse(ConstantTime.equals(new char[] {'a'}, new char[] {'a', '\0'}));
    }

    @Test
    void chars() {
        char[] a = "correct horse \u00e9\u20ac\uD83D\uDE00".toCharArray();
        assertTrue(ConstantTime.equals(a, a.clone()));
        for (int bit = 0; bit < a.length * 16; bit++) {
            char[] b = a.clone();
            b[bit / 16] ^= (char) (1 << (bit % 16));
            assertFalse(ConstantTime.equals(a, b), "bit " + bit);
        }
        assertTrue(ConstantTime.equals(new char[0], new char[0]));
    }

    @Test
    void deadSegmentsAndNulls() {
        Arena arena = Arena.ofConfined();
        MemorySegment s = arena.allocate(8);
        arena.close();
        assertThrows(IllegalStateException.class, () -> ConstantTime.equals(s, MemorySegment.ofArray(new byte[8])));
        assertThrows(NullPointerException.class, () -> ConstantTime.equals((byte[]) null, new byte[0]));
        assertThrows(NullPointerException.class, () -> ConstantTime.equals(new char[0], null));
        assertThrows(NullPointerException.class, () -> ConstantTime.equals(MemorySegment.NULL, null));
    }

    @Test
    void aSecretComparesInPlaceWithASegmentAnArrayAndAnotherSecretEveryBitFlipShowing() throws Exception {
        for (int n : new int[] {1, 7, 8, 9, 33}) {
            byte[] a = random(n, n);
            try (Secret<SecretKind.Key> key = Secret.fromBytesWiping(SecretKind.Key.class, a.clone());
                 Secret<SecretKind.Key> same = Secret.fromBytesWiping(SecretKind.Key.class, a.clone());
                 Secret<SecretKind.Password> asPassword = Secret.fromBytesWiping(SecretKind.Password.class,
                         a.clone());
                 Arena arena = Arena.ofConfined()) {
                assertTrue(ConstantTime.equals(key, a));
                assertTrue(ConstantTime.equals(key, arena.allocate(n).copyFrom(MemorySegment.ofArray(a))));
                assertTrue(ConstantTime.equals(key, same));
                assertTrue(ConstantTime.equals(key, key));
                assertTrue(ConstantTime.equalsAcrossKinds(key, asPassword));
                assertFalse(ConstantTime.equals(key, java.util.Arrays.copyOf(a, n + 1)), "a longer array");
                assertFalse(ConstantTime.equals(key, MemorySegment.ofArray(a).asSlice(1)), "a shorter segment");
                for (int bit = 0; bit < n * 8; bit++) {
                    byte[] b = a.clone();
                    b[bit / 8] ^= (byte) (1 << (bit % 8));
                    assertFalse(ConstantTime.equals(key, b), "n " + n + " bit " + bit);
                    assertFalse(ConstantTime.equals(key, MemorySegment.ofArray(b)), "n " + n + " bit " + bit);
                    try (Secret<SecretKind.Password> other = Secret.fromBytesWiping(SecretKind.Password.class, b)) {
                        assertFalse(ConstantTime.equalsAcrossKinds(key, other), "n " + n + " bit " + bit);
                    }
                }
            }
        }
    }

    @Test
    void closedSecretsDeadSegmentsAndOwnWritesAreRefused() throws Exception {
        Secret<SecretKind.Key> closed = Secret.random(SecretKind.Key.class, 8);
        closed.close();
        Arena gone = Arena.ofConfined();
        MemorySegment dead = gone.allocate(8);
        gone.close();
        try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 8);
             dev.hardmem.testing.OtherThread other = dev.hardmem.testing.OtherThread.start()) {
            assertThrows(IllegalStateException.class, () -> ConstantTime.equals(closed, new byte[8]));
            assertThrows(IllegalStateException.class, () -> ConstantTime.equals(closed, key));
            assertThrows(IllegalStateException.class, () -> ConstantTime.equalsAcrossKinds(key, closed));
            assertThrows(IllegalStateException.class, () -> ConstantTime.equals(key, dead));
            MemorySegment elsewhere = other.confinedSegment(8, (byte) 1);
            assertThrows(WrongThreadException.class, () -> ConstantTime.equals(key, elsewhere));
            assertThrows(IllegalStateException.class, () -> key.write(w -> ConstantTime.equals(key, new byte[8])));
        }
    }
}
