package dev.hardmem.nonce;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every public method of the package throws {@link NullPointerException} for a {@code null} argument. */
class NullsTest {
    private static final Map<Class<?>, Supplier<?>> SAMPLES = Map.of(
            byte[].class, () -> new byte[] {1, 2, 3, 4},
            int.class, () -> 8,
            long.class, () -> 0L,
            Object.class, Object::new);

    @Test
    void everyPublicMethodRejectsNull() {
        int n = 0;
        n += NullArguments.check(CounterNonceSequence.class, CounterNonceSequence::withRandomPrefix, SAMPLES);
        n += NullArguments.check(RandomNonceSequence.class, RandomNonceSequence::of192Bits, SAMPLES);
        n += NullArguments.check(UnusedNonce.class, () -> CounterNonceSequence.withRandomPrefix().next(), SAMPLES);
        n += NullArguments.check(UsedNonce.class, () -> UsedNonce.fromWire(new byte[] {1}), SAMPLES);
        n += NullArguments.check(InsecureNonceSequence.class, () -> new InsecureNonceSequenceTest.Scripted(4, 9),
                SAMPLES);
        // of(prefix, n), fromWire(bytes), and bindTo / isBoundTo on each of the three sequence kinds.
        assertTrue(n >= 8, "checked " + n);
    }
}
