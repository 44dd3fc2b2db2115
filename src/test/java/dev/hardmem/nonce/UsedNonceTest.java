package dev.hardmem.nonce;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Modifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsedNonceTest {
    @Test
    void fromWireCopiesItsArgument() {
        byte[] wire = {1, 2, 3};
        UsedNonce n = UsedNonce.fromWire(wire);
        wire[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, n.bytes());
        assertEquals(3, n.length());
    }

    @Test
    void bytesReturnsACopy() {
        UsedNonce n = UsedNonce.fromWire(new byte[] {1, 2, 3});
        n.bytes()[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, n.bytes());
    }

    @Test
    void emptyIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> UsedNonce.fromWire(new byte[0]));
    }

    @Test
    void equalityIsByContentAndToStringIsHex() {
        UsedNonce a = UsedNonce.fromWire(new byte[] {0x0a, (byte) 0xff});
        UsedNonce b = UsedNonce.fromWire(new byte[] {0x0a, (byte) 0xff});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, UsedNonce.fromWire(new byte[] {0x0a, (byte) 0xfe}));
        assertEquals("UsedNonce[0aff]", a.toString());
    }

    @Test
    void aConsumedNonceEqualsTheSameBytesFromTheWire() {
        UsedNonce sent = CounterNonceSequence.of(new byte[] {7}, 1).next().consume();
        assertEquals(UsedNonce.fromWire(new byte[] {7, 0}), sent);
    }

    @Test
    void hasNoPublicConstructorAndNoWayBackToUnused() {
        assertEquals(0, UsedNonce.class.getConstructors().length);
        assertTrue(Modifier.isFinal(UsedNonce.class.getModifiers()));
        for (var m : UsedNonce.class.getMethods()) {
            assertTrue(m.getReturnType() != UnusedNonce.class, m.toString());
        }
    }
}
