package dev.hardmem;

import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Platform;
import dev.hardmem.internal.os.Proc;
import dev.hardmem.internal.os.Smaps;
import dev.hardmem.internal.os.Sodium;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What this machine and this process give hardmem, read live: limits, kernel features that are really tried (not
 * guessed from a version number), and the settings that decide whether memory can leave the process through swap,
 * core dumps or a debugger.
 *
 * <p>{@link #probe()} makes a handful of system calls (it maps, advises and unmaps one page, and creates and
 * destroys one {@code memfd_secret} file); nothing it does outlives the call. {@code probe()} is the only way to get
 * an instance: a report says what this machine gave, so no one else may make one up.
 */
public final class Capabilities {
    private final long pageSize;
    private final long memlockSoft;
    private final long memlockHard;
    private final boolean capIpcLock;
    private final String memfdSecret;
    private final boolean madvDontdump;
    private final boolean madvWipeonfork;
    private final long coreSoft;
    private final long coreHard;
    private final String corePattern;
    private final int dumpable;
    private final long maxMapCount;
    private final int mappings;
    private final boolean swapOn;
    private final int ptraceScope;
    private final String kernel;
    private final String libsodium;
    private final boolean libsodiumWorks;

    private Capabilities(long pageSize, long memlockSoft, long memlockHard, boolean capIpcLock, String memfdSecret,
                         boolean madvDontdump, boolean madvWipeonfork, long coreSoft, long coreHard,
                         String corePattern, int dumpable, long maxMapCount, int mappings, boolean swapOn,
                         int ptraceScope, String kernel, String libsodium, boolean libsodiumWorks) {
        this.pageSize = pageSize;
        this.memlockSoft = memlockSoft;
        this.memlockHard = memlockHard;
        this.capIpcLock = capIpcLock;
        this.memfdSecret = memfdSecret;
        this.madvDontdump = madvDontdump;
        this.madvWipeonfork = madvWipeonfork;
        this.coreSoft = coreSoft;
        this.coreHard = coreHard;
        this.corePattern = corePattern;
        this.dumpable = dumpable;
        this.maxMapCount = maxMapCount;
        this.mappings = mappings;
        this.swapOn = swapOn;
        this.ptraceScope = ptraceScope;
        this.kernel = kernel;
        this.libsodium = libsodium;
        this.libsodiumWorks = libsodiumWorks;
    }

    /**
     * Reads the capabilities of this machine and process now.
     *
     * @return the report
     * @throws UnsupportedOperationException if this is not Linux on x86_64 or aarch64
     */
    public static Capabilities probe() {
        Platform.current();
        long[] memlock = Libc.getrlimit(Platform.RLIMIT_MEMLOCK);
        long[] core = Libc.getrlimit(Platform.RLIMIT_CORE);
        return new Capabilities(
                Memory.pageSize(), memlock[0], memlock[1], Proc.holdsCapIpcLock(),
                tryMemfdSecret(), tryAdvice(Platform.MADV_DONTDUMP), tryAdvice(Platform.MADV_WIPEONFORK),
                core[0], core[1], Proc.readLine("/proc/sys/kernel/core_pattern"),
                Libc.prctl(Platform.PR_GET_DUMPABLE, 0),
                Proc.readLong("/proc/sys/vm/max_map_count", -1), Smaps.countMappings(), readSwapOn(),
                (int) Proc.readLong("/proc/sys/kernel/yama/ptrace_scope", -1),
                Objects.requireNonNullElse(Proc.readLine("/proc/sys/kernel/osrelease"), "unknown"),
                Sodium.available() ? Sodium.version() : Sodium.missingReason(), Sodium.available());
    }

    /** {@return bytes per page ({@code sysconf(_SC_PAGESIZE)})} */
    public long pageSize() {
        return pageSize;
    }

    /** {@return the {@code RLIMIT_MEMLOCK} soft limit in bytes, -1 for unlimited} */
    public long memlockSoft() {
        return memlockSoft;
    }

    /** {@return the {@code RLIMIT_MEMLOCK} hard limit in bytes, -1 for unlimited} */
    public long memlockHard() {
        return memlockHard;
    }

    /** {@return whether the process holds {@code CAP_IPC_LOCK} (then the memlock limit does not apply)} */
    public boolean capIpcLock() {
        return capIpcLock;
    }

    /**
     * {@return {@code "ok"} if {@code memfd_secret(2)} worked end to end, otherwise why not, in words, with the
     * failed call's errno}
     */
    public String memfdSecret() {
        return memfdSecret;
    }

    /** {@return whether {@code madvise(MADV_DONTDUMP)} was accepted} */
    public boolean madvDontdump() {
        return madvDontdump;
    }

    /** {@return whether {@code madvise(MADV_WIPEONFORK)} was accepted} */
    public boolean madvWipeonfork() {
        return madvWipeonfork;
    }

    /** {@return the {@code RLIMIT_CORE} soft limit in bytes, -1 for unlimited} */
    public long coreSoft() {
        return coreSoft;
    }

    /** {@return the {@code RLIMIT_CORE} hard limit in bytes, -1 for unlimited} */
    public long coreHard() {
        return coreHard;
    }

