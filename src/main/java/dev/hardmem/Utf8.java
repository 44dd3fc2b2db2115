package dev.hardmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** UTF-8 encoding of a {@code char[]} straight into a segment, with no encoded copy on the heap. */
final class Utf8 {
    private Utf8() {
    }

    static long encodedLength(char[] chars) {
        long n = 0;
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (startsPair(chars, i)) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n += 1; // unpaired: '?'
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** {@return whether {@code chars[i]} and {@code chars[i + 1]} are a surrogate pair: one code point, 4 bytes} */
    private static boolean startsPair(char[] chars, int i) {
        return Character.isHighSurrogate(chars[i]) && i + 1 < chars.length && Character.isLowSurrogate(chars[i + 1]);
    }

    static void encode(char[] chars, MemorySegment out) {
        long p = 0;
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            if (c < 0x80) {
                p = put(out, p, c);
            } else if (c < 0x800) {
                p = put(out, p, 0xC0 | (c >> 6));
                p = put(out, p, 0x80 | (c & 0x3F));
            } else if (startsPair(chars, i)) {
                int cp = Character.toCodePoint(c, chars[++i]);
                p = put(out, p, 0xF0 | (cp >> 18));
                p = put(out, p, 0x80 | ((cp >> 12) & 0x3F));
                p = put(out, p, 0x80 | ((cp >> 6) & 0x3F));
                p = put(out, p, 0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                p = put(out, p, '?');
            } else {
                p = put(out, p, 0xE0 | (c >> 12));
                p = put(out, p, 0x80 | ((c >> 6) & 0x3F));
                p = put(out, p, 0x80 | (c & 0x3F));
            }
        }
    }

    private static long put(MemorySegment out, long p, int b) {
        out.set(ValueLayout.JAVA_BYTE, p, (byte) b);
        return p + 1;
    }
}
