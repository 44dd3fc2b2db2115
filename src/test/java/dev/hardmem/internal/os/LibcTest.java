package dev.hardmem.internal.os;

import dev.hardmem.SystemCallException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibcTest {
    private static final long PAGE = Memory.pageSize();
    private static final int RW = Platform.PROT_READ | Platform.PROT_WRITE;
    private static final int ANON = Platform.MAP_PRIVATE | Platform.MAP_ANONYMOUS;

    @Test
    void pageSizeIsAPowerOfTwo() {
        assertTrue(PAGE >= 4096 && Long.bitCount(PAGE) == 1, "page size " + PAGE);
    }

    @Test
    void mapProtectLockAdviseUnmapOnRealMemory() {
        MemorySegment m = Libc.mmap(2 * PAGE, RW, ANON, -1, 0);
        try {
            assertEquals(0, m.address() % PAGE, "mmap returns page-aligned memory");
            assertEquals(2 * PAGE, m.byteSize());
            m.set(ValueLayout.JAVA_BYTE, PAGE + 7, (byte) 42);
            assertEquals(42, m.get(ValueLayout.JAVA_BYTE, PAGE + 7));

            MemorySegment first = m.asSlice(0, PAGE);
            MemorySegment second = m.asSlice(PAGE, PAGE);
            Libc.mlock(first);
            Libc.madvise(first, Platform.MADV_DONTDUMP);
            Libc.madvise(first, Platform.MADV_WIPEONFORK);
            Libc.mprotect(second, Platform.PROT_NONE);

            Smaps.Mapping data = Smaps.find(first.address());
            assertTrue(data.hasFlags("lo", "dd", "wf"), "flags " + data.flags());
            assertEquals("rw-p", data.perms());
            Smaps.Mapping guard = Smaps.find(second.address());
            assertEquals("---p", guard.perms());
            assertFalse(guard.hasFlags("lo"), "the guard was not locked");

            Libc.munlock(first);
            assertFalse(Smaps.find(first.address()).hasFlags("lo"), "munlock clears lo");
            Libc.mprotect(second, Platform.PROT_READ);
            assertEquals(42, m.get(ValueLayout.JAVA_BYTE, PAGE + 7), "contents survive mprotect");
        } finally {
            Libc.munmap(m);
        }
        long gone = m.address();
        assertTrue(Smaps.read().stream().noneMatch(x -> x.contains(gone)), "munmap removes the mapping");
    }

    @Test
    void unalignedAddressIsEinvalWithTheCallNamed() {
        MemorySegment m = Libc.mmap(PAGE, RW, ANON, -1, 0);
        try {
            MemorySegment unaligned = m.asSlice(1, 100);
            SystemCallException e = assertThrows(SystemCallException.class,
                    () -> Libc.mprotect(unaligned, Platform.PROT_READ));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("mprotect", e.call());
            assertEquals("mprotect(len=100, prot=1) failed: EINVAL (Invalid argument)", e.getMessage());

            SystemCallException u = assertThrows(SystemCallException.class, () -> Libc.munmap(unaligned));
            assertEquals(Errno.EINVAL, u.errno());
            assertEquals("munmap(len=100) failed: EINVAL (Invalid argument)", u.getMessage());

            SystemCallException a = assertThrows(SystemCallException.class,
                    () -> Libc.madvise(unaligned, Platform.MADV_DONTDUMP));
            assertEquals(Errno.EINVAL, a.errno());
        } finally {
            Libc.munmap(m);
        }
    }

    @Test
    void unknownAdviceIsEinval() {
        MemorySegment m = Libc.mmap(PAGE, RW, ANON, -1, 0);
        try {
            SystemCallException e = assertThrows(SystemCallException.class, () -> Libc.madvise(m, 12345));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().startsWith("madvise(len=" + PAGE + ", advice=12345) failed: EINVAL"));
        } finally {
            Libc.munmap(m);
        }
    }

    @Test
    void badLengthsAreRefusedBeforeTheKernelIsAsked() {
        // A segment cannot have a negative size, so negative lengths reach only mmap, which refuses them itself.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Libc.mmap(-4096, RW, ANON, -1, 0));
        assertTrue(e.getMessage().contains("-4096"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Libc.mmap(0, RW, ANON, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> Libc.mlock(MemorySegment.NULL));
    }

    @Test
    void impossibleMappingIsEnomem() {
        SystemCallException e = assertThrows(SystemCallException.class,
                () -> Libc.mmap(Long.MAX_VALUE & ~(PAGE - 1), RW, ANON, -1, 0));
        assertEquals(Errno.ENOMEM, e.errno());
        assertTrue(e.getMessage().contains("ENOMEM (Cannot allocate memory)"), e.getMessage());
    }

    @Test
    void getrandomFillsTheWholeSegment() {
        MemorySegment m = Libc.mmap(PAGE, RW, ANON, -1, 0);
        try {
            Libc.getrandom(m);
            int zeros = 0;
            for (long i = 0; i < PAGE; i++) {
                zeros += m.get(ValueLayout.JAVA_BYTE, i) == 0 ? 1 : 0;
            }
            // 4096 random bytes hold about 16 zeros; 200 would mean most of the page was never written.
            assertTrue(zeros < 200, "zeros " + zeros);
        } finally {
            Libc.munmap(m);
        }
    }

    @Test
    void limitsAndProcessState() {
        long[] memlock = Libc.getrlimit(Platform.RLIMIT_MEMLOCK);
        assertEquals(2, memlock.length);
        int dumpable = Libc.prctl(Platform.PR_GET_DUMPABLE, 0);
        assertTrue(dumpable >= 0 && dumpable <= 2, "dumpable " + dumpable);
        assertEquals(PAGE, Libc.sysconf(Platform.SC_PAGESIZE));
    }

    @Test
    void pipeWriteReadRoundTrip() {
        int[] fds = Libc.pipe();
        MemorySegment m = Libc.mmap(PAGE, RW, ANON, -1, 0);
        try {
            m.asSlice(0, 3).copyFrom(MemorySegment.ofArray(new byte[] {1, 2, 3}));
            assertEquals(3, Libc.writeOrErrno(fds[1], m.asSlice(0, 3)));
            MemorySegment in = m.asSlice(100, 3);
            assertEquals(3, Libc.read(fds[0], in));
            assertArrayEquals(new byte[] {1, 2, 3}, in.toArray(ValueLayout.JAVA_BYTE));
        } finally {
            Libc.munmap(m);
            Libc.close(fds[0]);
            Libc.close(fds[1]);
        }
        SystemCallException e = assertThrows(SystemCallException.class, () -> Libc.close(fds[0]));
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void memfdSecretCanBeSizedMappedAndClosed() {
        int fd = Libc.memfdSecret(0);
        try {
            Libc.ftruncate(fd, PAGE);
            MemorySegment m = Libc.mmap(PAGE, RW, Platform.MAP_SHARED, fd, 0);
            m.set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, m.get(ValueLayout.JAVA_LONG, 0));
            Libc.munmap(m);
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void injectedFaultsLookLikeKernelRefusals() {
        Os os = new FaultyOs().inject("mlock", Errno.EPERM, 1);
        MemorySegment m = Libc.mmap(PAGE, RW, ANON, -1, 0);
        try {
            SystemCallException e = assertThrows(SystemCallException.class, () -> os.mlock(m));
            assertEquals(Errno.EPERM, e.errno());
            assertTrue(e.getMessage().startsWith("mlock(len=" + PAGE + ") failed: EPERM (Operation not permitted)"));
            os.mlock(m); // only one fault was planned
            Libc.munlock(m);
        } finally {
            Libc.munmap(m);
        }
    }

    @Test
    void errnoTable() {
        assertEquals("EPERM (Operation not permitted)", Errno.describe(1));
        assertEquals("EFAULT (Bad address)", Errno.describe(14));
        assertEquals("ENOSYS", Errno.symbol(38));
        assertEquals("errno 99999", Errno.symbol(99999));
    }
}
