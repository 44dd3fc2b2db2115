package dev.hardmem.internal.os;

import dev.hardmem.SystemCallException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Which pages of a range of this process's memory may hold data, as the kernel reports it.
 *
 * <p>A page may hold data if it is resident ({@code mincore(2)}) or swapped out (bit 62, "swapped", of its entry in
 * {@code /proc/self/pagemap}). A page that is neither has not been written since it was mapped (hardmem never
 * discards the pages of a live mapping): it reads as zeros, and writing zeros to it would only make the kernel give
 * it memory. {@code mincore} alone cannot tell such a page from one swapped out, which holds the data it had; under
 * {@code GuardPolicy.Lock.BEST_EFFORT} without a lock, pages can be swapped out, so both are asked. Where the kernel
 * cannot say ({@code mincore} fails, {@code pagemap} cannot be read), every page is taken to hold data.
 */
public final class Residency {
    /** Pages asked about at once: a 64 KiB vector, and at most 512 KiB of pagemap entries. */
    private static final int CHUNK = 1 << 16;
    private static final long PAGE = Memory.pageSize();
    private static final long SWAPPED = 1L << 62;
    /** Pagemap bit 63: the page is in RAM now (it may have come back from swap since {@code mincore} looked). */
    private static final long PRESENT = 1L << 63;
    private static final Path PAGEMAP = Path.of("/proc/self/pagemap");

    private Residency() {
    }

    /** What sees the runs of a range that may hold data. */
    @FunctionalInterface
    public interface Runs {
        /** Sees the {@code length} bytes at {@code address}, which may hold data; {@return whether to go on} */
        boolean next(long address, long length);
    }

    /**
     * Shows {@code runs}, in address order, the runs of bytes of the {@code length} bytes at {@code address} whose
     * pages may hold data, until it returns false. The bytes of one page are never split between runs.
     *
     * @return false if {@code runs} stopped early
     */
    public static boolean forEachRunWithData(long address, long length, Runs runs) {
        if (length <= 0) {
            return true;
        }
        long end = address + length;
        long first = address & -PAGE;
        long pages = (end - first + PAGE - 1) / PAGE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment resident = arena.allocate(Math.min(pages, CHUNK));
            MemorySegment entries = null;
            for (long done = 0; done < pages; done += CHUNK) {
                int n = (int) Math.min(CHUNK, pages - done);
                long from = first + done * PAGE;
                boolean known = ask(from, n, resident);
                if (known && !allResident(resident, n)) {
                    if (entries == null) {
                        entries = arena.allocate(8L * Math.min(pages, CHUNK), 8);
                    }
                    known = readPagemap(from, n, entries);
                }
                long runStart = -1;
                for (int i = 0; i <= n; i++) {
                    boolean data = i < n && (!known || resident.get(ValueLayout.JAVA_BYTE, i) != 0
                            || (entries.getAtIndex(ValueLayout.JAVA_LONG, i) & (SWAPPED | PRESENT)) != 0);
                    long at = from + i * PAGE;
                    if (data && runStart < 0) {
                        runStart = at;
                    } else if (!data && runStart >= 0) {
                        long s = Math.max(runStart, address);
                        if (!runs.next(s, Math.min(at, end) - s)) {
                            return false;
                        }
                        runStart = -1;
                    }
                }
            }
        }
        return true;
    }

    /** Fills {@code resident} for {@code n} pages at {@code from}: bit 0 of each byte; {@return whether it could} */
    private static boolean ask(long from, int n, MemorySegment resident) {
        try {
            Libc.mincore(Memory.at(from, n * PAGE), resident);
        } catch (SystemCallException e) {
            return false; // ENOMEM (part of the range is not mapped), EAGAIN: the kernel did not say
        }
        for (int i = 0; i < n; i++) {
            resident.set(ValueLayout.JAVA_BYTE, i, (byte) (resident.get(ValueLayout.JAVA_BYTE, i) & 1));
        }
        return true;
    }

    private static boolean allResident(MemorySegment resident, int n) {
        for (int i = 0; i < n; i++) {
            if (resident.get(ValueLayout.JAVA_BYTE, i) == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the pagemap entries of {@code n} pages at {@code from} into {@code entries}; {@return whether it could}
     * Off the Java heap: as root, an entry also holds the page's physical frame number.
     */
    private static boolean readPagemap(long from, int n, MemorySegment entries) {
        ByteBuffer into = entries.asSlice(0, 8L * n).asByteBuffer();
        try (FileChannel pagemap = FileChannel.open(PAGEMAP)) {
            long position = from / PAGE * 8;
            while (into.hasRemaining()) {
                if (pagemap.read(into, position + into.position()) <= 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
    }
}
