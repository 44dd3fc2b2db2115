package dev.hardmem.internal.os;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GuardProbeTest {
    private static final long PAGE = Memory.pageSize();

    @Test
    void protNonePageGivesEfaultReadablePageSucceeds() {
        MemorySegment m = Libc.mmap(3 * PAGE, Platform.PROT_READ | Platform.PROT_WRITE,
                Platform.MAP_PRIVATE | Platform.MAP_ANONYMOUS, -1, 0);
        try {
            Libc.mprotect(m.asSlice(PAGE, PAGE), Platform.PROT_NONE);
            assertEquals(0, GuardProbe.probe(m.address()));
            assertEquals(0, GuardProbe.probe(m.address() + PAGE - 1), "last byte before the guard");
            assertEquals(Errno.EFAULT, GuardProbe.probe(m.address() + PAGE), "first byte of the guard");
            assertEquals(Errno.EFAULT, GuardProbe.probe(m.address() + 2 * PAGE - 1), "last byte of the guard");
            assertEquals(0, GuardProbe.probe(m.address() + 2 * PAGE), "first byte after the guard");
            Libc.mprotect(m.asSlice(PAGE, PAGE), Platform.PROT_READ);
            assertEquals(0, GuardProbe.probe(m.address() + PAGE), "readable again");
        } finally {
            Libc.munmap(m);
        }
    }
}
