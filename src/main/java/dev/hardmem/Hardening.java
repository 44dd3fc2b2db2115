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
 *
 * <h2>The JVM's crash log</h2>
 * {@code apply()} does not stop the JVM's own crash log. When the JVM dies of a fault (a native overrun into a guard
 * page, say), HotSpot writes an {@code hs_err} file whose register dump and "register to memory mapping" can hold
 * bytes of the secret that was being read or copied when it faulted; by default the file goes to the working
 * directory, readable by other users under the usual umask. A process cannot change where it goes once it runs:
 * start the JVM with {@code -XX:ErrorFile=<private directory>/hs_err_pid%p.log}, the directory owned by the
 * process's user with mode {@code 0700}. {@link #crashLog()} and {@link #crashLogIsPrivate()} say where the file
 * would go and whether that holds.
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

    /**
     * {@return where this JVM would write its crash log (the {@code hs_err} file) if it died now} An absolute file
     * name, with the process id in place of {@code %p}: from {@code -XX:ErrorFile} (relative to the working
     * directory), or {@code hs_err_pid<pid>.log} in the working directory without it; or {@code "stdout"} or
     * {@code "stderr"} under {@code -XX:+ErrorFileToStdout} or {@code -XX:+ErrorFileToStderr}. If HotSpot cannot
     * create the file there when it dies, it tries the working directory, then {@code /tmp}.
     *
     * @throws UnsupportedOperationException if this JVM does not report its crash log options (it is not HotSpot)
     */
    public static String crashLog() {
        return CrashLog.where();
    }

    /**
     * {@return whether the crash log would go to a directory that this process's user owns and no other user may
     * enter or list} False for {@code stdout} and {@code stderr}, and for a directory that does not exist.
     *
     * @throws UnsupportedOperationException if this JVM does not report its crash log options (it is not HotSpot)
     */
    public static boolean crashLogIsPrivate() {
        return CrashLog.isPrivate(CrashLog.where());
    }
}
