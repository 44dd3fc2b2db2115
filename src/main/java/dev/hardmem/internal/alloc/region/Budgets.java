package dev.hardmem.internal.alloc.region;

import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Platform;
import dev.hardmem.internal.os.Proc;
import dev.hardmem.internal.os.RamLimit;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The budgets every guarded allocator of the process draws from. {@code RLIMIT_MEMLOCK} and
 * {@code vm.max_map_count} limit the process, not one allocator, so the bytes locked and the mappings are counted
 * here, once, for all of them. {@link Regions} reserves when it maps a region and gives back when it unmaps one:
 * never per secret.
 *
 * <h2>Giving memory back when another allocator needs it</h2>
 * Pools keep free memory mapped and locked for reuse. When a region would cross a budget, every allocator of the
 * process is first asked to give back what its pools keep free ({@link #reclaim()}); only if the region still does
 * not fit does the policy decide (throw, or go on unlocked). A pool gives memory back under its own lock, and the
 * thread that maps a region holds the lock of the pool it maps for, so it cannot reclaim there: {@code Regions}
 * throws {@link Exhausted} instead, and the allocator, which holds no pool lock, reclaims and tries once more
 * within {@link #lastTry}.
 */
public final class Budgets {
    /** {@code RLIMIT_MEMLOCK}, read once: a limit changed while the process runs is not seen. */
    static final long MEMLOCK_LIMIT = Libc.getrlimit(Platform.RLIMIT_MEMLOCK)[0];
    /** Whether locking has no limit here: {@code CAP_IPC_LOCK}, or an unlimited {@code RLIMIT_MEMLOCK}. */
    static final boolean LOCK_UNLIMITED = Proc.holdsCapIpcLock() || MEMLOCK_LIMIT == Platform.RLIM_INFINITY;
    static final long MAX_MAP_COUNT = Proc.readLong("/proc/sys/vm/max_map_count", 65530);
    /** The RAM the process may use (physical, or less under a memory cgroup); no region, and not all locked data
     * together, may exceed it. */
    static final RamLimit RAM = RamLimit.ofThisProcess();

    private static final AtomicLong LOCKED = new AtomicLong();
    private static final AtomicLong MAPPINGS = new AtomicLong();
    /** What each open allocator runs to give back the free memory its pools keep; none refers to its allocator. */
    private static final Set<Runnable> RECLAIMERS = ConcurrentHashMap.newKeySet();
    private static final ThreadLocal<Boolean> LAST_TRY = new ThreadLocal<>();

    private Budgets() {
    }

    /**
     * A region would cross a budget and this is not the last try: the caller reclaims and tries again. It carries no
     * stack trace and never reaches a user.
     */
    public static final class Exhausted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Exhausted() {
            super("a budget of secret memory is exhausted", null, false, false);
        }
    }

    /** {@return bytes every allocator of the process has locked} */
    static long locked() {
        return LOCKED.get();
    }

    /**
     * Reserves {@code bytes} of the memlock budget, unless they would cross {@code limit}.
     *
     * @return whether they were reserved
     */
    static boolean tryLock(long bytes, long limit) {
        while (true) {
            long now = LOCKED.get();
            if (now + bytes > limit) {
                return false;
            }
            if (LOCKED.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives {@code bytes} back to the memlock budget. */
    static void unlock(long bytes) {
        LOCKED.addAndGet(-bytes);
    }

    /** {@return mappings every allocator of the process adds, at most} */
    static long mappings() {
        return MAPPINGS.get();
    }

    static void addMappings(long n) {
        MAPPINGS.addAndGet(n);
    }

    /** {@return whether the calling thread is in its {@link #lastTry}: no more reclaiming, the policy decides} */
    static boolean isLastTry() {
        return LAST_TRY.get() != null;
    }

    /** {@return a new {@link Exhausted}, or {@code null} on the last try, when the policy decides instead} */
    static Exhausted exhaustedUnlessLastTry() {
        return isLastTry() ? null : new Exhausted();
    }

    /** {@return what {@code action} returns, run as the last try after a reclaim} */
    public static <T> T lastTry(Supplier<T> action) {
        LAST_TRY.set(Boolean.TRUE);
        try {
            return action.get();
        } finally {
            LAST_TRY.remove();
        }
    }

    /** Enrolls an open allocator's {@code reclaimer}, which must not refer to the allocator (it would never die). */
    public static void enroll(Runnable reclaimer) {
        RECLAIMERS.add(reclaimer);
    }

    /** Forgets a reclaimer: its allocator was released. */
    public static void forget(Runnable reclaimer) {
        RECLAIMERS.remove(reclaimer);
    }

    /** Asks every open allocator to give back the free memory its pools keep. The caller holds no pool lock. */
    public static void reclaim() {
        for (Runnable r : RECLAIMERS) {
            r.run();
        }
    }
}
