package dev.hardmem.nonce;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

class CounterNonceSequenceTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void prefixThenBigEndianCounterFromZero() {
        CounterNonceSequence s = CounterNonceSequence.of(new byte[] {1, 2, 3, 4}, 8);
        assertEquals(12, s.nonceLength());
        assertEquals(8, s.counterLength());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, s.prefix());
        assertEquals("010203040000000000000000", HEX.formatHex(s.next().consume().bytes()));
        assertEquals("010203040000000000000001", HEX.formatHex(s.next().consume().bytes()));
        for (int i = 2; i < 256; i++) {
            s.next();
        }
        assertEquals("010203040000000000000100", HEX.formatHex(s.next().consume().bytes()));
    }

    @Test
    void theLayoutHoldsForEveryPrefixAndCounterLength() {
        qt().withExamples(200).forAll(integers().between(0, 8), integers().between(1, 8), integers().between(1, 300))
                .checkAssert((prefixLength, counterLength, count) -> {
                    byte[] prefix = new byte[prefixLength];
                    Arrays.fill(prefix, (byte) 0xa5);
                    CounterNonceSequence s = CounterNonceSequence.of(prefix, counterLength);
                    long max = counterLength == 8 ? Long.MAX_VALUE : (1L << (8 * counterLength)) - 1;
                    for (long i = 0; i < count && i <= max; i++) {
                        byte[] n = s.next().consume().bytes();
                        assertEquals(prefixLength + counterLength, n.length);
                        assertArrayEquals(prefix, Arrays.copyOf(n, prefixLength));
                        byte[] counter = new byte[8];
                        System.arraycopy(n, prefixLength, counter, 8 - counterLength, counterLength);
                        assertEquals(i, ByteBuffer.wrap(counter).getLong());
                    }
                });
    }

    @Test
    void aMillionNoncesAreDistinct() {
        CounterNonceSequence s = CounterNonceSequence.withRandomPrefix();
        byte[] prefix = s.prefix();
        int n = 1_000_000;
        // Every nonce has the same 4-byte prefix (checked), so its last 8 bytes tell it apart: sort them.
        long[] tails = new long[n];
        for (int i = 0; i < n; i++) {
            byte[] b = s.next().consume().bytes();
            assertEquals(12, b.length);
            assertTrue(Arrays.equals(prefix, 0, 4, b, 0, 4));
            tails[i] = ByteBuffer.wrap(b, 4, 8).getLong();
        }
        Arrays.sort(tails);
        for (int i = 1; i < n; i++) {
            assertNotEquals(tails[i - 1], tails[i], "repeated nonce");
        }
    }

    @Test
    void aOneByteCounterGives256NoncesThenFailsForever() {
        CounterNonceSequence s = CounterNonceSequence.of(new byte[11], 1);
        for (int i = 0; i < 256; i++) {
            assertFalse(s.isExhausted());
            byte[] b = s.next().consume().bytes();
            assertEquals((byte) i, b[11]);
        }
        assertTrue(s.isExhausted());
        for (int i = 0; i < 5; i++) {
            NonceExhaustedException e = assertThrows(NonceExhaustedException.class, s::next);
            assertTrue(e.getMessage().contains("never wraps"), e.getMessage());
        }
        assertTrue(s.toString().contains("exhausted"), s.toString());
    }

    @Test
    void aTwoByteCounterGives65536Nonces() {
        CounterNonceSequence s = CounterNonceSequence.of(new byte[10], 2);
        for (int i = 0; i < 65_536; i++) {
            s.next();
        }
        assertThrows(NonceExhaustedException.class, s::next);
        assertThrows(NonceExhaustedException.class, s::next);
    }

    @Test
    void anEightByteCounterEndsAtTwoToTheSixtyFourWithoutWrapping() {
        CounterNonceSequence s = CounterNonceSequence.startingAt(new byte[] {9, 9, 9, 9}, 8, -3L);
        assertEquals("09090909fffffffffffffffd", HEX.formatHex(s.next().consume().bytes()));
        assertEquals("09090909fffffffffffffffe", HEX.formatHex(s.next().consume().bytes()));
        assertEquals("09090909ffffffffffffffff", HEX.formatHex(s.next().consume().bytes()));
        assertTrue(s.isExhausted(), "the last nonce was handed out");
        assertThrows(NonceExhaustedException.class, s::next);
        assertTrue(s.isExhausted());
        assertThrows(NonceExhaustedException.class, s::next);
    }

    @Test
    void theSignBitOfTheCounterIsJustAnotherBit() {
        CounterNonceSequence s = CounterNonceSequence.startingAt(new byte[0], 8, Long.MAX_VALUE);
        assertEquals("7fffffffffffffff", HEX.formatHex(s.next().consume().bytes()));
        assertEquals("8000000000000000", HEX.formatHex(s.next().consume().bytes()));
    }

    @Test
    void thePrefixIsCopied() {
        byte[] prefix = {1, 2, 3, 4};
        CounterNonceSequence s = CounterNonceSequence.of(prefix, 8);
        prefix[0] = 7;
        s.prefix()[1] = 7;
        assertEquals("010203040000000000000000", HEX.formatHex(s.next().consume().bytes()));
    }

    @Test
    void counterLengthMustBeOneToEight() {
        assertThrows(IllegalArgumentException.class, () -> CounterNonceSequence.of(new byte[4], 0));
        assertThrows(IllegalArgumentException.class, () -> CounterNonceSequence.of(new byte[4], 9));
        assertThrows(IllegalArgumentException.class, () -> CounterNonceSequence.of(new byte[4], -1));
        assertThrows(IllegalArgumentException.class, () -> CounterNonceSequence.startingAt(new byte[4], 1, 256));
    }

    @Test
    void randomPrefixesDifferAndMakeTwelveByteNonces() {
        CounterNonceSequence a = CounterNonceSequence.withRandomPrefix();
        CounterNonceSequence b = CounterNonceSequence.withRandomPrefix();
        assertEquals(12, a.nonceLength());
        assertEquals(8, a.counterLength());
        // Equal with probability 2^-32.
        assertFalse(Arrays.equals(a.prefix(), b.prefix()));
        assertTrue(HEX.formatHex(a.next().consume().bytes()).endsWith("0000000000000000"));
    }
}
