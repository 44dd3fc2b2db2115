package dev.hardmem.internal.alloc;

import dev.hardmem.internal.alloc.region.Fields;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What happens to secret memory whose owner was never closed: a watcher thread wipes and frees it, and a warning
 * through {@link System.Logger} says where the owner was opened.
 *
 * <h2>Without a lock every thread shares</h2>
 * The JDK's {@link java.lang.ref.Cleaner} keeps every registration in one list behind one lock, which every thread
 * that opens or closes an owner takes: at 16 threads, most of their time. Here a registration is a
 * {@link PhantomReference} that must stay strongly reachable until it is enqueued, so something must hold it; what
 * holds it is the registering thread's own list, appended to without a lock. Closing an owner only marks its
 * registration done (a compare-and-set on the registration itself); the owning thread drops done registrations
 * when its list fills up. Virtual threads, which may number in the millions, share 64 lists, each behind its own
 * monitor, chosen by thread id. A platform thread's list is also registered (once per thread, under a lock) so it
 * stays reachable after the thread dies: an owner leaked by a thread that ended is still wiped.
 *
 * <p>Capturing a stack trace at every open costs about a microsecond, so by default the warning names only the
 * kind of owner. Run with {@code -Ddev.hardmem.leakDetection=stack} to record where each arena and secret was
 * opened (as Netty's leak detector does with its level property).
 */
public final class Leaks {
    private static final boolean STACKS = "stack".equals(System.getProperty("dev.hardmem.leakDetection"));
    private static final System.Logger LOG = System.getLogger("dev.hardmem");

    private static final ReferenceQueue<Object> WATCHED = new ReferenceQueue<>();

    /** Each platform thread's list of registrations, found fast. */
    private static final ThreadLocal<Holder> MINE = ThreadLocal.withInitial(Leaks::newHolder);
    /**
     * Every platform thread's list, by thread: keeps them reachable after their threads end, and gives a thread whose
     * thread-locals the JDK erased (a {@code Cleaner}'s, common-pool workers') its own list back. Guarded by itself.
     */
    private static final Map<Thread, Holder> PLATFORM = new HashMap<>();
    /** The lists virtual threads share, each guarded by its own monitor. */
    private static final Holder[] STRIPES = new Holder[64];

    static {
        for (int i = 0; i < STRIPES.length; i++) {
            STRIPES[i] = new Holder(null);
        }
        Thread t = new Thread(Leaks::watchLoop, "hardmem-leak-watch");
        t.setDaemon(true);
        t.start();
    }

    private Leaks() {
    }

    /**
     * Something to run once the owner it watches becomes phantom reachable, unless it was cancelled first. The
     * caller keeps it strongly reachable ({@link Registration}s are kept by their thread's list), or it is never
     * enqueued. Subclasses say what to do in {@link #run()}, which must not refer to the referent.
     */
    public abstract static class Watch extends PhantomReference<Object> implements Runnable {
        private static final VarHandle CLAIMED = Fields.of(MethodHandles.lookup(), Watch.class, "claimed",
                boolean.class);

        @SuppressWarnings("unused") // through CLAIMED
        private volatile boolean claimed;

        /** Watches {@code referent}. */
        protected Watch(Object referent) {
            super(referent, WATCHED);
        }

        /** The owner was freed properly: {@link #run()} will never be called by the watcher. */
        public void cancel() {
            clear();
        }

        /**
         * {@return true for the first caller only} {@link #run()} calls it first, so that the owner's explicit
         * free and the watcher can never both free the memory.
         */
        protected final boolean claim() {
            return CLAIMED.compareAndSet(this, false, true);
        }

        /** {@return whether {@link #claim()} has been won} */
        final boolean claimed() {
            return claimed;
        }
    }

    /**
     * {@return a registration that runs {@code action} once: when {@link Registration#clean()} is called, or when
     * {@code owner} becomes phantom reachable, whichever comes first}
     *
     * @param owner  what to watch: {@code action} must not refer to it
     * @param action wipes and frees the owner's memory, and reports a leak if it was not closed
     */
    public static Registration register(Object owner, Runnable action) {
        Registration r = new Registration(owner, action);
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            Holder h = STRIPES[(int) (t.threadId() & (STRIPES.length - 1))];
            synchronized (h) {
                h.add(r);
            }
        } else {
            MINE.get().add(r);
        }
        return r;
    }

    /** An owner's registration: {@link #clean()} runs its action now, exactly once, on whichever thread asks. */
    public static final class Registration extends Watch {
        /** Dropped once it ran: a registration can wait in its thread's list long after, and must not keep the
         *  owner's memory (and its allocator) reachable. Read only by the thread that won {@link #claim()}. */
        private Runnable action;

        private Registration(Object owner, Runnable action) {
            super(owner);
            this.action = action;
        }

        /** Unregisters and runs the action, unless it has run already. */
        public void clean() {
            if (claim()) {
                clear();
                Runnable a = action;
                action = null;
                a.run();
            }
        }

        /** Called by the watcher: the owner was never closed. */
        @Override
        public void run() {
            clean();
        }
    }

    /** A list of registrations that keeps them reachable. Touched by its thread, or under its own monitor. */
    private static final class Holder {
        /** The platform thread that appends to it; {@code null} for the lists virtual threads share. */
        final Thread thread;
        private Registration[] items = new Registration[16];
        private int count;

        Holder(Thread thread) {
            this.thread = thread;
        }

        void add(Registration r) {
            if (count == items.length) {
                makeRoom();
            }
            items[count++] = r;
        }

        /** Drops the registrations that are done; grows if more than half are still live. */
        private void makeRoom() {
            int n = dropDone();
            if (n > items.length / 2) {
                items = Arrays.copyOf(items, items.length * 2);
            }
        }

        /** {@return how many registrations are left} after dropping those that are done. */
        int dropDone() {
            int n = 0;
            for (int i = 0; i < count; i++) {
                if (!items[i].claimed()) { // done: closed, or run by the watcher
                    items[n++] = items[i];
                }
            }
            Arrays.fill(items, n, count, null);
            count = n;
            return n;
        }
    }

    private static Holder newHolder() {
        Thread t = Thread.currentThread();
        synchronized (PLATFORM) {
            Holder h = PLATFORM.get(t);
            if (h == null) {
                // A new thread is the moment to forget the lists of threads that ended, once nothing is left in them.
                PLATFORM.values().removeIf(o -> !o.thread.isAlive() && o.dropDone() == 0);
                h = new Holder(t);
                PLATFORM.put(t, h);
            }
            return h;
        }
    }

    private static void watchLoop() {
        while (true) {
            try {
                Watch w = (Watch) WATCHED.remove();
                w.run();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.WARNING, "wiping a leaked secret failed", e);
            }
        }
    }

    /** {@return where an owner is being opened, or {@code null} when stacks are not recorded} */
    public static Throwable site(String what) {
        return STACKS ? new Throwable(what + " opened here") : null;
    }

    /** Reports an owner that became unreachable while still open; its memory has just been wiped and freed. */
    public static void report(String what, Throwable site) {
        String msg = what + " was not closed; the cleaner wiped and freed its memory. "
                + (site == null ? "Run with -Ddev.hardmem.leakDetection=stack to see where it was opened."
                        : "It was opened at:");
        if (site == null) {
            LOG.log(System.Logger.Level.WARNING, msg);
        } else {
            LOG.log(System.Logger.Level.WARNING, msg, site);
        }
    }
}
