package dev.hardmem.internal.os;

import java.util.Locale;

/**
 * The one place where the numbers of the operating system live: protection bits, mapping flags, advice values,
 * resource numbers and system call numbers, per supported platform.
 *
 * <p>Linux on x86_64 and aarch64 are supported. Both use the kernel's generic values for everything hardmem
 * needs, but they are listed per platform so that a port (or a divergence) has one obvious place to go. On any
 * other system {@link #current()} throws {@link UnsupportedOperationException} naming the system and what is
 * missing.
 */
public enum Platform {
    LINUX_X86_64("linux", "amd64", 447),
    LINUX_AARCH64("linux", "aarch64", 447);

    public static final int PROT_NONE = 0x0;
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;

    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;

    public static final int MADV_DONTFORK = 10;
    public static final int MADV_DONTDUMP = 16;
    public static final int MADV_WIPEONFORK = 18;

    public static final int RLIMIT_CORE = 4;
    public static final int RLIMIT_MEMLOCK = 8;
    /** {@code RLIM_INFINITY}: all bits set, which Java reads as -1. */
    public static final long RLIM_INFINITY = -1L;

    public static final int PR_GET_DUMPABLE = 3;
    public static final int PR_SET_DUMPABLE = 4;

    public static final int SC_PAGESIZE = 30;
    public static final int SC_PHYS_PAGES = 85;

    private static final Platform CURRENT = detect();
    private static final String UNSUPPORTED = System.getProperty("os.name") + "/" + System.getProperty("os.arch");

    private final String os;
    private final String arch;
    private final long sysMemfdSecret;

    Platform(String os, String arch, long sysMemfdSecret) {
        this.os = os;
        this.arch = arch;
        this.sysMemfdSecret = sysMemfdSecret;
    }

    /** {@return the system call number of {@code memfd_secret(2)}} */
    public long sysMemfdSecret() {
        return sysMemfdSecret;
    }

    /** {@return whether this JVM runs on a supported platform} */
    public static boolean isSupported() {
        return CURRENT != null;
    }

    /**
     * {@return the platform this JVM runs on}
     *
     * @throws UnsupportedOperationException if it is not Linux on x86_64 or aarch64
     */
    public static Platform current() {
        if (CURRENT == null) {
            throw new UnsupportedOperationException(unsupportedReason());
        }
        return CURRENT;
    }

    /** {@return why this platform is unsupported, or {@code null} if it is supported} */
    public static String unsupportedReason() {
        if (CURRENT != null) {
            return null;
        }
        return "hardmem supports Linux on x86_64 and aarch64; this is " + UNSUPPORTED
                + ", which lacks the mmap/mprotect/mlock/madvise(MADV_DONTDUMP, MADV_WIPEONFORK) support hardmem"
                + " is built on (macOS and Windows are planned, not built)";
    }

    private static Platform detect() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (arch.equals("x86_64")) {
            arch = "amd64";
        }
        if (arch.equals("arm64")) {
            arch = "aarch64";
        }
        for (Platform p : values()) {
            if (os.startsWith(p.os) && arch.equals(p.arch)) {
                return p;
            }
        }
        return null;
    }
}
