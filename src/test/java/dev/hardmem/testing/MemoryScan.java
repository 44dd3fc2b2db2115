package dev.hardmem.testing;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads every readable mapping of this process through {@code /proc/self/mem}, as root or a debugger would, and
 * finds where 32-byte patterns lie in it: the Java heap, thread stacks, the JIT's code, native libraries' data and
 * every guarded region alike.
 *
 * <p>The scan never holds a pattern in plain form, so it cannot find its own copy. A pattern is known only
 * <em>masked</em>: every byte XOR {@link #MASK}. A fill ({@link #unmaskInto}) writes the plain bytes one at a time
 * straight into their destination; the search XORs each word it reads with the mask and compares it with the masked
 * pattern. The bytes it reads go to one off-heap buffer, zeroed after each chunk, whose own bytes are the one range
 * of readable memory it leaves out: they hold nothing but what the scan itself just read (the kernel copies a read
 * page by page, so a read that ends in the buffer copies earlier pages of the same read into it).
 *
 * <p>What it skips, and says so in {@link Result#unreadable()}: mappings without {@code r} (guard pages, reserved
 * address space), {@code [vvar]}, {@code [vvar_vclock]} and {@code [vsyscall]}, and any page the kernel refuses to
 * read through {@code /proc/self/mem} (EIO: {@code memfd_secret(2)} pages, which are out of the kernel's direct map,
 * and file pages past the end of their file).
 */
public final class MemoryScan {
    /** The bytes of a pattern. */
    public static final int LENGTH = 32;
    /** What every byte of a pattern is XORed with to mask it. */
    public static final byte MASK = (byte) 0xA5;

    private static final long MASK_WORD = 0xA5A5A5A5A5A5A5A5L;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int WORDS = LENGTH / 8;
    private static final long CHUNK = 1 << 20;
    private static final long PAGE = 4096;
    private static final Set<String> SKIPPED = Set.of("[vvar]", "[vvar_vclock]", "[vsyscall]");

    /**
     * What a scan found.
     *
     * @param hits       for each pattern, the address of every place it was found, in address order
     * @param bytesRead  the bytes read and searched
     * @param mappings   the runs of contiguous readable mappings searched
     * @param unreadable what was not searched: {@code name (not searched)} for each mapping left out by name, and
     *                   {@code name (N pages refused)} for the pages the kernel refused, by mapping name
     */
    public record Result(Map<String, List<Long>> hits, long bytesRead, int mappings, List<String> unreadable) {
    }

    private MemoryScan() {
    }

    /** {@return a new random pattern, masked: its plain bytes are these XOR {@link #MASK}} */
    public static byte[] newMaskedPattern() {
        byte[] masked = new byte[LENGTH];
        new SecureRandom().nextBytes(masked);
        return masked;
    }

    /** Writes the plain bytes of {@code masked} into {@code into}, one at a time. */
    public static void unmaskInto(byte[] masked, MemorySegment into) {
        for (int i = 0; i < masked.length; i++) {
            into.set(ValueLayout.JAVA_BYTE, i, (byte) (masked[i] ^ MASK));
        }
    }

    /** {@return the plain bytes of {@code masked} on the Java heap}: for a control that must be found */
    public static byte[] insecureUnmasked(byte[] masked) {
        byte[] plain = new byte[masked.length];
        for (int i = 0; i < masked.length; i++) {
            plain[i] = (byte) (masked[i] ^ MASK);
        }
        return plain;
    }

    /** How {@link Result#unreadable()} names pages unmapped (or made unreadable) between listing and reading. */
    public static final String GONE = "[unmapped during the scan]";

    /**
     * {@return where each pattern lies in this process's readable memory, now}
     *
     * @param masked the patterns to find, by name, each {@link #LENGTH} bytes, masked
     */
    public static Result scan(Map<String, byte[]> masked) throws IOException {
        List<String> names = new ArrayList<>(masked.keySet());
        long[][] needles = new long[names.size()][WORDS];
        for (int n = 0; n < needles.length; n++) {
            MemorySegment m = MemorySegment.ofArray(masked.get(names.get(n)));
            if (m.byteSize() != LENGTH) {
                throw new IllegalArgumentException(names.get(n) + " is " + m.byteSize() + " bytes, not " + LENGTH);
            }
            for (int w = 0; w < WORDS; w++) {
                needles[n][w] = m.get(WORD, w * 8L);
            }
        }
        List<List<Long>> hits = new ArrayList<>();
        names.forEach(n -> hits.add(new ArrayList<>()));
        List<String> unreadable = new ArrayList<>();
        long read = 0;
        int count = 0;
        try (Arena arena = Arena.ofShared();
             FileChannel mem = FileChannel.open(Path.of("/proc/self/mem"), StandardOpenOption.READ)) {
            MemorySegment buffer = arena.allocate(CHUNK + LENGTH - 1, PAGE);
            List<Mapping> mappings = readableMappings(unreadable);
            Map<String, Long> refused = new LinkedHashMap<>();
            for (long[] run : runs(mappings, buffer)) {
                count++;
                long pos = run[0];
                while (pos < run[1]) {
                    long len = Math.min(CHUNK + LENGTH - 1, run[1] - pos);
                    long n = readAt(mem, buffer, pos, len);
                    if (n == 0) {
                        long next = Math.min((pos + PAGE) & -PAGE, run[1]);
                        // The JVM unmaps and remaps memory while the scan runs (a heap region given back, a thread's
                        // stack): a page no longer mapped readable holds nothing to find, and is not a refusal.
                        String why = readableNow(pos) ? nameAt(mappings, pos) : GONE;
                        refused.merge(why, (next - pos + PAGE - 1) / PAGE, Long::sum);
                        pos = next;
                        continue;
                    }
                    search(buffer, n, pos, needles, hits);
                    buffer.asSlice(0, n).fill((byte) 0);
                    read += n;
                    // A full read overlaps the next by LENGTH - 1 bytes, so that a pattern across the seam is seen;
                    // a short one stopped at a page the kernel refuses, which the next read skips.
                    pos += n == len && pos + n < run[1] ? n - (LENGTH - 1) : n;
                }
            }
            refused.forEach((name, pages) -> unreadable.add(name + " (" + pages + " pages refused)"));
        }
        Map<String, List<Long>> found = new LinkedHashMap<>();
        for (int n = 0; n < names.size(); n++) {
            found.put(names.get(n), List.copyOf(hits.get(n)));
        }
        return new Result(found, read, count, List.copyOf(unreadable));
    }

    /** A readable mapping of this process: [start, end) and the name {@code /proc/self/maps} gives it. */
    private record Mapping(long start, long end, String name) {
    }

    /** {@return the readable mappings, in address order} Those left out are noted in {@code unreadable}. */
    private static List<Mapping> readableMappings(List<String> unreadable) throws IOException {
        List<Mapping> mappings = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] f = line.trim().split("\\s+", 6);
            int dash = f[0].indexOf('-');
            long start = Long.parseUnsignedLong(f[0], 0, dash, 16);
            long end = Long.parseUnsignedLong(f[0], dash + 1, f[0].length(), 16);
            String name = f.length > 5 ? f[5] : "[anonymous]";
            if (f[1].charAt(0) != 'r') {
                continue;
            }
            if (SKIPPED.contains(name) || start < 0) {
                unreadable.add(name + " (not searched)");
                continue;
            }
            mappings.add(new Mapping(start, end, name));
        }
        return mappings;
    }

    /** {@return the mappings as [start, end) runs, contiguous ones joined, less the bytes of {@code buffer}} */
    private static List<long[]> runs(List<Mapping> mappings, MemorySegment buffer) {
        List<long[]> runs = new ArrayList<>();
        for (Mapping m : mappings) {
            long[] last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last[1] == m.start()) {
                last[1] = m.end();
            } else {
                runs.add(new long[] {m.start(), m.end()});
            }
        }
        long from = buffer.address();
        long to = from + buffer.byteSize();
        List<long[]> less = new ArrayList<>();
        for (long[] r : runs) {
            if (r[1] <= from || r[0] >= to) {
                less.add(r);
                continue;
            }
            if (r[0] < from) {
                less.add(new long[] {r[0], from});
            }
            if (r[1] > to) {
                less.add(new long[] {to, r[1]});
            }
        }
        return less;
    }

    /** {@return whether {@code address} is in a readable mapping now, by a fresh read of /proc/self/maps} */
    private static boolean readableNow(long address) throws IOException {
        for (Mapping m : readableMappings(new ArrayList<>())) {
            if (m.start() <= address && address < m.end()) {
                return true;
            }
        }
        return false;
    }

    private static String nameAt(List<Mapping> mappings, long address) {
        for (Mapping m : mappings) {
            if (m.start() <= address && address < m.end()) {
                return m.name();
            }
        }
        return "[unmapped since]";
    }

    /** {@return how many bytes from {@code address} were read into {@code buffer}, up to the first refused page} */
    private static long readAt(FileChannel mem, MemorySegment buffer, long address, long len) {
        ByteBuffer b = buffer.asSlice(0, len).asByteBuffer();
        try {
            while (b.hasRemaining()) {
                if (mem.read(b, address + b.position()) <= 0) {
                    break;
                }
            }
        } catch (IOException e) {
            // EIO: a page the kernel will not read through /proc/PID/mem. What was read before it still counts.
        }
        return b.position();
    }

    private static void search(MemorySegment buffer, long n, long base, long[][] needles, List<List<Long>> hits) {
        for (long i = 0; i + LENGTH <= n; i++) {
            long first = buffer.get(WORD, i) ^ MASK_WORD;
            for (int k = 0; k < needles.length; k++) {
                if (first == needles[k][0] && rest(buffer, i, needles[k])) {
                    hits.get(k).add(base + i);
                }
            }
        }
    }

    private static boolean rest(MemorySegment buffer, long at, long[] needle) {
        for (int w = 1; w < WORDS; w++) {
            if ((buffer.get(WORD, at + w * 8L) ^ MASK_WORD) != needle[w]) {
                return false;
            }
        }
        return true;
    }
}
