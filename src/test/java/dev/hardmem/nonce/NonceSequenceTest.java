package dev.hardmem.nonce;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NonceSequenceTest {
    @Test
    void theHierarchyIsSealed() {
        assertTrue(NonceSequence.class.isSealed());
        assertEquals(3, NonceSequence.class.getPermittedSubclasses().length);
        assertTrue(Modifier.isFinal(CounterNonceSequence.class.getModifiers()));
        assertTrue(Modifier.isFinal(RandomNonceSequence.class.getModifiers()));
        assertEquals(0, RandomNonceSequence.class.getConstructors().length);
        assertEquals(0, CounterNonceSequence.class.getConstructors().length);
    }

    @Test
    void toStringShowsTheKindNotTheState() {
        assertEquals("CounterNonceSequence[12-byte nonces]", CounterNonceSequence.of(new byte[4], 8).toString());
        assertEquals("RandomNonceSequence[24-byte nonces]", RandomNonceSequence.of192Bits().toString());
    }

    @Test
    void threadsDrawingAtOnceNeverGetTheSameNonce() throws Exception {
        CounterNonceSequence s = CounterNonceSequence.of(new byte[4], 8);
        int threads = 8;
        int each = 25_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<long[]>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                parts.add(pool.submit(() -> {
                    long[] mine = new long[each];
                    for (int i = 0; i < each; i++) {
                        mine[i] = ByteBuffer.wrap(s.next().consume().bytes(), 4, 8).getLong();
                    }
                    return mine;
                }));
            }
            long[] all = new long[threads * each];
            for (int t = 0; t < threads; t++) {
                System.arraycopy(parts.get(t).get(), 0, all, t * each, each);
            }
            Arrays.sort(all);
            for (int i = 1; i < all.length; i++) {
                assertNotEquals(all[i - 1], all[i]);
            }
            assertEquals(all.length - 1, all[all.length - 1], "counters 0 .. n-1, none skipped");
        } finally {
            pool.shutdownNow();
        }
    }
}
