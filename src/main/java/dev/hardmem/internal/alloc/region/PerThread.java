package dev.hardmem.internal.alloc.region;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One value per platform thread (a tier's cache of free slots), made on the thread's first use and used by it
 * without a lock; one value all virtual threads share, which its users guard with its monitor. Values are
 * registered by thread: the thread-local only caches them, weakly, so a closed allocator is not kept alive by
 * every thread that used it, and a thread whose thread-locals the JDK erases (a {@code Cleaner}'s before each
 * cleanup, common-pool workers when idle) finds its value again. Values of threads that died are handed to
 * {@code onDeadThread} when another thread registers, and when the owner asks ({@link #reclaimDead()}).
 *
 * @param <T> the value
 */
public final class PerThread<T> {
    private final Function<Thread, T> factory;
    private final Consumer<T> onDeadThread;
    private final T shared;
    private final ThreadLocal<WeakReference<T>> cached = new ThreadLocal<>();
    /** Every platform thread's value: the truth the thread-local only caches. Guarded by itself. */
    private final Map<Thread, T> owners = new HashMap<>();

    /**
     * @param factory      makes a thread's value ({@code null}: the one virtual threads share)
     * @param onDeadThread takes back the value of a thread that died (its last actions happen-before)
     */
    public PerThread(Function<Thread, T> factory, Consumer<T> onDeadThread) {
        this.factory = factory;
        this.onDeadThread = onDeadThread;
        this.shared = factory.apply(null);
    }

    /** {@return the value virtual threads share} */
    public T shared() {
        return shared;
    }

    /** {@return the calling thread's value, made on first use: the shared one on a virtual thread} */
    public T mine() {
        WeakReference<T> c = cached.get();
        T v = c == null ? null : c.get();
        return v != null ? v : register();
    }

    /** {@return the calling platform thread's value if it has one, without making one; else {@code null}} */
    public T mineIfAny() {
        WeakReference<T> c = cached.get();
        T v = c == null ? null : c.get();
        if (v != null) {
            return v;
        }
        synchronized (owners) {
            return owners.get(Thread.currentThread()); // its thread-locals may have been erased
        }
    }

    private T register() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return shared;
        }
        T v;
        synchronized (owners) {
            v = owners.get(t); // its thread-locals were erased, not its value
        }
        if (v == null) {
            reclaimDead(); // a new thread is the moment to forget the ones that ended, so the map does not grow
            v = factory.apply(t);
            synchronized (owners) {
                owners.put(t, v);
            }
        }
        cached.set(new WeakReference<>(v));
        return v;
    }

    /**
     * Hands the values of threads that died to {@code onDeadThread} one by one, forgetting each thread as its value
     * is taken back; if one fails, the rest stay registered, to be taken back later.
     */
    public void reclaimDead() {
        List<Map.Entry<Thread, T>> dead = new ArrayList<>();
        synchronized (owners) {
            for (Map.Entry<Thread, T> e : owners.entrySet()) {
                if (!e.getKey().isAlive()) {
                    dead.add(Map.entry(e.getKey(), e.getValue()));
                }
            }
        }
        for (Map.Entry<Thread, T> e : dead) {
            synchronized (owners) {
                if (owners.get(e.getKey()) != e.getValue()) {
                    continue; // another thread took it back meanwhile
                }
                owners.remove(e.getKey());
            }
            // If this throws (an unmap the kernel refused), the rest stay registered for the next reclaim. The failed
            // one is not put back: part of it may have been taken back already, and taking a slot back twice would
            // hand it out twice.
            onDeadThread.accept(e.getValue());
        }
    }

    /** {@return the values of threads that died, which stay registered} */
    public List<T> dead() {
        List<T> dead = new ArrayList<>();
        synchronized (owners) {
            owners.forEach((thread, v) -> {
                if (!thread.isAlive()) {
                    dead.add(v);
                }
            });
        }
        return dead;
    }

    /** {@return every value: every registered thread's, and the shared one} */
    public List<T> all() {
        List<T> all = new ArrayList<>();
        all.add(shared);
        synchronized (owners) {
            all.addAll(owners.values());
        }
        return all;
    }

    /** {@return how many threads have a value registered (dead ones included until reclaimed)} */
    public int threads() {
        synchronized (owners) {
            return owners.size();
        }
    }
}
