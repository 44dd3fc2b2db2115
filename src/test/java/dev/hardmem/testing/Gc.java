package dev.hardmem.testing;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for the garbage collector and the cleaners it wakes. {@code System.gc()} is only a request, and a cleaner
 * runs its actions on its own thread some time after the collection that found the object unreachable: a test that
 * depends on either asks again and again, and polls, until what it waits for has happened or its time is up.
 */
public final class Gc {
    /** Between two requests: long enough for a cleaner thread to run, short enough not to slow a passing test. */
    private static final long PAUSE_MILLIS = 10;

    private Gc() {
    }

    /**
     * Runs the collector and pauses, again and again, until {@code condition} holds or {@code timeout} passes.
     *
     * @return whether {@code condition} held in time; it is checked once more at the deadline
     */
    public static boolean awaitUntil(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            System.gc();
            Thread.sleep(PAUSE_MILLIS);
        }
        return true;
    }

    /** {@return whether the referent of {@code ref} was collected within {@code timeout}} */
    public static boolean awaitCollected(WeakReference<?> ref, Duration timeout) throws InterruptedException {
        return awaitUntil(() -> ref.get() == null, timeout);
    }

    /**
     * Runs the collector and pauses for {@code duration}, whatever happens: for a test that checks that something
     * does <em>not</em> happen, such as a cleaner freeing memory that is still reachable, and must give it every
     * chance to happen first.
     */
    public static void runFor(Duration duration) throws InterruptedException {
        awaitUntil(() -> false, duration);
    }
}
