package dev.hardmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * What the documentation's examples call in place of the reader's own code: a KDF, a cipher, a method that takes
 * only keys, an API that wants a {@code byte[]}. {@link DocBlocks} imports these statically into every example
 * that has no imports of its own. Public, because the examples are compiled outside this package.
 */
public final class DocStandIns {
    private DocStandIns() {
    }

    /** A key derivation function that writes its output into {@code out}. */
    public static void deriveKeyInto(MemorySegment out) {
        for (long i = 0; i < out.byteSize(); i++) {
            out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 3));
        }
    }

    /** {@return a keyed checksum of {@code message}: a cipher that reads its key from a segment} */
    public static long encrypt(MemorySegment key, String message) {
        long h = 0;
        for (long i = 0; i < key.byteSize(); i++) {
            h = h * 31 + key.get(ValueLayout.JAVA_BYTE, i);
        }
        return h ^ message.hashCode();
    }

    /** Code that wants a key, and only a key. */
    public static void encryptWith(Secret<SecretKind.Key> key) {
        key.read(k -> encrypt(k, "hello"));
    }

    /** An old API that wants a key as a {@code byte[]}. */
    public static void legacyApi(byte[] key) {
        Objects.requireNonNull(key);
    }
}