    /** {@return {@code /proc/sys/kernel/core_pattern}, or {@code null} if it is unreadable} */
    public String corePattern() {
        return corePattern;
    }

    /** {@return {@code prctl(PR_GET_DUMPABLE)}: 0 none, 1 yes, 2 root only} */
    public int dumpable() {
        return dumpable;
    }

    /** {@return {@code vm.max_map_count}, or -1 if it is unreadable} */
    public long maxMapCount() {
        return maxMapCount;
    }

    /** {@return the mappings this process had when probed} */
    public int mappings() {
        return mappings;
    }

    /** {@return whether any swap area is active ({@code /proc/swaps})} */
    public boolean swapOn() {
        return swapOn;
    }

    /** {@return {@code kernel.yama.ptrace_scope}, or -1 if Yama is absent} */
    public int ptraceScope() {
        return ptraceScope;
    }

    /** {@return the kernel release ({@code /proc/sys/kernel/osrelease}), or {@code "unknown"}} */
    public String kernel() {
        return kernel;
    }

    /**
     * {@return libsodium's version ({@code sodium_version_string()}) if it was found and initialised, otherwise why
     * not, in words} The native crypto of {@code dev.hardmem.crypto} needs it; nothing else does.
     */
    public String libsodium() {
        return libsodium;
    }

    /** {@return whether libsodium was found and initialised: the native crypto of {@code dev.hardmem.crypto} runs} */
    public boolean libsodiumWorks() {
        return libsodiumWorks;
    }

    /** {@return whether {@code memfd_secret(2)} worked end to end} */
    public boolean memfdSecretWorks() {
        return "ok".equals(memfdSecret);
    }

    /** {@return whether memory can be locked without the memlock limit applying (root or {@code CAP_IPC_LOCK})} */
    public boolean memlockUnlimited() {
        return capIpcLock || memlockSoft == Platform.RLIM_INFINITY;
    }

    /** {@return whether a process crash can write a core file (core limit above 0 and the process dumpable)} */
    public boolean coreDumpsPossible() {
        return coreSoft != 0 && dumpable != 0;
    }

    private static String tryMemfdSecret() {
        int fd;
        try {
            fd = Libc.memfdSecret(0);
        } catch (SystemCallException e) {
            return memfdSecretRefused(e);
        }
        try {
            long page = Memory.pageSize();
            Libc.ftruncate(fd, page);
            MemorySegment m = Libc.mmap(page, Platform.PROT_READ | Platform.PROT_WRITE, Platform.MAP_SHARED, fd, 0);
            try {
                m.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
                m.fill((byte) 0);
            } finally {
                Libc.munmap(m);
            }
            return "ok";
        } catch (SystemCallException e) {
            return memfdSecretRefused(e);
        } finally {
            Libc.close(fd);
        }
    }

    /** {@return why {@code memfd_secret} cannot be used, in words, with the call and errno that said so} */
    private static String memfdSecretRefused(SystemCallException e) {
        String why;
        if (e.call().equals("memfd_secret") && e.errno() == Errno.ENOSYS) {
            why = "the kernel lacks it (Linux 5.14+; before 6.5 it also needs secretmem.enable=1 at boot)";
        } else if (e.call().equals("memfd_secret") && e.errno() == Errno.EPERM) {
            why = "the kernel or a seccomp filter refuses it";
        } else if (e.call().equals("mmap") && (e.errno() == Errno.EAGAIN || e.errno() == Errno.ENOMEM)) {
            why = "its pages are always locked and RLIMIT_MEMLOCK leaves no room for one page";
        } else {
            why = "the kernel refused it";
        }
        return why + " (" + e.call() + ": " + Errno.symbol(e.errno()) + ")";
    }

    private static boolean tryAdvice(int advice) {
        long page = Memory.pageSize();
        MemorySegment m = Libc.mmap(page, Platform.PROT_READ | Platform.PROT_WRITE,
                Platform.MAP_PRIVATE | Platform.MAP_ANONYMOUS, -1, 0);
        try {
            Libc.madvise(m, advice);
            return true;
        } catch (SystemCallException e) {
            if (e.errno() != Errno.EINVAL) {
                throw e;
            }
            return false;
        } finally {
            Libc.munmap(m);
        }
    }

    private static boolean readSwapOn() {
        String swaps = Proc.read("/proc/swaps");
        return swaps != null && swaps.strip().lines().count() > 1;
    }

    /** {@return the protections the default policy needs that this machine does not give, as sentences} */
    public List<String> missingForDefaultPolicy() {
        List<String> missing = new ArrayList<>();
        if (!memlockUnlimited() && memlockSoft < 64 * 1024) {
            missing.add("RLIMIT_MEMLOCK is " + memlockSoft + " bytes: too small to lock even one slab;"
                    + " raise it (ulimit -l, or LimitMEMLOCK= in a systemd unit)");
        }
        if (!madvDontdump) {
            missing.add("the kernel refuses MADV_DONTDUMP: secrets would appear in core dumps");
        }
        if (!madvWipeonfork) {
            missing.add("the kernel refuses MADV_WIPEONFORK (Linux 4.14+): a forked child would inherit secrets");
        }
        return missing;
    }
}
