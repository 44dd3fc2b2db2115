package dev.hardmem.internal.alloc;

import java.lang.ref.Cleaner;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;

/**
 * What happens to secret memory whose owner was never closed: a {@link Cleaner} wipes and frees it, and a warning
 * through {@link System.Logger} says where the owner was opened.
 *
 * <p>Capturing a stack trace at every open costs about a microsecond, so by default the warning names only the
 * kind of owner. Run with {@code -Ddev.hardmem.leakDetection=stack} to record where each arena and secret was
 * opened (as Netty's leak detector does with its level property).
 */
public final class Leaks {
    /** The shared cleaner thread of hardmem. */
    public static final Cleaner CLEANER = Cleaner.create();

    private static final boolean STACKS = "stack".equals(System.getProperty("dev.hardmem.leakDetection"));
    private static final System.Logger LOG = System.getLogger("dev.hardmem");

    private static final ReferenceQueue<Object> WATCHED = new ReferenceQueue<>();

    static {
        Thread t = new Thread(Leaks::watchLoop, "hardmem-leak-watch");
        t.setDaemon(true);
        t.start();
    }

    private Leaks() {
    }

    /**
     * A cheaper cleaner for owners made by the million ({@code Allocation}s): a phantom reference to the owner's
     * scope that the allocator keeps reachable in its slot metadata, so registering costs one small object and no
     * lock (a {@link Cleaner} keeps a global list behind a lock). Subclasses say what to do in {@link #run()},
     * which must not refer to the referent; {@link #cancel()} it when the owner is freed.
     */
    public abstract static class Watch extends PhantomReference<Object> implements Runnable {
        /** Watches {@code referent}; the caller must keep this watch reachable, or it is never enqueued. */
        protected Watch(Object referent) {
            super(referent, WATCHED);
        }

        /** The owner was freed properly: {@link #run()} will never be called by the watcher. */
        public void cancel() {
            clear();
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
