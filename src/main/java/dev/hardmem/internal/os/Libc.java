package dev.hardmem.internal.os;

import dev.hardmem.SystemCallException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Downcalls to the C library: the only place in hardmem that calls restricted FFM methods.
 *
 * <p>Every handle is created once, when this class initialises. Calls that report failure through
 * {@code errno} capture it with {@link Linker.Option#captureCallState(String...)}: reading {@code errno}
 * with a second downcall is unreliable because the JVM may itself make calls in between.
 *
 * <p>A failure throws {@link SystemCallException} naming the call, the lengths involved and the errno symbol and
 * text, e.g. {@code mlock(len=4096) failed: EPERM (Operation not permitted)}. Addresses and memory contents never
 * appear in a message.
 *
 * <p>None of the calls use {@link Linker.Option#critical(boolean)}: {@code mmap}, {@code mlock} and
 * {@code madvise} can block for a long time, and a critical call would stall the garbage collector meanwhile.
 */
@SuppressWarnings("restricted") // this package is where restricted calls are allowed to live
public final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MPROTECT;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MLOCK;
    private static final MethodHandle MUNLOCK;
    private static final MethodHandle GETRANDOM;
    private static final MethodHandle GETRLIMIT;
    private static final MethodHandle SETRLIMIT;
    private static final MethodHandle PRCTL;
    private static final MethodHandle SYSCONF;
    private static final MethodHandle WRITE;
    private static final MethodHandle READ;
    private static final MethodHandle PIPE;
    private static final MethodHandle CLOSE;
    private static final MethodHandle FTRUNCATE;
    private static final MethodHandle SYSCALL1;
    private static final MethodHandle MEMSET;
    private static final MethodHandle MEMSET_CRITICAL;
    private static final MethodHandle POSIX_MEMALIGN;
    private static final MethodHandle FREE;

    static {
        Platform.current();
        MMAP = errnoHandle("mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_LONG));
        MUNMAP = errnoHandle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        MPROTECT = errnoHandle("mprotect", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        MADVISE = errnoHandle("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        MLOCK = errnoHandle("mlock", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        MUNLOCK = errnoHandle("munlock", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        GETRANDOM = errnoHandle("getrandom", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
        GETRLIMIT = errnoHandle("getrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        SETRLIMIT = errnoHandle("setrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        // prctl and syscall are variadic in glibc: the variadic arguments must be passed as such.
        PRCTL = errnoHandle("prctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_LONG), Linker.Option.firstVariadicArg(1));
        SYSCONF = errnoHandle("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        WRITE = errnoHandle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        READ = errnoHandle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        PIPE = errnoHandle("pipe", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        CLOSE = errnoHandle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        FTRUNCATE = errnoHandle("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
        SYSCALL1 = errnoHandle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        MEMSET = LINKER.downcallHandle(symbol("memset"), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG));
        // memset never blocks, so a critical call is safe, and it may take heap segments (arrays) directly.
        MEMSET_CRITICAL = LINKER.downcallHandle(symbol("memset"),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG), Linker.Option.critical(true));
        POSIX_MEMALIGN = LINKER.downcallHandle(symbol("posix_memalign"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        FREE = LINKER.downcallHandle(symbol("free"), FunctionDescriptor.ofVoid(ADDRESS));
    }

    private static final long MAP_FAILED = -1L;

    private Libc() {
    }

    private static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsupportedOperationException(
                "the C library of this system has no '" + name + "', which hardmem needs"));
    }

    private static MethodHandle errnoHandle(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(symbol(name), fd, options);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static SystemCallException failure(String call, String args, int errno) {
        return new SystemCallException(call, errno, call + "(" + args + ") failed: " + Errno.describe(errno));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private static void requirePageRange(String call, MemorySegment region) {
        if (region.byteSize() <= 0) {
            throw new IllegalArgumentException(call + ": length must be positive, was " + region.byteSize());
        }
    }

    // ---------------------------------------------------------------- memory mappings

    /**
     * Maps {@code length} bytes and returns them as a segment of the global scope: the caller owns the mapping and
     * must {@link #munmap} it.
     */
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        return mmapAt(MemorySegment.NULL, length, prot, flags, fd, offset);
    }

    /**
     * Maps {@code length} bytes at {@code hint} ({@code MAP_FIXED} in {@code flags} replaces what is there).
     */
    public static MemorySegment mmapAt(MemorySegment hint, long length, int prot, int flags, int fd, long offset) {
        if (length <= 0) {
            throw new IllegalArgumentException("mmap: length must be positive, was " + length);
        }
        Faults.check("mmap", "len=" + length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment p = (MemorySegment) MMAP.invokeExact(state, hint, length, prot, flags, fd, offset);
            if (p.address() == MAP_FAILED) {
                throw failure("mmap", "len=" + length + ", prot=" + prot + ", flags=0x" + Integer.toHexString(flags)
                        + ", fd=" + fd, errno(state));
            }
            return p.reinterpret(length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Unmaps {@code region}. */
    public static void munmap(MemorySegment region) {
        requirePageRange("munmap", region);
        checked("munmap", MUNMAP, region);
    }

    /** Sets the protection of {@code region} to {@code prot}. */
    public static void mprotect(MemorySegment region, int prot) {
        requirePageRange("mprotect", region);
        Faults.check("mprotect", "len=" + region.byteSize() + ", prot=" + prot);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int r = (int) MPROTECT.invokeExact(state, region, region.byteSize(), prot);
            if (r != 0) {
                throw failure("mprotect", "len=" + region.byteSize() + ", prot=" + prot, errno(state));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Gives the kernel {@code advice} ({@code MADV_*}) about {@code region}. */
    public static void madvise(MemorySegment region, int advice) {
        requirePageRange("madvise", region);
        Faults.check("madvise", "len=" + region.byteSize() + ", advice=" + advice);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int r = (int) MADVISE.invokeExact(state, region, region.byteSize(), advice);
            if (r != 0) {
                throw failure("madvise", "len=" + region.byteSize() + ", advice=" + advice, errno(state));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Locks {@code region} into RAM. */
    public static void mlock(MemorySegment region) {
        requirePageRange("mlock", region);
        Faults.check("mlock", "len=" + region.byteSize());
        checked("mlock", MLOCK, region);
    }

    /** Unlocks {@code region}. */
    public static void munlock(MemorySegment region) {
        requirePageRange("munlock", region);
        checked("munlock", MUNLOCK, region);
    }

    /** Calls an {@code int f(void*, size_t)} handle on {@code region}. */
    private static void checked(String call, MethodHandle h, MemorySegment region) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int r = (int) h.invokeExact(state, region, region.byteSize());
            if (r != 0) {
                throw failure(call, "len=" + region.byteSize(), errno(state));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- randomness

    /**
     * Fills {@code destination} with bytes from the kernel's CSPRNG ({@code getrandom(2)}, flags 0: blocks only
     * until the pool is first initialised), straight into its memory, with no copy on the Java heap.
     */
    public static void getrandom(MemorySegment destination) {
        long done = 0;
        long size = destination.byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (done < size) {
                MemorySegment rest = destination.asSlice(done);
                long n = (long) GETRANDOM.invokeExact(state, rest, rest.byteSize(), 0);
                if (n < 0) {
                    int e = errno(state);
                    if (e == Errno.EINTR) {
                        continue;
                    }
                    throw failure("getrandom", "len=" + rest.byteSize(), e);
                }
                done += n;
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- limits and process state

    /** {@return {@code {soft, hard}} for {@code resource}; {@link Platform#RLIM_INFINITY} (-1) means unlimited} */
    public static long[] getrlimit(int resource) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment limit = arena.allocate(JAVA_LONG, 2);
            int r = (int) GETRLIMIT.invokeExact(state, resource, limit);
            if (r != 0) {
                throw failure("getrlimit", "resource=" + resource, errno(state));
            }
            return new long[] {limit.getAtIndex(JAVA_LONG, 0), limit.getAtIndex(JAVA_LONG, 1)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets {@code resource} to {@code soft}/{@code hard}. */
    public static void setrlimit(int resource, long soft, long hard) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment limit = arena.allocate(JAVA_LONG, 2);
            limit.setAtIndex(JAVA_LONG, 0, soft);
            limit.setAtIndex(JAVA_LONG, 1, hard);
            int r = (int) SETRLIMIT.invokeExact(state, resource, limit);
            if (r != 0) {
                throw failure("setrlimit", "resource=" + resource, errno(state));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@return the result of {@code prctl(option, arg2, 0, 0, 0)}} */
    public static int prctl(int option, long arg2) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int r = (int) PRCTL.invokeExact(state, option, arg2, 0L, 0L, 0L);
            if (r < 0) {
                throw failure("prctl", "option=" + option, errno(state));
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@return {@code sysconf(name)}} */
    public static long sysconf(int name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long r = (long) SYSCONF.invokeExact(state, name);
            if (r < 0) {
                throw failure("sysconf", "name=" + name, errno(state));
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- file descriptors

    /** {@return {@code write(fd, source, source.byteSize())}: bytes written, or {@code -errno} on failure} */
    public static long writeOrErrno(int fd, MemorySegment source) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long n = (long) WRITE.invokeExact(state, fd, source, source.byteSize());
            return n < 0 ? -errno(state) : n;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@return {@code read(fd, destination, destination.byteSize())}: bytes read; throws on failure} */
    public static long read(int fd, MemorySegment destination) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long n = (long) READ.invokeExact(state, fd, destination, destination.byteSize());
            if (n < 0) {
                throw failure("read", "fd=" + fd + ", len=" + destination.byteSize(), errno(state));
            }
            return n;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@return a new pipe as {@code {readFd, writeFd}}} */
    public static int[] pipe() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r = (int) PIPE.invokeExact(state, fds);
            if (r != 0) {
                throw failure("pipe", "", errno(state));
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Closes {@code fd}. */
    public static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int r = (int) CLOSE.invokeExact(state, fd);
            if (r != 0) {
                throw failure("close", "fd=" + fd, errno(state));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets the size of the file behind {@code fd} to {@code length}. */
    public static void ftruncate(int fd, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int r = (int) FTRUNCATE.invokeExact(state, fd, length);
            if (r != 0) {
                throw failure("ftruncate", "fd=" + fd + ", len=" + length, errno(state));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@return a new {@code memfd_secret(2)} file descriptor} Its pages are removed from the kernel's direct map.
     *
     * @throws SystemCallException with {@code ENOSYS} where the kernel lacks it or it is disabled (before Linux
     *                             6.5 it needs {@code secretmem.enable=1} on the kernel command line)
     */
    public static int memfdSecret(int flags) {
        Faults.check("memfd_secret", "flags=" + flags);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long r = (long) SYSCALL1.invokeExact(state, Platform.current().sysMemfdSecret(), (long) flags);
            if (r < 0) {
                throw failure("memfd_secret", "flags=" + flags, errno(state));
            }
            return (int) r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- raw memory

    /**
     * Calls the C library's {@code memset} on {@code length} bytes at {@code region}'s address, with no bounds check
     * of any kind. Tests use it to write past the end of a secret on purpose; benchmarks use it as the bandwidth
     * baseline for wiping.
     */
    public static void memset(MemorySegment region, int value, long length) {
        try {
            MemorySegment ignored = (MemorySegment) MEMSET.invokeExact(region, value, length);
            assert ignored != null;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@return {@code size} bytes from the C heap, aligned to {@code alignment} (a power of two, at least the size
     * of a pointer), as a global-scope segment the caller must {@link #free}}
     */
    public static MemorySegment posixMemalign(long size, long alignment) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int r = (int) POSIX_MEMALIGN.invokeExact(out, alignment, size);
            if (r != 0) {
                // posix_memalign returns the error instead of setting errno
                throw failure("posix_memalign", "len=" + size + ", alignment=" + alignment, r);
            }
            return out.get(ADDRESS, 0).reinterpret(size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Frees memory from {@link #posixMemalign}. */
    public static void free(MemorySegment memory) {
        try {
            FREE.invokeExact(memory);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Bytes zeroed per critical call: a critical call holds up safepoints, so long wipes are cut in pieces. */
    private static final long ZERO_CHUNK = 1L << 20;

    /**
     * Sets every byte of {@code segment} (native or heap) to zero with the C library's {@code memset}, the
     * fastest fill on the machine. A downcall is opaque to the JIT: it cannot be removed as a dead store.
     */
    public static void zero(MemorySegment segment) {
        try {
            long size = segment.byteSize();
            for (long done = 0; done < size; done += ZERO_CHUNK) {
                long n = Math.min(ZERO_CHUNK, size - done);
                MemorySegment ignored = (MemorySegment) MEMSET_CRITICAL.invokeExact(segment.asSlice(done, n), 0, n);
                assert ignored != null;
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
