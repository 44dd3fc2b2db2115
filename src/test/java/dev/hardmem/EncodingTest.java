package dev.hardmem;

import dev.hardmem.SecretKind.Key;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Encoding}: RFC 4648's test vectors byte for byte, round trips, and every kind of bad text refused. */
class EncodingTest {
    /** RFC 4648 §10: the data, then BASE64 and BASE16 of it. */
    private static final List<String[]> RFC_4648 = List.of(
            new String[] {"f", "Zg==", "66"},
            new String[] {"fo", "Zm8=", "666F"},
            new String[] {"foo", "Zm9v", "666F6F"},
            new String[] {"foob", "Zm9vYg==", "666F6F62"},
            new String[] {"fooba", "Zm9vYmE=", "666F6F6261"},
            new String[] {"foobar", "Zm9vYmFy", "666F6F626172"});

    private static final Map<Encoding, Function<byte[], String>> REFERENCE = Map.of(
            Encoding.HEX, b -> HexFormat.of().formatHex(b),
            Encoding.BASE16, b -> HexFormat.of().withUpperCase().formatHex(b),
            Encoding.BASE64, b -> Base64.getEncoder().encodeToString(b),
            Encoding.BASE64_UNPADDED, b -> Base64.getEncoder().withoutPadding().encodeToString(b),
            Encoding.BASE64_URL, b -> Base64.getUrlEncoder().encodeToString(b),
            Encoding.BASE64_URL_UNPADDED, b -> Base64.getUrlEncoder().withoutPadding().encodeToString(b));

    private static byte[] decoded(Encoding e, CharSequence text) {
        try (Secret<Key> s = e.decode(Key.class, text)) {
            return s.insecureCopyToHeap();
        }
    }

    private static String encoded(Encoding e, byte[] data) {
        try (Secret<Key> s = Secret.fromBytesWiping(Key.class, data.clone()); Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(e.encodedLength(data.length) + 3).fill((byte) '#');
            long n = e.encode(s, out);
            assertEquals(e.encodedLength(data.length), n);
            for (long i = n; i < out.byteSize(); i++) {
                assertEquals('#', out.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "written past the text");
            }
            return new String(out.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    StandardCharsets.US_ASCII);
        }
    }

    @Test
    void rfc4648TestVectorsByteForByte() {
        for (String[] v : RFC_4648) {
            byte[] data = v[0].getBytes(StandardCharsets.US_ASCII);
            String unpadded = v[1].replace("=", "");
            assertEquals(v[1], encoded(Encoding.BASE64, data));
            assertEquals(v[1], encoded(Encoding.BASE64_URL, data));
            assertEquals(unpadded, encoded(Encoding.BASE64_UNPADDED, data));
            assertEquals(unpadded, encoded(Encoding.BASE64_URL_UNPADDED, data));
            assertEquals(v[2], encoded(Encoding.BASE16, data));
            assertEquals(v[2].toLowerCase(), encoded(Encoding.HEX, data));
            assertArrayEquals(data, decoded(Encoding.BASE64, v[1]));
            assertArrayEquals(data, decoded(Encoding.BASE64_URL, v[1]));
            assertArrayEquals(data, decoded(Encoding.BASE64_UNPADDED, unpadded));
            assertArrayEquals(data, decoded(Encoding.BASE64_URL_UNPADDED, unpadded));
            for (Encoding hex : List.of(Encoding.HEX, Encoding.BASE16)) {
                assertArrayEquals(data, decoded(hex, v[2]));
                assertArrayEquals(data, decoded(hex, v[2].toLowerCase()));
            }
        }
    }

    @Test
    void theTwoAlphabetsDifferInTheirLastTwoCharacters() {
        byte[] data = {(byte) 0xFB, (byte) 0xFF, (byte) 0xBF};
        assertEquals("+/+/", encoded(Encoding.BASE64, data));
        assertEquals("-_-_", encoded(Encoding.BASE64_URL, data));
        assertArrayEquals(data, decoded(Encoding.BASE64, "+/+/"));
        assertArrayEquals(data, decoded(Encoding.BASE64_URL, "-_-_"));
    }

    @Test
    void roundTripsAgreeWithTheJdkForEveryLengthAndEveryInputType() {
        Random rng = new Random(4648);
        for (Encoding e : Encoding.values()) {
            for (int len = 1; len <= 70; len++) {
                byte[] data = new byte[len];
                rng.nextBytes(data);
                String text = REFERENCE.get(e).apply(data);
                assertEquals(text, encoded(e, data), e + " of " + len + " bytes");
                assertEquals(text.length(), e.encodedLength(len));
                assertArrayEquals(data, decoded(e, text), e + " of " + len + " bytes");
                assertArrayEquals(data, decoded(e, CharBuffer.wrap(text)));
                try (Secret<Key> s = e.decode(Key.class, text.toCharArray())) {
                    assertArrayEquals(data, s.insecureCopyToHeap());
                }
                try (Arena arena = Arena.ofConfined();
                     Secret<Key> s = e.decode(Key.class, arena.allocateFrom(text).asSlice(0, text.length()))) {
                    assertArrayEquals(data, s.insecureCopyToHeap());
                }
            }
        }
    }

