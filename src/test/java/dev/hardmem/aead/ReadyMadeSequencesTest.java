package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.InsecureNonceSequence;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.testing.PublicApi;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sequences hardmem hands out fit the algorithms it has, and nothing a holder of a sequence can call on it stops
 * its key from using it.
 */
class ReadyMadeSequencesTest {
    /**
     * Every public factory that takes no argument makes nonces of a length some {@link Algorithm} or
     * {@link AeadAlgorithm} takes.
     */
    @Test
    void everyReadyMadeSequenceFitsAnAlgorithm() throws Exception {
        List<Integer> lengths = new ArrayList<>(Arrays.stream(Algorithm.values()).map(Algorithm::nonceLength).toList());
        Arrays.stream(AeadAlgorithm.values()).map(AeadAlgorithm::nonceLength).forEach(lengths::add);
        List<String> misfits = new ArrayList<>();
        int factories = 0;
        for (Class<?> c : PublicApi.classes()) {
            for (Method m : c.getMethods()) {
                if (Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 0
                        && NonceSequence.class.isAssignableFrom(m.getReturnType())) {
                    factories++;
                    NonceSequence s = (NonceSequence) m.invoke(null);
                    if (!lengths.contains(s.nonceLength())) {
                        misfits.add(c.getSimpleName() + "." + m.getName() + "(): " + s.nonceLength() + "-byte nonces");
                    }
                }
            }
        }
        assertTrue(factories >= 2, "too few ready-made sequences found: the scan is blind");
        assertEquals(List.of(), misfits, "ready-made sequences no algorithm of hardmem takes");
    }

    /**
     * A hostile holder of a sequence (anyone given {@link SealingKey#nonceSequence()}, or the sequence before the key
     * is made) calls every public method of it with arguments of every type it asks for: the key can still take it
     * and seal with it.
     */
    @Test
    void noPublicMethodOfASequenceKeepsItFromItsKey() throws Exception {
        List<NonceSequence> sequences = List.of(CounterNonceSequence.withRandomPrefix(),
                CounterNonceSequence.of(new byte[4], 8), new OneNonce());
        for (NonceSequence s : sequences) {
            int called = 0;
            for (Method m : s.getClass().getMethods()) {
                if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class
                        || m.getName().equals("next")) {
                    continue;
                }
                Object[] args = new Object[m.getParameterCount()];
                for (int i = 0; i < args.length; i++) {
                    args[i] = anyOf(m.getParameterTypes()[i]);
                }
                try {
                    m.invoke(s, args);
                } catch (InvocationTargetException refused) {
                    // a refusal is fine; what matters is the key's use below
                }
                called++;
            }
            assertTrue(called >= 3, "too few methods called on " + s);
            try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
                SealingKey sealing = SealingKey.of(Algorithm.AES_256_GCM, k, s);
                sealing.seal(MemorySegment.ofArray(new byte[4]), MemorySegment.NULL);
            }
        }
    }

    private static Object anyOf(Class<?> type) {
        if (type == int.class) {
            return 12;
        }
        if (type == long.class) {
            return 12L;
        }
        if (type == boolean.class) {
            return true;
        }
        if (type == byte[].class) {
            return new byte[12];
        }
        return new Object();
    }

    /** A sequence of one 12-byte nonce. */
    private static final class OneNonce extends InsecureNonceSequence {
        private boolean given;

        OneNonce() {
            super(12);
        }

        @Override
        protected boolean nextNonce(byte[] destination) {
            if (given) {
                return false;
            }
            given = true;
            destination[0] = 1;
            return true;
        }
    }
}
