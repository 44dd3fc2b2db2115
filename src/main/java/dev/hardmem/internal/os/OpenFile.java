package dev.hardmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A file opened for reading without following a symbolic link at its last component ({@code O_NOFOLLOW}), and
 * described from its descriptor ({@code statx} with {@code AT_EMPTY_PATH}), so that what is checked is what is read.
 *
 * <p>{@code struct statx} has one layout on every architecture, unlike {@code struct stat}; glibc has had
 * {@code statx} since 2.28.
 */
public final class OpenFile {
    private static final MethodHandle OPEN = Libc.OPEN;
    private static final MethodHandle STATX = Libc.errnoHandle("statx", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT,
            JAVA_INT, ADDRESS);

    private static final int O_RDONLY = 0;
    private static final int O_NOCTTY = 0x100;
    /** A FIFO would block the open until a writer came: never wait, the type check refuses it anyway. */
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    /** The one flag hardmem uses whose value differs: {@code 0400000} on x86_64, {@code 0100000} on aarch64. */
    private static final int O_NOFOLLOW = Platform.current() == Platform.LINUX_AARCH64 ? 0x8000 : 0x20000;

    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_TYPE = 0x1;
    private static final int STATX_MODE = 0x2;
    private static final int STATX_SIZE = 0x200;
    private static final long STATX_SIZE_OF = 256;
    private static final long STX_MODE = 28;
    private static final long STX_SIZE = 40;

    /** The file type bits of a mode, and the type of a regular file. */
    public static final int S_IFMT = 0xF000;
    public static final int S_IFREG = 0x8000;

    /** What {@code statx} says of an open file: its type and permission bits, and its size in bytes. */
    public record Status(int mode, long size) {
    }

    private OpenFile() {
    }

    /**
     * {@return a read-only descriptor of {@code path}, which must be closed with {@link Libc#close}}
     *
     * @throws dev.hardmem.SystemCallException with {@code ELOOP} if the last component is a symbolic link,
     *                                         {@code ENOENT}, {@code EACCES}, ...
     */
    public static int openNoFollow(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocateFrom(path);
            int flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
            return (int) Libc.callLong("open", () -> path, s -> (int) OPEN.invokeExact(s, p, flags, 0));
        }
    }

    /** {@return the type, permissions and size of the open file {@code fd}} */
    public static Status status(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment empty = arena.allocateFrom("");
            MemorySegment buf = arena.allocate(STATX_SIZE_OF, 8);
            int mask = STATX_TYPE | STATX_MODE | STATX_SIZE;
            Libc.callZero("statx", () -> "fd=" + fd,
                    s -> (int) STATX.invokeExact(s, fd, empty, AT_EMPTY_PATH, mask, buf));
            return new Status(buf.get(JAVA_SHORT, STX_MODE) & 0xFFFF, buf.get(JAVA_LONG, STX_SIZE));
        }
    }
}
