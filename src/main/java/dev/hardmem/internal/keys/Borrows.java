package dev.hardmem.internal.keys;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiFunction;

/**
 * What {@code Secret} and {@code SealedSecret} share about borrowing a secret (many readers or one writer, as a Rust
 * {@code RefCell}): the refusals, worded once, and the one order in which two secrets are held at the same time.
 */
public final class Borrows {
    /** The lock two secrets with the same identity hash are held under. */
    private static final Object TIE = new Object();

    private Borrows() {
    }

    /**
     * {@return the refusal of {@code what} (for example {@code "write it"}) on a thread that has the secret guarded
     * by {@code lock} open, naming how it has it open}
     */
    public static IllegalStateException openOnThisThread(ReentrantReadWriteLock lock, String what) {
        String open = lock.isWriteLockedByCurrentThread() ? "writing" : "reading";
        return new IllegalStateException("cannot " + what + ": this thread has the secret open for " + open
                + " (a secret has many readers or one writer)");
    }

    /** {@return the refusal of anything on a secret or arena that is closed: the JDK's own words for a scope} */
    public static IllegalStateException alreadyClosed() {
        return new IllegalStateException("Already closed");
    }

    /**
     * {@return {@code both} applied to {@code a} and {@code b}, in one order whoever asks: by identity hash, and in
     * the rare tie under one lock} For a function that holds both at once (reads one inside a read of the other) and
     * does not care which comes first: taken in the callers' order, a comparison of a with b and one of b with a could
     * each wait, behind a writer, for the secret the other holds. A counter of secrets would be an atomic every
     * thread shares.
     */
    public static <T, R> R inOneOrder(T a, T b, BiFunction<? super T, ? super T, ? extends R> both) {
        int h = System.identityHashCode(a);
        int o = System.identityHashCode(b);
        if (h == o) {
            synchronized (TIE) {
                return both.apply(a, b);
            }
        }
        return h < o ? both.apply(a, b) : both.apply(b, a);
    }
}
