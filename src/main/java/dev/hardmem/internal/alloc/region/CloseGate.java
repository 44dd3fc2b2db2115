package dev.hardmem.internal.alloc.region;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Lets many threads work on an allocator at once and one close it, without a lock or an atomic the working threads
 * share: each thread counts what it has in flight in its own counter (virtual threads share one, updated
 * atomically), and {@link #close} raises a flag, then waits until every counter is zero. A thread that sees the
 * flag steps back and waits (in {@code Object.wait}, which does not pin a virtual thread on JDK 24 and later) for
 * the close to end, then goes on (or finds the allocator closed): nothing fails just because a close was attempted.
 */
public final class CloseGate {
    private static final VarHandle DEPTH = Fields.of(MethodHandles.lookup(), InFlight.class, "depth",
            int.class);

    /** One thread's count of actions in flight (or the virtual threads' shared count). */
    private static final class InFlight {
        final boolean shared;
        @SuppressWarnings("unused") // through DEPTH
        volatile int depth;

        InFlight(Thread t) {
            this.shared = t == null;
        }

        void add(int delta) {
            if (shared) {
                DEPTH.getAndAdd(this, delta);
            } else {
                depth = depth + delta; // only its thread writes it; a volatile store orders the read of `closing`
            }
        }
    }

    private final PerThread<InFlight> inFlight = new PerThread<>(InFlight::new, f -> {
    });
    private final Object lock = new Object();
    private volatile boolean closing;

    /** Runs {@code action} as an action in flight: {@link #close} waits for it, and it never overlaps a close. */
    public <T> T pass(Supplier<T> action) {
        InFlight f = inFlight.mine();
        while (true) {
            f.add(1);
            VarHandle.fullFence(); // the count is seen before the flag is read, or close could miss it
            if (!closing) {
                break;
            }
            f.add(-1);
            awaitNotClosing();
        }
        try {
            return action.get();
        } finally {
            f.add(-1);
        }
    }

    /**
     * Runs {@code action} as an action in flight, unless a close is running: then it returns at once without running
     * it. For work that a close makes pointless and that must never wait for one (giving free memory back while
     * another allocator maps: waiting there could deadlock two closes).
     */
    public void tryPass(Runnable action) {
        InFlight f = inFlight.mine();
        f.add(1);
        try {
            VarHandle.fullFence(); // the count is seen before the flag is read, or close could miss it
            if (!closing) {
                action.run();
            }
        } finally {
            f.add(-1);
        }
    }

    /**
     * Runs {@code closer} once nothing is in flight, with every other action held back until it returns. Closes
     * run one at a time.
     */
    public void close(Runnable closer) {
        synchronized (lock) {
            awaitNotClosingLocked();
            closing = true;
        }
        VarHandle.fullFence();
        try {
            for (InFlight f : inFlight.all()) {
                // An action in flight is short (one allocation, a verify): yield, then sleep, until it is done.
                for (int spins = 0; (int) DEPTH.getVolatile(f) != 0; spins++) {
                    if (spins < 100) {
                        Thread.onSpinWait();
                    } else if (spins < 1000) {
                        Thread.yield();
                    } else {
                        LockSupport.parkNanos(100_000);
                    }
                }
            }
            closer.run();
        } finally {
            synchronized (lock) {
                closing = false;
                lock.notifyAll();
            }
        }
    }

    private void awaitNotClosing() {
        synchronized (lock) {
            awaitNotClosingLocked();
        }
    }

    /**
     * Waits, uninterruptibly, until no close is running: an interrupt must not make a free fail before it wiped
     * its secret. The interrupt is kept for the caller to see.
     */
    private void awaitNotClosingLocked() {
        boolean interrupted = false;
        while (closing) {
            try {
                lock.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
