package dev.hardmem.nonce;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InsecureNonceSequenceTest {
    /** Hands out {@code count} nonces filled with their index, keeping the array it was given. */
    static final class Scripted extends InsecureNonceSequence {
        final AtomicInteger calls = new AtomicInteger();
        final int count;
        byte[] last;

        Scripted(int length, int count) {
            super(length);
            this.count = count;
        }

        @Override
        protected boolean nextNonce(byte[] destination) {
            int i = calls.getAndIncrement();
            if (i == count) {
                return false;
            }
            java.util.Arrays.fill(destination, (byte) i);
            last = destination;
            return true;
        }
    }

    @Test
    void theSubclassChoosesTheBytesButCannotChangeThemLater() {
        Scripted s = new Scripted(3, 5);
        UnusedNonce n = s.next();
        s.last[0] = 42;
        assertArrayEquals(new byte[] {0, 0, 0}, n.consume().bytes());
        assertArrayEquals(new byte[] {1, 1, 1}, s.next().consume().bytes());
    }

    @Test
    void runningOutIsFinalAndTheSubclassIsNotAskedAgain() {
        Scripted s = new Scripted(4, 2);
        s.next();
        s.next();
        assertThrows(NonceExhaustedException.class, s::next);
        assertThrows(NonceExhaustedException.class, s::next);
        assertEquals(3, s.calls.get());
        assertTrue(s.isExhausted());
    }

    @Test
    void aSubclassThatThrowsExhaustsTheSequence() {
        InsecureNonceSequence s = new InsecureNonceSequence(12) {
            @Override
            protected boolean nextNonce(byte[] destination) {
                throw new IllegalStateException("broken");
            }
        };
        assertThrows(IllegalStateException.class, s::next);
        assertThrows(NonceExhaustedException.class, s::next);
    }

    @Test
    void itsNoncesAreSingleUseLikeAnyOther() {
        UnusedNonce n = new Scripted(12, 1).next();
        n.consume();
        assertThrows(NonceReuseException.class, n::consume);
    }

    @Test
    void theNameSaysWhatItIs() {
        assertTrue(new Scripted(12, 1).toString().startsWith("InsecureNonceSequence("));
        assertThrows(IllegalArgumentException.class, () -> new Scripted(0, 1));
    }
}
