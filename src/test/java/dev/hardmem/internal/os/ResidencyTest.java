package dev.hardmem.internal.os;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Which pages of a range may hold data: those written since the range was mapped, and only those. */
class ResidencyTest {
    private static final long PAGE = Memory.pageSize();
    private static final int PAGES = 1024;
    private MemorySegment mapping;

    @BeforeEach
    void map() {
        mapping = Libc.mmap(PAGES * PAGE, Platform.PROT_READ | Platform.PROT_WRITE,
                Platform.MAP_PRIVATE | Platform.MAP_ANONYMOUS, -1, 0);
    }

    @AfterEach
    void unmap() {
        if (mapping != null) {
            Libc.munmap(mapping);
        }
    }

    /** {@return the runs the kernel reports, as {start, length} relative to the mapping} */
    private List<List<Long>> runs(long offset, long length) {
        List<List<Long>> runs = new ArrayList<>();
        Residency.forEachRunWithData(mapping.address() + offset, length, (at, n) -> {
            runs.add(List.of(at - mapping.address(), n));
            return true;
        });
        return runs;
    }

    @Test
    void aFreshMappingHoldsNothing() {
        assertEquals(List.of(), runs(0, PAGES * PAGE));
    }

    @Test
    void theWrittenPagesAndOnlyThemMayHoldData() {
        mapping.set(ValueLayout.JAVA_BYTE, 3 * PAGE + 17, (byte) 1);
        mapping.set(ValueLayout.JAVA_BYTE, 4 * PAGE, (byte) 1);
        mapping.set(ValueLayout.JAVA_BYTE, 700 * PAGE + PAGE - 1, (byte) 1);
        assertEquals(List.of(List.of(3 * PAGE, 2 * PAGE), List.of(700 * PAGE, PAGE)), runs(0, PAGES * PAGE));
    }

    @Test
    void runsAreClippedToTheRange() {
        mapping.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        mapping.set(ValueLayout.JAVA_BYTE, 2 * PAGE, (byte) 1);
        assertEquals(List.of(List.of(100L, PAGE - 100), List.of(2 * PAGE, 50L)), runs(100, 2 * PAGE - 50));
    }

    @Test
    void readingAPageMapsTheZeroPageWhichCountsAsData() {
        assertEquals(0, mapping.get(ValueLayout.JAVA_BYTE, 5 * PAGE));
        // Only a read: the kernel maps its shared zero page. It cannot be told from data without reading it.
        assertEquals(List.of(List.of(5 * PAGE, PAGE)), runs(0, PAGES * PAGE));
    }

    @Test
    void whereTheKernelCannotSayEveryPageMayHoldData() {
        Libc.munmap(mapping.asSlice(10 * PAGE, PAGE)); // a hole: mincore fails with ENOMEM
        try {
            assertEquals(List.of(List.of(0L, 20 * PAGE)), runs(0, 20 * PAGE));
        } finally {
            Libc.munmap(mapping.asSlice(0, 10 * PAGE));
            Libc.munmap(mapping.asSlice(11 * PAGE));
            mapping = null;
        }
    }

    @Test
    void theCallerCanStopEarly() {
        mapping.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        mapping.set(ValueLayout.JAVA_BYTE, 9 * PAGE, (byte) 1);
        List<Long> seen = new ArrayList<>();
        assertFalse(Residency.forEachRunWithData(mapping.address(), PAGES * PAGE, (at, n) -> seen.add(at) && false));
        assertEquals(1, seen.size());
    }
}
