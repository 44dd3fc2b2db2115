package dev.hardmem.internal.os;

import java.lang.foreign.MemorySegment;

/**
 * The system calls the guarded allocator makes on its own memory, as an interface it is given. {@link #LINUX}
 * makes them for real; a test can hand the allocator an implementation that fails some of them, to prove that a
 * refusal from the kernel leaves nothing mapped, locked or counted. Production code has no other way to make
 * these calls fail.
 *
 * <p>Each method has the contract of the {@link Libc} method of the same name: a failure throws
 * {@link dev.hardmem.SystemCallException}.
 */
public interface Os {
    /** The real system calls, through {@link Libc}. */
    Os LINUX = new Os() {
    };

    /** {@link Libc#mmap} */
    default MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        return Libc.mmap(length, prot, flags, fd, offset);
    }

    /** {@link Libc#mmapAt} */
    default MemorySegment mmapAt(MemorySegment hint, long length, int prot, int flags, int fd, long offset) {
        return Libc.mmapAt(hint, length, prot, flags, fd, offset);
    }

    /** {@link Libc#munmap} */
    default void munmap(MemorySegment region) {
        Libc.munmap(region);
    }

    /** {@link Libc#mprotect} */
    default void mprotect(MemorySegment region, int prot) {
        Libc.mprotect(region, prot);
    }

    /** {@link Libc#madvise} */
    default void madvise(MemorySegment region, int advice) {
        Libc.madvise(region, advice);
    }

    /** {@link Libc#mlock} */
    default void mlock(MemorySegment region) {
        Libc.mlock(region);
    }

    /** {@link Libc#munlock} */
    default void munlock(MemorySegment region) {
        Libc.munlock(region);
    }

    /** {@link Libc#memfdSecret} */
    default int memfdSecret(int flags) {
        return Libc.memfdSecret(flags);
    }

    /** {@link Libc#ftruncate} */
    default void ftruncate(int fd, long length) {
        Libc.ftruncate(fd, length);
    }

    /** {@link Libc#close} */
    default void close(int fd) {
        Libc.close(fd);
    }
}
