package dev.hardmem.internal.os;

import dev.hardmem.SystemCallException;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fault injection for tests: makes the next calls to {@code mmap}, {@code mprotect}, {@code madvise},
 * {@code mlock} or {@code memfd_secret} fail with a chosen errno, as if the kernel had refused them.
 *
 * <p>This is not exported from the module, so only code on the class path (the test suite) can reach it. It
 * cannot turn any check off; it can only make the operating system look less cooperative.
 */
public final class Faults {
    private static final Map<String, int[]> PLANNED = new ConcurrentHashMap<>();
    private static volatile boolean armed;

    private Faults() {
    }

    /**
     * Makes the next {@code count} calls of {@code call} fail with {@code errno} (a count below 0: every call).
     */
    public static void inject(String call, int errno, int count) {
        PLANNED.put(call, new int[] {errno, count});
        armed = true;
    }

    /** Removes every planned fault. */
    public static void clear() {
        PLANNED.clear();
        armed = false;
    }

    static void check(String call, String args) {
        if (!armed) {
            return;
        }
        int[] plan = PLANNED.get(call);
        if (plan == null) {
            return;
        }
        synchronized (plan) {
            if (plan[1] == 0) {
                return;
            }
            if (plan[1] > 0) {
                plan[1]--;
            }
        }
        throw new SystemCallException(call, plan[0],
                call + "(" + args + ") failed: " + Errno.describe(plan[0]) + " [injected]");
    }
}
