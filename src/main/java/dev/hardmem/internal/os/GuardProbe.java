package dev.hardmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Asks the kernel whether an address can be read, without touching it from Java.
 *
 * <p>Reading a {@code PROT_NONE} page from Java raises SIGSEGV and the JVM dies (HotSpot does not turn a fault in
 * native memory into an exception). {@code write(pipe, address, 1)} makes the kernel read the byte instead: it
 * returns {@code EFAULT} for an unreadable page and copies the byte into the pipe otherwise. The pipe is drained
 * at once, so the byte, which may be secret, does not stay in the kernel's buffer.
 */
public final class GuardProbe {
    private static int readFd = -1;
    private static int writeFd = -1;

    private GuardProbe() {
    }

    /**
     * {@return 0 if the byte at {@code address} is readable, otherwise the errno of the failed read (normally
     * {@link Errno#EFAULT})}
     */
    public static synchronized int probe(long address) {
        if (readFd < 0) {
            int[] fds = Libc.pipe();
            readFd = fds[0];
            writeFd = fds[1];
        }
        long n = Libc.writeOrErrno(writeFd, Memory.at(address, 1));
        if (n < 0) {
            return (int) -n;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sink = arena.allocate(1);
            Libc.read(readFd, sink);
            sink.fill((byte) 0);
        }
        return 0;
    }

    /** {@return 0 if the first byte of {@code segment} is readable, otherwise the errno} */
    public static int probe(MemorySegment segment) {
        return probe(segment.address());
    }
}
