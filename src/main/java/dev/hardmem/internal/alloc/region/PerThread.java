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
        return c == null ? null : c.get();
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

    /** Hands the values of threads that died to {@code onDeadThread}, and forgets those threads. */
    public void reclaimDead() {
        List<T> dead = new ArrayList<>();
        synchronized (owners) {
            owners.entrySet().removeIf(e -> !e.getKey().isAlive() && dead.add(e.getValue()));
        }
        dead.forEach(onDeadThread);
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
