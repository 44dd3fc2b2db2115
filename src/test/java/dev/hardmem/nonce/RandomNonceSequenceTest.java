package dev.hardmem.nonce;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomNonceSequenceTest {
    @Test
    void noncesAre192Bits() {
        RandomNonceSequence s = RandomNonceSequence.of192Bits();
        assertEquals(24, s.nonceLength());
        assertEquals(24, RandomNonceSequence.NONCE_LENGTH);
        UnusedNonce n = s.next();
        assertEquals(24, n.length());
        assertEquals(24, n.consume().length());
    }

    @Test
    void hundredThousandNoncesAreDistinct() {
        RandomNonceSequence s = RandomNonceSequence.of192Bits();
        Set<UsedNonce> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            assertTrue(seen.add(s.next().consume()), "repeated random nonce");
        }
        assertFalse(s.isExhausted());
    }

    @Test
    void twoSequencesDoNotStartAlike() {
        assertFalse(RandomNonceSequence.of192Bits().next().consume()
                .equals(RandomNonceSequence.of192Bits().next().consume()));
    }
}
