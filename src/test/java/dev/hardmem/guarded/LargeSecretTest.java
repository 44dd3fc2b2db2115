package dev.hardmem.guarded;

import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.FaultyOs;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Os;
import dev.hardmem.internal.os.Proc;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Large secrets under {@link GuardPolicy.Lock#BEST_EFFORT}: a size that cannot fit in the RAM the process may use is
 * refused before anything is mapped, and a large secret costs only the pages its owner touched. The allocator
 * neither reads a fresh mapping to prove it zero (the kernel zeroes it) nor writes pages that never held data when
 * it wipes.
 */
class LargeSecretTest {
    private static final long PAGE = Memory.pageSize();
    private static final long LARGE = 256L << 20;
    /** Allocations a broken allocator handed out, kept reachable so the leak watcher never wipes (touches) them. */
    private static final List<Allocation> NEVER_WIPED = new ArrayList<>();

    @Test
    void aSecretLargerThanTheRamIsRefusedNamingBothNumbers() {
        long ram = memTotal();
        long size = ram + PAGE;
        GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults().withLock(GuardPolicy.Lock.BEST_EFFORT));
        long mappingsBefore = a.stats().mappings();
        try {
            NEVER_WIPED.add(a.allocate(size));
            fail("a secret of " + size + " bytes was accepted on a machine with " + ram + " bytes of RAM");
        } catch (MemoryBudgetException e) {
            assertTrue(e.getMessage().contains(String.valueOf(ram)) || e.getMessage().contains("memory.max")
                    || e.getMessage().contains("limit_in_bytes"), e.getMessage());
            assertTrue(e.getMessage().contains("RAM"), e.getMessage());
        }
        assertEquals(mappingsBefore, a.stats().mappings(), "nothing was mapped");
        assertEquals(0, a.stats().bytesUnlocked(), "nothing was counted");
        a.close();
    }

    @Test
    void aLargeMostlyUntouchedSecretCostsOnlyThePagesItsOwnerTouched() throws IOException {
        RssAtUnmap os = new RssAtUnmap();
        GuardedAllocator a = TestAllocators.create(GuardPolicy.defaults().withLock(GuardPolicy.Lock.BEST_EFFORT), os);
        Allocation x = a.allocate(LARGE);
        assertEquals(0, a.stats().bytesLocked(), "the lock failed (injected): the pages are not populated");
        MemorySegment s = x.segment();
        long present = presentPages(s.address(), s.byteSize());
        // The canary's page is written at allocation; with transparent huge pages, that may be a 2 MiB page.
        assertTrue(present <= 1024, present + " pages of a fresh " + LARGE + "-byte secret were faulted in by the"
                + " allocation: its zero check read memory the kernel had just zeroed");
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        s.set(ValueLayout.JAVA_BYTE, s.byteSize() / 2, (byte) 2);
        s.set(ValueLayout.JAVA_BYTE, s.byteSize() - 1, (byte) 3);
        x.close();
        // The first map fails its (injected) lock and is unmapped before hardmem reclaims and tries once more: the
        // secret's own region is the last one unmapped.
        assertFalse(os.rssKb.isEmpty(), "the region was unmapped");
        long rssKb = os.rssKb.getLast();
        assertTrue(rssKb < 16 * 1024, "the region held " + rssKb + " KiB when it was unmapped, for 3 bytes written:"
                + " the wipe wrote pages that never held data");
        assertTrue(rssKb >= 3 * PAGE / 1024, "the control: the pages written are counted (" + rssKb + " KiB)");
        a.close();
    }

    /** {@return MemTotal of /proc/meminfo, in bytes} */
    private static long memTotal() {
        for (String line : Proc.read("/proc/meminfo").split("\n")) {
            if (line.startsWith("MemTotal:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new AssertionError("no MemTotal in /proc/meminfo");
    }

    /** {@return how many pages of the range the kernel has mapped (bit 63 of each /proc/self/pagemap entry)} */
    static long presentPages(long address, long length) throws IOException {
        long first = address / PAGE;
        long pages = (address + length + PAGE - 1) / PAGE - first;
        ByteBuffer entries = ByteBuffer.allocate((int) (pages * 8)).order(ByteOrder.nativeOrder());
        try (FileChannel pagemap = FileChannel.open(Path.of("/proc/self/pagemap"))) {
            while (entries.hasRemaining()) {
                if (pagemap.read(entries, first * 8 + entries.position()) < 0) {
                    break;
                }
            }
        }
        entries.flip();
        long present = 0;
        while (entries.hasRemaining()) {
            present += entries.getLong() >>> 63;
        }
        return present;
    }

    /** {@return the resident KiB of the mappings inside [start, end), from /proc/self/smaps} */
    static long rssKb(long start, long end) throws IOException {
        long sum = 0;
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            boolean header = dash > 0 && space > dash
                    && line.substring(0, dash).chars().allMatch(c -> Character.digit(c, 16) >= 0);
            if (header) {
                long from = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long to = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = from >= start && to <= end;
            } else if (inside && line.startsWith("Rss:")) {
                sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return sum;
    }

    /** Real system calls, except that mlock fails (as without CAP_IPC_LOCK); records each region's RSS at munmap. */
    private static final class RssAtUnmap implements Os {
        private final FaultyOs faulty = new FaultyOs().inject("mlock", Errno.EPERM, -1);
        final List<Long> rssKb = new ArrayList<>();

        @Override
        public void mlock(MemorySegment region) {
            faulty.mlock(region);
        }

        @Override
        public void munmap(MemorySegment region) {
            if (region.byteSize() > LARGE) {
                try {
                    rssKb.add(rssKb(region.address(), region.address() + region.byteSize()));
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
            Os.super.munmap(region);
        }
    }
}
