package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Small helpers shared by the tests of this package. */
final class Fixtures {
    static final HexFormat HEX = HexFormat.of();

    private Fixtures() {
    }

    static Secret<SecretKind.Key> key(byte[] bytes) {
        return Secret.fromBytesWiping(SecretKind.Key.class, bytes.clone());
    }

    static Secret<SecretKind.Key> randomKey() {
        return Secret.random(SecretKind.Key.class, 32);
    }

    static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** {@return a native segment of {@code arena} holding {@code bytes}} */
    static MemorySegment offHeap(Arena arena, byte[] bytes) {
        MemorySegment s = arena.allocate(Math.max(1, bytes.length)).asSlice(0, bytes.length);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }

    static MemorySegment heap(byte[] bytes) {
        return MemorySegment.ofArray(bytes);
    }

    static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }
}