    @Test
    void everyByteValueRoundTrips() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        for (Encoding e : Encoding.values()) {
            assertArrayEquals(all, decoded(e, encoded(e, all)), e.toString());
        }
    }

    private static void refused(Encoding e, String text) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> decoded(e, text),
                e + " accepted '" + text + "'");
        if (!x.getMessage().startsWith("a text of")) {
            assertEquals("the text is not valid " + e, x.getMessage(), "the message must say nothing of the text");
        }
    }

    @Test
    void aBadCharacterAnywhereIsRefusedWithoutSayingWhichOrWhere() {
        String[] badForAll = {"g", "G", " ", "\n", "\0", "\u0130", "\u0141", "\u00e9", "~", "*", "."};
        for (Encoding e : Encoding.values()) {
            String good = REFERENCE.get(e).apply(new byte[] {1, 2, 3, 4, 5, 6});
            int dataChars = good.replace("=", "").length();
            for (int i = 0; i < dataChars; i++) {
                for (String bad : badForAll) {
                    if (!e.name().startsWith("BASE64") || !Character.isLetter(bad.charAt(0))
                            || bad.charAt(0) > 'z') {
                        refused(e, good.substring(0, i) + bad + good.substring(i + 1));
                    }
                }
            }
        }
    }

    @Test
    void lengthsNoTextHasAreRefusedNamingTheLength() {
        for (Encoding e : Encoding.values()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> decoded(e, ""));
            assertTrue(x.getMessage().contains("empty"), x.getMessage());
        }
        for (String odd : List.of("6", "666", "66666")) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> decoded(Encoding.HEX, odd));
            assertTrue(x.getMessage().contains(String.valueOf(odd.length())), x.getMessage());
        }
        for (String s : List.of("Zg=", "Zg", "Zm9vY", "Zm9vYg=")) {
            refused(Encoding.BASE64, s);
        }
        refused(Encoding.BASE64_UNPADDED, "Zm9vY"); // 4k + 1: a lone character carries no whole byte
    }

    @Test
    void badPaddingIsRefused() {
        refused(Encoding.BASE64, "Z===");
        refused(Encoding.BASE64, "Zg=A");
        refused(Encoding.BASE64, "Zg==Zg==");      // padding in the middle
        refused(Encoding.BASE64, "=Zg=");
        refused(Encoding.BASE64, "====");
        refused(Encoding.BASE64_UNPADDED, "Zg==");  // the unpadded forms take no '='
        refused(Encoding.BASE64_URL_UNPADDED, "Zm8=");
        refused(Encoding.BASE64, "Zh==");          // 'h' leaves bits set past the data: not canonical
        refused(Encoding.BASE64, "Zm9=");
        refused(Encoding.BASE64_UNPADDED, "Zh");
        refused(Encoding.BASE64_URL, "Zm9vYh==");
    }

    @Test
    void theOtherAlphabetIsRefused() {
        refused(Encoding.BASE64, "-_-_");
        refused(Encoding.BASE64, "ab-c");
        refused(Encoding.BASE64_UNPADDED, "ab_c");
        refused(Encoding.BASE64_URL, "+/+/");
        refused(Encoding.BASE64_URL, "ab/c");
        refused(Encoding.BASE64_URL_UNPADDED, "ab+c");
    }

    @Test
    void decodeWipingWipesTheCallersArrayOnSuccessAndOnFailure() {
        char[] good = "00ff1020".toCharArray();
        try (Secret<Key> s = Encoding.HEX.decodeWiping(Key.class, good)) {
            assertArrayEquals(new byte[] {0, -1, 0x10, 0x20}, s.insecureCopyToHeap());
        }
        assertArrayEquals(new char[8], good);
        char[] bad = "00fg".toCharArray();
        assertThrows(IllegalArgumentException.class, () -> Encoding.HEX.decodeWiping(Key.class, bad));
        assertArrayEquals(new char[4], bad);
        char[] odd = "abc".toCharArray();
        assertThrows(IllegalArgumentException.class, () -> Encoding.BASE64.decodeWiping(Key.class, odd));
        assertArrayEquals(new char[3], odd);
        char[] plain = "00ff".toCharArray();
        Encoding.HEX.decode(Key.class, plain).close();
        assertArrayEquals("00ff".toCharArray(), plain, "decode (not ...Wiping) leaves the array as it was");
    }

    @Test
    void encodeRefusesADestinationTooSmallReadOnlyOrOverlappingAndWritesNothing() {
        try (Arena arena = Arena.ofConfined(); Secret<Key> key = Secret.random(Key.class, 32)) {
            MemorySegment small = arena.allocate(63).fill((byte) 7);
            IndexOutOfBoundsException x = assertThrows(IndexOutOfBoundsException.class,
                    () -> Encoding.HEX.encode(key, small));
            assertTrue(x.getMessage().contains("63") && x.getMessage().contains("64"), x.getMessage());
            assertTrue(small.elements(java.lang.foreign.ValueLayout.JAVA_BYTE).allMatch(b -> b.get(
                    java.lang.foreign.ValueLayout.JAVA_BYTE, 0) == 7));
            MemorySegment ro = arena.allocate(64).asReadOnly();
            assertThrows(UnsupportedOperationException.class, () -> Encoding.BASE64.encode(key, ro));
            MemorySegment both = arena.allocate(128);
            assertThrows(IllegalArgumentException.class,
                    () -> Encoding.HEX.encode(both.asSlice(0, 32), both.asSlice(16, 64)));
        }
    }

    @Test
    void encodedLengthRefusesNegativeAndHugeSizes() {
        for (Encoding e : Encoding.values()) {
            assertEquals(0, e.encodedLength(0));
            assertThrows(IllegalArgumentException.class, () -> e.encodedLength(-1));
            assertThrows(IllegalArgumentException.class, () -> e.encodedLength(Long.MAX_VALUE));
        }
    }
}
