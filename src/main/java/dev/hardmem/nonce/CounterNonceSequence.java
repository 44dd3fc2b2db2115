package dev.hardmem.nonce;

import java.security.SecureRandom;
import java.util.Objects;

/**
 * Nonces made of a fixed prefix followed by a big-endian counter that starts at zero: the deterministic
 * construction of NIST SP 800-38D §8.2.1 (a fixed field and an invocation field), and what ring's
 * {@code NonceSequence} examples do. The default, {@link #withRandomPrefix()}, gives the 96-bit nonces of AES-GCM
 * and ChaCha20-Poly1305: a 32-bit random prefix and a 64-bit counter.
 *
 * {@snippet :
 * CounterNonceSequence s = CounterNonceSequence.of(new byte[] {1, 2, 3, 4}, 8);   // 12-byte nonces
 * s.next().consume().bytes();    // 01 02 03 04 00 00 00 00 00 00 00 00
 * s.next().consume().bytes();    // 01 02 03 04 00 00 00 00 00 00 00 01
 * }
 *
 * <p>With a counter of {@code c} bytes, the sequence hands out exactly 2<sup>8c</sup> nonces (for {@code c = 8},
 * 2<sup>64</sup>, counting the counter as unsigned); the call after the last one throws
 * {@link NonceExhaustedException}, and so does every later call. The counter never wraps.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: no two nonces of one sequence are equal, and exhaustion is final. Not guaranteed: uniqueness
 * across sequences. Two sequences with the same prefix hand out the same nonces; used with the same key, that is
 * nonce reuse. Use one sequence per key for the key's whole life, and if keys outlive the process, a prefix that
 * differs per process start (as {@link #withRandomPrefix()} makes likely: two random 32-bit prefixes are equal
 * with probability 2<sup>-32</sup>), or persist the counter.
 */
public final class CounterNonceSequence extends NonceSequence {
    /** The prefix length of {@link #withRandomPrefix()}, in bytes. */
    public static final int RANDOM_PREFIX_LENGTH = 4;
    /** The counter length of {@link #withRandomPrefix()}, in bytes. */
    public static final int DEFAULT_COUNTER_LENGTH = 8;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] prefix;
    private final long last;
    // Both guarded by the NonceSequence lock: advance() is only called with it held.
    private long counter;
    private boolean done;

    private CounterNonceSequence(byte[] prefix, int counterLength, long first) {
        super(Math.addExact(prefix.length, counterLength));
        this.prefix = prefix;
        this.last = counterLength == Long.BYTES ? -1L : (1L << (8 * counterLength)) - 1;
        this.counter = first;
    }

    /**
     * {@return a sequence of 12-byte (96-bit) nonces: a random 4-byte prefix, then an 8-byte counter from zero}
     * The prefix comes from {@link SecureRandom}.
     */
    public static CounterNonceSequence withRandomPrefix() {
        byte[] prefix = new byte[RANDOM_PREFIX_LENGTH];
        RANDOM.nextBytes(prefix);
        return new CounterNonceSequence(prefix, DEFAULT_COUNTER_LENGTH, 0);
    }

    /**
     * {@return a sequence of nonces of {@code prefix.length + counterLength} bytes: {@code prefix}, then a
     * big-endian counter of {@code counterLength} bytes from zero}
     *
     * @param prefix        the fixed field, copied; may be empty
     * @param counterLength the counter's length in bytes, 1 to 8
     * @throws IllegalArgumentException if {@code counterLength} is out of range
     */
    public static CounterNonceSequence of(byte[] prefix, int counterLength) {
        Objects.requireNonNull(prefix, "prefix");
        if (counterLength < 1 || counterLength > Long.BYTES) {
            throw new IllegalArgumentException("counterLength must be 1 to 8 bytes, was " + counterLength);
        }
        return new CounterNonceSequence(prefix.clone(), counterLength, 0);
    }

    /**
     * For tests of the end of the range only: a sequence whose counter starts at {@code first} (unsigned). Not
     * public: choosing where a counter starts is choosing nonces.
     */
    static CounterNonceSequence startingAt(byte[] prefix, int counterLength, long first) {
        CounterNonceSequence s = of(prefix, counterLength);
        if (Long.compareUnsigned(first, s.last) > 0) {
            throw new IllegalArgumentException("first=" + Long.toUnsignedString(first) + " does not fit in "
                    + counterLength + " bytes");
        }
        return new CounterNonceSequence(s.prefix, counterLength, first);
    }

    /** {@return the length of the counter in bytes} */
    public int counterLength() {
        return nonceLength() - prefix.length;
    }

    /** {@return a copy of the fixed prefix} */
    public byte[] prefix() {
        return prefix.clone();
    }

    @Override
    boolean advance(byte[] destination) {
        if (done) {
            return false;
        }
        System.arraycopy(prefix, 0, destination, 0, prefix.length);
        long v = counter;
        for (int i = destination.length - 1; i >= prefix.length; i--) {
            destination[i] = (byte) v;
            v >>>= 8;
        }
        if (counter == last) {
            done = true;
        } else {
            counter++;
        }
        return true;
    }

    @Override
    boolean spent() {
        return done;
    }

    @Override
    String kind() {
        return "CounterNonceSequence";
    }
}
