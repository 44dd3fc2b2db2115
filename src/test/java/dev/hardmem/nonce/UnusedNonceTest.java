package dev.hardmem.nonce;

import dev.hardmem.testing.Race;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnusedNonceTest {
    private static final byte[] PREFIX = {(byte) 0xca, (byte) 0xfe, (byte) 0xba, (byte) 0xbe};

    @Test
    void consumeHandsOverTheBytesOnce() {
        CounterNonceSequence s = CounterNonceSequence.of(PREFIX, 8);
        UnusedNonce n = s.next();
        assertFalse(n.isConsumed());
        assertSame(s, n.sequence());
        assertEquals(12, n.length());
        UsedNonce used = n.consume();
        assertTrue(n.isConsumed());
        assertArrayEquals(HexFormat.of().parseHex("cafebabe0000000000000000"), used.bytes());
    }

    @Test
    void secondConsumeThrowsEveryTime() {
        UnusedNonce n = CounterNonceSequence.of(PREFIX, 8).next();
        n.consume();
        for (int i = 0; i < 3; i++) {
            NonceReuseException e = assertThrows(NonceReuseException.class, n::consume);
            assertTrue(e.getMessage().contains("already used"), e.getMessage());
            assertFalse(e.getMessage().toLowerCase().contains("cafebabe"), "the message shows the nonce");
        }
        assertTrue(IllegalStateException.class.isAssignableFrom(NonceReuseException.class));
    }

    @Test
    void toStringShowsNoBytes() {
        UnusedNonce n = CounterNonceSequence.of(PREFIX, 8).next();
        assertEquals("UnusedNonce[12 bytes]", n.toString());
        n.consume();
        assertEquals("UnusedNonce[12 bytes, consumed]", n.toString());
    }

    @Test
    void cannotBeMadeCopiedSerializedOrRead() throws Exception {
        Class<UnusedNonce> c = UnusedNonce.class;
        assertTrue(Modifier.isFinal(c.getModifiers()));
        assertEquals(0, c.getConstructors().length, "public constructor");
        assertFalse(Cloneable.class.isAssignableFrom(c));
        assertFalse(Serializable.class.isAssignableFrom(c));
        for (Method m : c.getMethods()) {
            assertFalse(m.getReturnType() == byte[].class, "exposes bytes: " + m);
        }
        try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
            UnusedNonce n = CounterNonceSequence.of(PREFIX, 8).next();
            assertThrows(NotSerializableException.class, () -> out.writeObject(n));
            assertFalse(n.isConsumed());
        }
    }

    /**
     * 16 threads start together on one nonce, 2,000 times: each time exactly one wins, 15 get the exception. The
     * threads meet at a spinning gate rather than a blocking barrier, so that they leave it together instead of
     * one by one as a barrier wakes them.
     */
    @Test
    void sixteenThreadsRacingExactlyOneWinsEveryRound() throws Exception {
        int rounds = 2_000;
        CounterNonceSequence s = CounterNonceSequence.withRandomPrefix();
        UnusedNonce[] nonces = new UnusedNonce[rounds];
        for (int r = 0; r < rounds; r++) {
            nonces[r] = s.next();
        }
        Race.exactlyOneWinsEveryRound(16, rounds, (thread, r) -> nonces[r].consume());
    }
}
