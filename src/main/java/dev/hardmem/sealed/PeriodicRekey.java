package dev.hardmem.sealed;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Rekeys every live sealed secret ({@link SealedSecret#rekey()}) periodically, on a daemon thread of its own, until
 * closed. Made by {@link SealedSecret#rekeyEvery(Duration)}.
 */
public final class PeriodicRekey implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.hardmem");
    private static final AtomicLong THREADS = new AtomicLong();
    /** Waits longer than this (about 146 years) are cut to it, so that deadline arithmetic cannot overflow. */
    private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE / 2);

    private final Duration interval;
    private final Thread thread;
    private final AtomicLong completed = new AtomicLong();
    private volatile boolean stopped;

    private PeriodicRekey(Duration interval) {
        this.interval = interval;
        this.thread = new Thread(this::loop, "hardmem-rekey-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
    }

    static PeriodicRekey start(Duration interval) {
        if (interval.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("a rekey interval must be at least 1 ms, was " + interval);
        }
        PeriodicRekey p = new PeriodicRekey(interval);
        p.thread.start();
        return p;
    }

    private void loop() {
        long nanos = interval.compareTo(LONGEST) > 0 ? LONGEST.toNanos() : interval.toNanos();
        while (!stopped) {
            long until = System.nanoTime() + nanos;
            for (long left = nanos; left > 0 && !stopped; left = until - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
            }
            if (stopped) {
                return;
            }
            try {
                Vault.rekey();
                completed.incrementAndGet();
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.WARNING, "hardmem: a periodic rekey of sealed secrets failed", e);
            }
        }
    }

    /** {@return the time between the end of one rekey and the start of the next} */
    public Duration interval() {
        return interval;
    }

    /** {@return how many rekeys this handle has completed} */
    public long completed() {
        return completed.get();
    }

    /**
     * Stops: no rekey starts after this returns, and one in progress is waited for. Closing twice does nothing.
     *
     * @throws IllegalStateException if called from the rekeying thread itself, or from inside a {@code read} or
     *                               {@code write} of a sealed secret (it would wait for a rekey that waits for that
     *                               access); it keeps running then
     */
    @Override
    public void close() {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("a periodic rekey cannot be closed from its own thread");
        }
        Vault.refuseIfOpen("stop a periodic rekey"); // it would wait for a rekey that waits for this thread
        stopped = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(1));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@return the interval and the count, for logs} */
    @Override
    public String toString() {
        return "PeriodicRekey[every " + interval + ", " + completed.get() + " done" + (stopped ? ", stopped]" : "]");
    }
}
