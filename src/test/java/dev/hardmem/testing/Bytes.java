package dev.hardmem.testing;

import dev.hardmem.Secret;

import java.lang.foreign.ValueLayout;

/** Byte arrays the tests build and compare. */
public final class Bytes {
    private Bytes() {
    }

    /** {@return {@code n} bytes counting up from 1: none is zero, so a wipe or a shift shows} */
    public static byte[] counting(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i + 1);
        }
        return b;
    }

    /** {@return a copy of {@code s}'s bytes on the heap: for assertions only} */
    public static byte[] bytesOf(Secret<?> s) {
        return s.read(m -> m.toArray(ValueLayout.JAVA_BYTE));
    }
}
