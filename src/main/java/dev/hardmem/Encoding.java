package dev.hardmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Text encodings of secrets (RFC 4648): hex and Base64, decoded straight into a {@link Secret} and encoded straight
 * into a caller's segment, in constant time with respect to the data.
 *
 * {@snippet :
 * char[] typed = {'0', '0', 'f', 'f', '1', '0', '2', '0'};
 * try (Secret<SecretKind.Key> key = Encoding.HEX.decodeWiping(SecretKind.Key.class, typed)) {   // typed is now zeros
 *     key.size();                                                                       // 4
 * }
 * }
 *
 * <h2>What is accepted</h2>
 * Exactly the alphabet of the encoding, with no whitespace, line breaks or other separators. Hex accepts either
 * case, and needs an even number of digits. A padded Base64 text is a multiple of 4 characters, ending in the
 * padding the data needs; an unpadded one has no {@code '='} at all, and no length that leaves a lone character
 * (4<i>k</i> + 1). The bits a last character carries beyond the data must be zero (a canonical encoding, as
 * RFC 4648 §3.5 allows a decoder to require), so each secret has exactly one text. Anything else throws
 * {@link IllegalArgumentException} after the whole text has been read, saying neither where nor what the bad
 * character was: that would tell a reader of the log something about the secret.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: the decoded bytes are written straight into the secret's memory, and the encoded ones straight into
 * the destination, with no copy on the heap; each character is decoded, and each value encoded, by arithmetic on
 * masks, with no table indexed by secret data and no branch on it (the method of libsodium's
 * {@code sodium_hex2bin} and {@code sodium_base642bin}); every character is read whether or not an earlier one was
 * invalid. The lengths, and whether the text was valid, are public. Not guaranteed: that the JIT compiles the
 * arithmetic without branches (HotSpot does not promise it), the values it keeps in registers or spills to the
 * stack, and copies of the text the caller holds: a {@link CharSequence} (a {@code String} above all) cannot be
 * wiped by hardmem, which is why {@link #decodeWiping(Class, char[])} exists.
 */
public enum Encoding {
    /** Hex, lowercase when encoding; decodes either case. */
    HEX,
    /** Base 16 of RFC 4648 §8: hex, uppercase when encoding; decodes either case. */
    BASE16,
    /** Base 64 of RFC 4648 §4: alphabet {@code A-Z a-z 0-9 + /}, padded with {@code '='}. */
    BASE64,
    /** Base 64 of RFC 4648 §4 without padding (§3.2). */
    BASE64_UNPADDED,
    /** Base 64 with the URL and filename safe alphabet of RFC 4648 §5: {@code - _} in place of {@code + /}, padded. */
    BASE64_URL,
    /** Base 64 with the URL and filename safe alphabet of RFC 4648 §5, without padding. */
    BASE64_URL_UNPADDED;

    private boolean hex() {
        return this == HEX || this == BASE16;
    }

    private boolean url() {
        return this == BASE64_URL || this == BASE64_URL_UNPADDED;
    }

    private boolean padded() {
        return this == BASE64 || this == BASE64_URL;
    }

    /**
     * {@return the number of characters (bytes of ASCII) that encoding {@code size} bytes takes}
     *
     * @param size the number of bytes, at least 0
     * @throws IllegalArgumentException if {@code size} is negative or its encoding would not fit in a {@code long}
     */
    public long encodedLength(long size) {
        if (size < 0 || size > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("size must be between 0 and " + Long.MAX_VALUE / 4 + ", was " + size);
        }
        if (hex()) {
            return 2 * size;
        }
        return padded() ? (size + 2) / 3 * 4 : (size * 4 + 2) / 3;
    }

    /**
     * {@return a new secret holding the bytes {@code text} encodes}
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret
     * @param text the encoded text; hardmem cannot wipe it
     * @throws IllegalArgumentException if {@code text} is empty, has a length no text of this encoding has, or is
     *                                  not valid in this encoding (which character is not said); nothing is kept
     */
    public <K extends SecretKind> Secret<K> decode(Class<K> kind, CharSequence text) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
        return decodeText(kind, i -> text.charAt((int) i), text.length());
    }

    /**
     * {@return a new secret holding the bytes {@code text} encodes} The array is left as it is: see
     * {@link #decodeWiping(Class, char[])}.
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret
     * @param text the encoded text
     * @throws IllegalArgumentException if {@code text} is empty, has a length no text of this encoding has, or is
     *                                  not valid in this encoding (which character is not said); nothing is kept
     */
    public <K extends SecretKind> Secret<K> decode(Class<K> kind, char[] text) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
        return decodeText(kind, i -> text[(int) i], text.length);
    }

    /**
     * {@return a new secret holding the bytes {@code text} encodes; <strong>{@code text} is wiped</strong> (set to
     * {@code '\0'}) once decoded, also when this method fails}
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret
     * @param text the encoded text
     * @throws IllegalArgumentException if {@code text} is empty, has a length no text of this encoding has, or is
     *                                  not valid in this encoding (which character is not said); nothing is kept
     */
    public <K extends SecretKind> Secret<K> decodeWiping(Class<K> kind, char[] text) {
        Objects.requireNonNull(text, "text");
        try {
            return decode(kind, text);
        } finally {
            Wipe.chars(text);
        }
    }

    /**
     * {@return a new secret holding the bytes that the ASCII text in {@code text} encodes} The segment is only read
     * and is left as it is; use {@link Wipe#segment} on it afterwards if it is yours to wipe.
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret
     * @param text the encoded text, one byte per character; it may be read-only
     * @throws IllegalArgumentException if {@code text} is empty, has a length no text of this encoding has, or is
     *                                  not valid in this encoding (which character is not said); nothing is kept
     * @throws IllegalStateException    if {@code text} is not alive
     * @throws WrongThreadException     if {@code text} is confined to another thread
     */
    public <K extends SecretKind> Secret<K> decode(Class<K> kind, MemorySegment text) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
        ConstantTime.requireUsable(text);
        return decodeText(kind, i -> text.get(ValueLayout.JAVA_BYTE, i) & 0xFF, text.byteSize());
    }

    private <K extends SecretKind> Secret<K> decodeText(Class<K> kind, Codec.Text text, long length) {
        checkLength(length);
        // The padding is read once: a text changed meanwhile (a shared StringBuilder, a segment another thread
        // writes) cannot make the secret's size and the data decoded into it disagree.
        long padding = !hex() && padded() ? Codec.padding(text, length) : 0;
        long size = decodedLength(length, padding);
        long data = length - padding;
        return Secret.withContents(kind, size, out -> {
            boolean valid = hex() ? Codec.decodeHex(text, length, out) : Codec.decodeBase64(text, data, out, url());
            if (!valid) {
                throw new IllegalArgumentException("the text is not valid " + this);
            }
        });
    }

    private void checkLength(long length) {
        if (length == 0) {
            throw new IllegalArgumentException("the text is empty: a secret must hold at least 1 byte");
        }
        if (hex() && length % 2 != 0) {
            throw badLength(length, "an even number of digits");
        }
        if (!hex() && padded() && length % 4 != 0) {
            throw badLength(length, "a multiple of 4 characters");
        }
        if (!hex() && !padded() && length % 4 == 1) {
            throw badLength(length, "no length of the form 4k + 1");
        }
    }

    private long decodedLength(long length, long padding) {
        if (hex()) {
            return length / 2;
        }
        return padded() ? length / 4 * 3 - padding : length / 4 * 3 + (length % 4 * 3) / 4;
    }

    private IllegalArgumentException badLength(long length, String needs) {
        return new IllegalArgumentException("a text of " + length + " characters is not valid " + this + ", which has "
                + needs);
    }

    /**
     * Encodes the bytes of {@code source} into the first {@link #encodedLength encodedLength(source.size())} bytes
     * of {@code destination}, as ASCII.
     *
     * @param source      the secret
     * @param destination where the text goes; the rest of it is left as it is
     * @return the number of bytes written
     * @throws IllegalStateException         if {@code source} is closed, or this thread has it open for writing, or
     *                                       {@code destination} is not alive
     * @throws IndexOutOfBoundsException     if {@code destination} is shorter than the text; nothing is written
     * @throws UnsupportedOperationException if {@code destination} is read-only; nothing is written
     * @throws WrongThreadException          if {@code destination} is confined to another thread
     */
    public long encode(Secret<?> source, MemorySegment destination) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        return source.read(in -> encode(in, destination));
    }

    /**
     * Encodes the bytes of {@code source} into the first {@link #encodedLength encodedLength(source.byteSize())}
     * bytes of {@code destination}, as ASCII: for a key in a {@link SecretArena}.
     *
     * @param source      the bytes
     * @param destination where the text goes; the rest of it is left as it is
     * @return the number of bytes written
     * @throws IllegalArgumentException      if the two segments overlap; nothing is written
     * @throws IllegalStateException         if either segment is not alive
     * @throws IndexOutOfBoundsException     if {@code destination} is shorter than the text; nothing is written
     * @throws UnsupportedOperationException if {@code destination} is read-only; nothing is written
     * @throws WrongThreadException          if either segment is confined to another thread
     */
    public long encode(MemorySegment source, MemorySegment destination) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        ConstantTime.requireUsable(source);
        ConstantTime.requireUsable(destination);
        long n = encodedLength(source.byteSize());
        if (destination.isReadOnly()) {
            throw new UnsupportedOperationException("the destination is read-only");
        }
        if (destination.byteSize() < n) {
            throw new IndexOutOfBoundsException("the destination holds " + destination.byteSize()
                    + " bytes; the text of " + source.byteSize() + " bytes in " + this + " takes " + n);
        }
        if (source.asOverlappingSlice(destination).isPresent()) {
            throw new IllegalArgumentException("the source and the destination overlap");
        }
        MemorySegment out = destination.asSlice(0, n);
        if (hex()) {
            Codec.encodeHex(source, out, this == BASE16);
        } else {
            Codec.encodeBase64(source, out, url(), padded());
        }
        return n;
    }

    /** Fails as the JDK does on a segment that is not alive or is confined to another thread, before any work. */
}
