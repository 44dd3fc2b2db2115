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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

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
 * <p>None of the calls use {@link Linker.Option#critical(boolean)}, except the {@code memset} behind
 * {@link #zero}: {@code mmap}, {@code mlock} and {@code madvise} can block for a long time, and a critical call
 * would stall the garbage collector meanwhile.
 */
@SuppressWarnings("restricted") // this package is where restricted calls are allowed to live
public final class Libc {
    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    static {
        Platform.current(); // fails first, naming what is missing, on a platform hardmem does not support
        NativeAccess.require(); // then, before the first downcall handle, where native access is denied
    }

    private static final MethodHandle MMAP =
            errnoHandle("mmap", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle MUNMAP = errnoHandle("munmap", JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle MPROTECT = errnoHandle("mprotect", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle MADVISE = errnoHandle("madvise", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle MLOCK = errnoHandle("mlock", JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle MUNLOCK = errnoHandle("munlock", JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle MINCORE = errnoHandle("mincore", JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS);
    private static final MethodHandle GETRANDOM = errnoHandle("getrandom", JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle GETRLIMIT = errnoHandle("getrlimit", JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle SETRLIMIT = errnoHandle("setrlimit", JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle SYSCONF = errnoHandle("sysconf", JAVA_LONG, JAVA_INT);
    private static final MethodHandle WRITE = errnoHandle("write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle READ = errnoHandle("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle PIPE = errnoHandle("pipe", JAVA_INT, ADDRESS);
    private static final MethodHandle CLOSE = errnoHandle("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle FTRUNCATE = errnoHandle("ftruncate", JAVA_INT, JAVA_INT, JAVA_LONG);
    // prctl and syscall are variadic in glibc: the arguments after the first must be passed as variadic ones.
    private static final MethodHandle PRCTL = LINKER.downcallHandle(symbol("prctl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            CAPTURE_ERRNO, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL1 = LINKER.downcallHandle(symbol("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG), CAPTURE_ERRNO, Linker.Option.firstVariadicArg(1));
    // memset returns its first argument, which no caller wants: dropping it makes each call a plain statement.
    private static final MethodHandle MEMSET = MethodHandles.dropReturn(LINKER.downcallHandle(symbol("memset"),
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG)));
    // memset never blocks, so a critical call is safe, and it may take heap segments (arrays) directly.
    private static final MethodHandle MEMSET_CRITICAL = MethodHandles.dropReturn(LINKER.downcallHandle(
            symbol("memset"), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG),
            Linker.Option.critical(true)));
    private static final MethodHandle POSIX_MEMALIGN = LINKER.downcallHandle(symbol("posix_memalign"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(symbol("free"), FunctionDescriptor.ofVoid(ADDRESS));
    /**
     * {@code open(path, flags, mode)}: variadic after the flags, so the mode is passed as a variadic argument. Here,
     * not with its users ({@code OpenFile}, {@code Terminal}), so that neither needs the other's functions.
     */
    static final MethodHandle OPEN = LINKER.downcallHandle(symbol("open"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), CAPTURE_ERRNO,
            Linker.Option.firstVariadicArg(2));

    private static final long MAP_FAILED = -1L;

    /** Bytes zeroed per critical call: a critical call holds up safepoints, so long wipes are cut in pieces. */
    private static final long ZERO_CHUNK = 1L << 20;

    private Libc() {
    }

    // ---------------------------------------------------------------- call helpers

    /**
     * One downcall through a handle made with {@link #CAPTURE_ERRNO}, which leaves {@code errno} in {@code state}.
     * Its result, whatever its C type ({@code int}, {@code ssize_t}, a pointer), comes back widened to a long.
     */
    @FunctionalInterface
    interface Call {
        long invoke(MemorySegment state) throws Throwable;
    }

    /**
     * One downcall that reports no {@code errno} and returns nothing. Write it as a block: in an expression lambda
     * {@code invokeExact} is typed to return {@code Object}, which the handle does not, and the call would throw
     * {@link java.lang.invoke.WrongMethodTypeException}.
     */
    @FunctionalInterface
    private interface PlainCall {
        void invoke() throws Throwable;
    }

    /**
     * {@return what {@code call} returned} If {@code failed} says that result is a failure, throws a
     * {@link SystemCallException} with {@code name}, the text of {@code args} (built only then) and {@code errno}.
     */
    static long checked(String name, LongPredicate failed, Supplier<String> args, Call call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long r = call.invoke(state);
            if (failed.test(r)) {
                throw failure(name, args.get(), errno(state));
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Calls a function that returns 0 on success, anything else (-1) with {@code errno} on failure. */
    static void callZero(String name, Supplier<String> args, Call call) {
        checked(name, r -> r != 0, args, call);
    }

    /** {@return the count or descriptor a function returned} A negative result (-1) is a failure. */
    static long callLong(String name, Supplier<String> args, Call call) {
        return checked(name, r -> r < 0, args, call);
    }

    /** {@return the {@code length} bytes at the address a function returned} {@code MAP_FAILED} is a failure. */
    private static MemorySegment callAddress(String name, long length, Supplier<String> args, Call call) {
        return MemorySegment.ofAddress(checked(name, r -> r == MAP_FAILED, args, call)).reinterpret(length);
    }

    /** {@return what {@code call} returned, or {@code -errno} in place of a negative result} */
    static long callOrErrno(Call call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long r = call.invoke(state);
            return r < 0 ? -errno(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Calls a function that cannot fail. */
    private static void callPlain(PlainCall call) {
        try {
            call.invoke();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsupportedOperationException(
                "the C library of this system has no '" + name + "', which hardmem needs"));
    }

    /** {@return a handle on {@code name}, which returns {@code result} and leaves its {@code errno} in a call state} */
    static MethodHandle errnoHandle(String name, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args), CAPTURE_ERRNO);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static SystemCallException failure(String call, String args, int errno) {
        return new SystemCallException(call, errno, call + "(" + args + ") failed: " + Errno.describe(errno));
    }

    /**
     * {@return {@code t} as an unchecked exception to throw} A method handle's {@code invokeExact} declares
     * {@code Throwable}; what it really throws is rethrown as it is (errors directly), anything else wrapped.
     */
    public static RuntimeException rethrow(Throwable t) {
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

    /** Calls an {@code int f(void*, size_t)} handle on {@code region}. */
    private static void callRegion(String name, MethodHandle h, MemorySegment region) {
        requirePageRange(name, region);
        callZero(name, () -> "len=" + region.byteSize(), s -> (int) h.invokeExact(s, region, region.byteSize()));
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
        return callAddress("mmap", length,
                () -> "len=" + length + ", prot=" + prot + ", flags=0x" + Integer.toHexString(flags) + ", fd=" + fd,
                s -> ((MemorySegment) MMAP.invokeExact(s, hint, length, prot, flags, fd, offset)).address());
    }

    /** Unmaps {@code region}. */
    public static void munmap(MemorySegment region) {
        callRegion("munmap", MUNMAP, region);
    }

    /** Sets the protection of {@code region} to {@code prot}. */
    public static void mprotect(MemorySegment region, int prot) {
        requirePageRange("mprotect", region);
        callZero("mprotect", () -> "len=" + region.byteSize() + ", prot=" + prot,
                s -> (int) MPROTECT.invokeExact(s, region, region.byteSize(), prot));
    }

    /** Gives the kernel {@code advice} ({@code MADV_*}) about {@code region}. */
    public static void madvise(MemorySegment region, int advice) {
        requirePageRange("madvise", region);
        callZero("madvise", () -> "len=" + region.byteSize() + ", advice=" + advice,
                s -> (int) MADVISE.invokeExact(s, region, region.byteSize(), advice));
    }

    /** Locks {@code region} into RAM. */
    public static void mlock(MemorySegment region) {
        callRegion("mlock", MLOCK, region);
    }

    /** Unlocks {@code region}. */
    public static void munlock(MemorySegment region) {
        callRegion("munlock", MUNLOCK, region);
    }

    /**
     * Asks which pages of {@code region} (page-aligned) are resident: byte {@code i} of {@code vec}, which holds at
     * least one byte per page, gets bit 0 set if page {@code i} is in RAM ({@code mincore(2)}).
     */
    public static void mincore(MemorySegment region, MemorySegment vec) {
        requirePageRange("mincore", region);
        long pages = (region.byteSize() + Memory.pageSize() - 1) / Memory.pageSize();
        if (vec.byteSize() < pages) {
            throw new IllegalArgumentException("mincore: " + pages + " pages need " + pages + " bytes of vector, not "
                    + vec.byteSize());
        }
        callZero("mincore", () -> "len=" + region.byteSize(),
                s -> (int) MINCORE.invokeExact(s, region, region.byteSize(), vec));
    }

    // ---------------------------------------------------------------- randomness

    /**
     * Fills {@code destination} with bytes from the kernel's CSPRNG ({@code getrandom(2)}, flags 0: blocks only
     * until the pool is first initialised), straight into its memory, with no copy on the Java heap.
     */
    public static void getrandom(MemorySegment destination) {
        long done = 0;
        while (done < destination.byteSize()) {
            MemorySegment rest = destination.asSlice(done);
            long n = callOrErrno(s -> (long) GETRANDOM.invokeExact(s, rest, rest.byteSize(), 0));
            if (n == -Errno.EINTR) {
                continue; // a signal came before any byte was copied
            }
            if (n < 0) {
                throw failure("getrandom", "len=" + rest.byteSize(), (int) -n);
            }
            done += n; // large requests may be cut short
        }
    }

    // ---------------------------------------------------------------- limits and process state

    /** {@return {@code {soft, hard}} for {@code resource}; {@link Platform#RLIM_INFINITY} (-1) means unlimited} */
    public static long[] getrlimit(int resource) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment limit = arena.allocate(JAVA_LONG, 2);
            callZero("getrlimit", () -> "resource=" + resource, s -> (int) GETRLIMIT.invokeExact(s, resource, limit));
            return new long[] {limit.getAtIndex(JAVA_LONG, 0), limit.getAtIndex(JAVA_LONG, 1)};
        }
    }

    /** Sets {@code resource} to {@code soft}/{@code hard}. */
    public static void setrlimit(int resource, long soft, long hard) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment limit = arena.allocateFrom(JAVA_LONG, soft, hard);
            callZero("setrlimit", () -> "resource=" + resource, s -> (int) SETRLIMIT.invokeExact(s, resource, limit));
        }
    }

    /** {@return the result of {@code prctl(option, arg2, 0, 0, 0)}} */
    public static int prctl(int option, long arg2) {
        return (int) callLong("prctl", () -> "option=" + option,
                s -> (int) PRCTL.invokeExact(s, option, arg2, 0L, 0L, 0L));
    }

    /** {@return {@code sysconf(name)}} */
    public static long sysconf(int name) {
        return callLong("sysconf", () -> "name=" + name, s -> (long) SYSCONF.invokeExact(s, name));
    }

    // ---------------------------------------------------------------- file descriptors

    /** {@return {@code write(fd, source, source.byteSize())}: bytes written, or {@code -errno} on failure} */
    public static long writeOrErrno(int fd, MemorySegment source) {
        return callOrErrno(s -> (long) WRITE.invokeExact(s, fd, source, source.byteSize()));
    }

    /** {@return {@code read(fd, destination, destination.byteSize())}: bytes read; throws on failure} */
    public static long read(int fd, MemorySegment destination) {
        return callLong("read", () -> "fd=" + fd + ", len=" + destination.byteSize(),
                s -> (long) READ.invokeExact(s, fd, destination, destination.byteSize()));
    }

    /** {@return a new pipe as {@code {readFd, writeFd}}} */
    public static int[] pipe() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            callZero("pipe", () -> "", s -> (int) PIPE.invokeExact(s, fds));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** Closes {@code fd}. */
    public static void close(int fd) {
        callZero("close", () -> "fd=" + fd, s -> (int) CLOSE.invokeExact(s, fd));
    }

    /** Sets the size of the file behind {@code fd} to {@code length}. */
    public static void ftruncate(int fd, long length) {
        callZero("ftruncate", () -> "fd=" + fd + ", len=" + length, s -> (int) FTRUNCATE.invokeExact(s, fd, length));
    }

    /**
     * {@return a new {@code memfd_secret(2)} file descriptor} Its pages are removed from the kernel's direct map.
     *
     * @throws SystemCallException with {@code ENOSYS} where the kernel lacks it or it is disabled (before Linux
     *                             6.5 it needs {@code secretmem.enable=1} on the kernel command line)
     */
    public static int memfdSecret(int flags) {
        long sys = Platform.current().sysMemfdSecret();
        return (int) callLong("memfd_secret", () -> "flags=" + flags,
                s -> (long) SYSCALL1.invokeExact(s, sys, (long) flags));
    }

    // ---------------------------------------------------------------- raw memory

    /**
     * Calls the C library's {@code memset} on {@code length} bytes at {@code region}'s address, with no bounds check
     * of any kind. Tests use it to write past the end of a secret on purpose; benchmarks use it as the bandwidth
     * baseline for wiping.
     */
    public static void memset(MemorySegment region, int value, long length) {
        callPlain(() -> {
            MEMSET.invokeExact(region, value, length);
        });
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
        callPlain(() -> {
            FREE.invokeExact(memory);
        });
    }

    /**
     * Sets every byte of {@code segment} (native or heap) to zero with the C library's {@code memset}, the
     * fastest fill on the machine. A downcall is opaque to the JIT: it cannot be removed as a dead store.
     */
    public static void zero(MemorySegment segment) {
        try {
            long size = segment.byteSize();
            for (long done = 0; done < size; done += ZERO_CHUNK) {
                long n = Math.min(ZERO_CHUNK, size - done);
                MEMSET_CRITICAL.invokeExact(segment.asSlice(done, n), 0, n);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
