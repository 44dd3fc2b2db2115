package dev.hardmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The controlling terminal, {@code /dev/tty}: opened, its echo turned off and back on through {@code termios}
 * ({@code tcgetattr}/{@code tcsetattr}), read and written. The logic (when to restore, what a line is) is the
 * caller's.
 *
 * <p>{@code struct termios} of glibc is the same on x86_64 and aarch64: four {@code tcflag_t} (32-bit) flag words
 * ({@code c_iflag}, {@code c_oflag}, {@code c_cflag}, {@code c_lflag}), {@code c_line}, 32 control characters and
 * two speeds, 60 bytes. Only {@code c_lflag} is touched; the rest is kept as {@code tcgetattr} gave it.
 */
public final class Terminal {
    /** {@code sizeof(struct termios)} in glibc, rounded up: the struct is only ever copied whole. */
    public static final long TERMIOS_SIZE = 64;
    private static final long C_LFLAG = 12;
    private static final int ECHO = 0x8;
    private static final int ECHONL = 0x40;
    /** Apply once the output is written, and discard input received but not read. */
    private static final int TCSAFLUSH = 2;
    /** Apply at once. */
    private static final int TCSANOW = 0;
    /** {@code tcflush}: discard input received but not read. */
    private static final int TCIFLUSH = 0;
    private static final int O_RDWR = 0x2;
    private static final int O_NOCTTY = 0x100;
    private static final int O_CLOEXEC = 0x80000;

    private static final MethodHandle OPEN = Libc.OPEN;
    private static final MethodHandle TCGETATTR = Libc.errnoHandle("tcgetattr", JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle TCSETATTR = Libc.errnoHandle("tcsetattr", JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle TCFLUSH = Libc.errnoHandle("tcflush", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle READ = Libc.errnoHandle("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);

    private Terminal() {
    }

    /**
     * {@return a file descriptor of the process's controlling terminal, read-write} It does not become the
     * controlling terminal if there is none.
     *
     * @throws dev.hardmem.SystemCallException with {@code ENXIO} if the process has no controlling terminal
     */
    public static int open() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom("/dev/tty");
            int flags = O_RDWR | O_NOCTTY | O_CLOEXEC;
            return (int) Libc.callLong("open", () -> "/dev/tty",
                    s -> (int) OPEN.invokeExact(s, path, flags, 0));
        }
    }

    /**
     * Saves the settings of terminal {@code fd} into {@code saved} ({@link #TERMIOS_SIZE} bytes), then turns echo
     * off (and the echo of the newline), discarding input typed before.
     *
     * @throws dev.hardmem.SystemCallException with {@code ENOTTY} if {@code fd} is not a terminal
     */
    public static void echoOff(int fd, MemorySegment saved) {
        Libc.callZero("tcgetattr", () -> "fd=" + fd, s -> (int) TCGETATTR.invokeExact(s, fd, saved));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment quiet = arena.allocate(TERMIOS_SIZE).copyFrom(saved);
            quiet.set(JAVA_INT, C_LFLAG, quiet.get(JAVA_INT, C_LFLAG) & ~(ECHO | ECHONL));
            set(fd, quiet);
        }
    }

    /**
     * Puts back the settings {@link #echoOff} saved, at once, then discards input received but not read. It never
     * waits for output to drain ({@code TCSAFLUSH} would): from a shutdown hook, a terminal whose output is stopped
     * (XOFF, a pseudo-terminal nobody reads) would otherwise hold up the JVM's exit.
     */
    public static void restore(int fd, MemorySegment saved) {
        set(fd, saved, TCSANOW);
        Libc.callZero("tcflush", () -> "fd=" + fd, s -> (int) TCFLUSH.invokeExact(s, fd, TCIFLUSH));
    }

    private static void set(int fd, MemorySegment termios) {
        set(fd, termios, TCSAFLUSH);
    }

    private static void set(int fd, MemorySegment termios, int when) {
        Libc.callZero("tcsetattr", () -> "fd=" + fd, s -> (int) TCSETATTR.invokeExact(s, fd, when, termios));
    }

    /** {@return {@code read(fd, destination, size)}: the bytes read, 0 at the end, or {@code -errno}} */
    public static long readOrErrno(int fd, MemorySegment destination) {
        return Libc.callOrErrno(s -> (long) READ.invokeExact(s, fd, destination, destination.byteSize()));
    }
}
