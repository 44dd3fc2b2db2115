package dev.hardmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Hex and Base64 in constant time with respect to the data, after libsodium's {@code codecs.c}: every character is
 * mapped to its value, and every value to its character, by arithmetic on masks, with no table indexed by data and
 * no branch on it. The branches that remain depend on lengths and positions only, and on whether the whole text
 * was valid, once it has all been read. Whether the JIT keeps the arithmetic free of branches is not in hardmem's
 * hands (see {@link Encoding}).
 */
final class Codec {
    private Codec() {
    }

    /** Characters of a text, read one at a time as an unsigned value; never a copy of the text. */
    @FunctionalInterface
    interface Text {
        int at(long index);
    }

    // ---------------------------------------------------------------- masks: -1 (all ones) for true, 0 for false

    /** {@return -1 if {@code lo <= c <= hi}, else 0} All values are below 2^16, so nothing overflows. */
    private static int inRange(int c, int lo, int hi) {
        return ~(((c - lo) | (hi - c)) >> 31);
    }

    private static int is(int c, int x) {
        return inRange(c, x, x);
    }

    /** {@return -1 if {@code x < limit}, else 0} for {@code 0 <= x, limit < 2^16} */
    private static int below(int x, int limit) {
        return (x - limit) >> 31;
    }

    // ---------------------------------------------------------------- hex

    /** {@return the value of hex digit {@code c} (either case) in bits 0-3, and bit 8 set if {@code c} is none} */
    private static int hexValue(int c) {
        int digit = inRange(c, '0', '9');
        int folded = c & ~0x20; // 'a'-'f' to 'A'-'F'; nothing outside them lands in 'A'-'F'
        int letter = inRange(folded, 'A', 'F');
        int value = (digit & (c - '0')) | (letter & (folded - 'A' + 10));
        return value | (~(digit | letter) & 0x100);
    }

    private static int hexChar(int nibble, int letterBase) {
        int letter = ~below(nibble, 10);
        return '0' + nibble + (letter & (letterBase - '0' - 10));
    }

    /** Decodes {@code length} hex digits into {@code out} ({@code length / 2} bytes); {@return false if invalid} */
    static boolean decodeHex(Text text, long length, MemorySegment out) {
        int bad = 0;
        for (long i = 0, j = 0; i < length; i += 2, j++) {
            int hi = hexValue(text.at(i));
            int lo = hexValue(text.at(i + 1));
            bad |= hi | lo;
            out.set(ValueLayout.JAVA_BYTE, j, (byte) ((hi << 4) | (lo & 0xF)));
        }
        return (bad & 0x100) == 0;
    }

    static void encodeHex(MemorySegment in, MemorySegment out, boolean upper) {
        int letterBase = upper ? 'A' : 'a';
        for (long i = 0; i < in.byteSize(); i++) {
            int b = in.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            out.set(ValueLayout.JAVA_BYTE, 2 * i, (byte) hexChar(b >>> 4, letterBase));
            out.set(ValueLayout.JAVA_BYTE, 2 * i + 1, (byte) hexChar(b & 0xF, letterBase));
        }
    }

    // ---------------------------------------------------------------- base64

    /**
     * {@return the value of Base64 character {@code c} in bits 0-5, and bit 8 set if {@code c} is not in the
     * alphabet} The alphabets differ in their last two characters, {@code c62} and {@code c63}: {@code +/} or,
     * URL-safe, {@code -_}.
     */
    private static int base64Value(int c, int c62, int c63) {
        int upper = inRange(c, 'A', 'Z');
        int lower = inRange(c, 'a', 'z');
        int digit = inRange(c, '0', '9');
        int s62 = is(c, c62);
        int s63 = is(c, c63);
        int value = (upper & (c - 'A')) | (lower & (c - 'a' + 26)) | (digit & (c - '0' + 52)) | (s62 & 62)
                | (s63 & 63);
        return value | (~(upper | lower | digit | s62 | s63) & 0x100);
    }

    private static int base64Char(int x, int c62, int c63) {
        int upper = below(x, 26);
        int lower = ~upper & below(x, 52);
        int digit = ~below(x, 52) & below(x, 62);
        int s62 = is(x, 62);
        int s63 = is(x, 63);
        return (upper & ('A' + x)) | (lower & ('a' + x - 26)) | (digit & ('0' + x - 52)) | (s62 & c62) | (s63 & c63);
    }

    /** {@return the 62nd character of the alphabet: {@code '-'} URL-safe, else {@code '+'}} */
    private static int c62(boolean url) {
        return url ? '-' : '+';
    }

    /** {@return the 63rd character of the alphabet: {@code '_'} URL-safe, else {@code '/'}} */
    private static int c63(boolean url) {
        return url ? '_' : '/';
    }

    /**
     * {@return how many of the last two characters of a padded text are {@code '='}: 0, 1 or 2} Computed on masks,
     * though its result (the decoded length) is public.
     */
    static int padding(Text text, long length) {
        int last = is(text.at(length - 1), '=');
        int before = is(text.at(length - 2), '=') & last;
        return -(last + before);
    }

    /**
     * Decodes the first {@code length} characters of {@code text} (padding excluded) into {@code out}
     * ({@code length * 3 / 4} bytes); {@return false if a character is not in the alphabet, or the bits left over
     * at the end are not zero (a non-canonical encoding)}
     */
    static boolean decodeBase64(Text text, long length, MemorySegment out, boolean url) {
        int c62 = c62(url);
        int c63 = c63(url);
        int bad = 0;
        int acc = 0;
        int bits = 0;
        long j = 0;
        for (long i = 0; i < length; i++) {
            int v = base64Value(text.at(i), c62, c63);
            bad |= v;
            acc = (acc << 6) | (v & 0x3F);
            bits += 6;
            if (bits >= 8) { // depends on the position only
                bits -= 8;
                out.set(ValueLayout.JAVA_BYTE, j++, (byte) (acc >>> bits));
            }
        }
        bad |= (acc & ((1 << bits) - 1)) << 8; // leftover bits: 0, 2 or 4 of them, all zero when canonical
        return (bad & ~0xFF) == 0;
    }

    /** Encodes {@code in} into {@code out}, padding with {@code '='} to a multiple of 4 if {@code pad}. */
    static void encodeBase64(MemorySegment in, MemorySegment out, boolean url, boolean pad) {
        int c62 = c62(url);
        int c63 = c63(url);
        int acc = 0;
        int bits = 0;
        long j = 0;
        for (long i = 0; i < in.byteSize(); i++) {
            acc = (acc << 8) | (in.get(ValueLayout.JAVA_BYTE, i) & 0xFF);
            bits += 8;
            while (bits >= 6) { // the position only
                bits -= 6;
                out.set(ValueLayout.JAVA_BYTE, j++, (byte) base64Char((acc >>> bits) & 0x3F, c62, c63));
            }
        }
        if (bits > 0) {
            out.set(ValueLayout.JAVA_BYTE, j++, (byte) base64Char((acc << (6 - bits)) & 0x3F, c62, c63));
        }
        while (pad && (j & 3) != 0) {
            out.set(ValueLayout.JAVA_BYTE, j++, (byte) '=');
        }
    }
}
