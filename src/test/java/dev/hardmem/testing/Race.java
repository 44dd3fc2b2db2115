package dev.hardmem.testing;

import dev.hardmem.nonce.NonceReuseException;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Races {@code threads} threads, round after round, on one single-use thing per round, and checks that exactly
 * one wins each round and every other gets {@link NonceReuseException}. The threads leave a spinning gate
 * together at the start of every round, so that they really collide.
 */
public final class Race {
    /** One thread's attempt in one round: returns normally when it won, throws NonceReuseException when it lost. */
    @FunctionalInterface
    public interface Attempt {
        void run(int thread, int round) throws Exception;
    }

    private Race() {
    }

    /** Runs the race and asserts exactly one winner and {@code threads - 1} refusals in every round. */
    public static void exactlyOneWinsEveryRound(int threads, int rounds, Attempt attempt) throws InterruptedException {
        AtomicInteger[] wins = new AtomicInteger[rounds];
        AtomicInteger[] losses = new AtomicInteger[rounds];
        for (int r = 0; r < rounds; r++) {
            wins[r] = new AtomicInteger();
            losses[r] = new AtomicInteger();
        }
        AtomicInteger arrived = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int thread = t;
            workers[t] = Thread.ofPlatform().start(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        int gate = threads * (r + 1);
                        arrived.incrementAndGet();
                        while (arrived.get() < gate && failure.get() == null) {
                            Thread.yield();
                        }
                        try {
                            attempt.run(thread, r);
                            wins[r].incrementAndGet();
                        } catch (NonceReuseException e) {
                            losses[r].incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        for (Thread w : workers) {
            w.join();
        }
        assertNull(failure.get());
        for (int r = 0; r < rounds; r++) {
            assertEquals(1, wins[r].get(), "winners in round " + r);
            assertEquals(threads - 1, losses[r].get(), "refused in round " + r);
        }
    }
}
