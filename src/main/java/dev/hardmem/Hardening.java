package dev.hardmem;

import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Platform;

/**
 * Opt-in hardening of the whole process against the two ways another process or a crash reads its memory.
 *
 * <p>{@link #apply()} sets {@code PR_SET_DUMPABLE} to 0 and {@code RLIMIT_CORE} to 0. Afterwards a crash writes no
 * core file, and a debugger running as the same user can no longer attach ({@code ptrace}, {@code gcore},
 * {@code /proc/PID/mem}): only a process with {@code CAP_SYS_PTRACE} (normally root) still can.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed after {@code apply()} returns: the two settings above, for this process. Not guaranteed: root or any
 * process with {@code CAP_SYS_PTRACE}; settings changed back by other code in the process; the kernel resets
 * dumpable to 1 on {@code execve} of a new program. Side effects to know: {@code /proc/self/*} files become owned by
 * root, so tools that read them as the process's user (some profilers, {@code jcmd} attach) stop working, and a
 * crash leaves no core to debug.
 */
public final class Hardening {
    private Hardening() {
    }

    /**
     * Makes this process non-dumpable and sets its core-file limit to zero.
     *
     * @throws SystemCallException           if the kernel refuses either setting
     * @throws UnsupportedOperationException if this is not Linux on x86_64 or aarch64
     */
    public static void apply() {
        Platform.current();
        Libc.setrlimit(Platform.RLIMIT_CORE, 0, 0);
        Libc.prctl(Platform.PR_SET_DUMPABLE, 0);
    }

    /** {@return whether this process is non-dumpable and may write no core file, as {@link #apply()} leaves it} */
    public static boolean isApplied() {
        Platform.current();
        return Libc.prctl(Platform.PR_GET_DUMPABLE, 0) == 0 && Libc.getrlimit(Platform.RLIMIT_CORE)[0] == 0;
    }
}
