package dev.hardmem.testing;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Searches a file (a core) for every 8-byte window of each pattern, at any offset of the file: what
 * {@link Hunt#count} misses when a secret was copied only in part, one register or one word at a time (a value
 * spilled to a stack, the tail of a block in a temporary buffer). Eight random bytes occur by chance in a file of
 * <i>n</i> bytes with probability about <i>n</i>/2<sup>64</sup>: for a core of a few hundred MiB, one in
 * 10<sup>10</sup> per window.
 */
public final class WordHunt {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    private WordHunt() {
    }

    /**
     * {@return for each pattern, how many offsets of {@code file} hold one of its 8-byte windows} A whole pattern of
     * 32 bytes counts 25 there; a word spilled once counts 1. Patterns must be 8 bytes or longer.
     */
    public static Map<String, Long> count(Path file, Map<String, byte[]> patterns) throws IOException {
        List<String> names = new ArrayList<>(patterns.keySet());
        List<long[]> windows = new ArrayList<>();
        int total = 0;
        for (byte[] p : patterns.values()) {
            if (p.length < 8) {
                throw new IllegalArgumentException("a pattern of " + p.length + " bytes is shorter than a word");
            }
            MemorySegment s = MemorySegment.ofArray(p);
            long[] w = new long[p.length - 7];
            for (int i = 0; i < w.length; i++) {
                w[i] = s.get(WORD, i);
            }
            windows.add(w);
            total += w.length;
        }
        int size = Integer.highestOneBit(Math.max(total, 1) * 4) * 2;
        long[] keys = new long[size];
        int[] owner = new int[size]; // pattern index + 1; 0 is an empty slot
        for (int n = 0; n < windows.size(); n++) {
            for (long w : windows.get(n)) {
                int slot = slot(w, size);
                while (owner[slot] != 0 && keys[slot] != w) {
                    slot = (slot + 1) & (size - 1);
                }
                keys[slot] = w;
                owner[slot] = n + 1; // a window two patterns share (never, for random ones) counts for the last
            }
        }
        long[] hits = new long[names.size()];
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long end = all.byteSize() - 7;
            for (long at = 0; at < end; at++) {
                long w = all.get(WORD, at);
                for (int slot = slot(w, size); owner[slot] != 0; slot = (slot + 1) & (size - 1)) {
                    if (keys[slot] == w) {
                        hits[owner[slot] - 1]++;
                        break;
                    }
                }
            }
        }
        Map<String, Long> found = new LinkedHashMap<>();
        for (int n = 0; n < names.size(); n++) {
            found.put(names.get(n), hits[n]);
        }
        return found;
    }

    private static int slot(long w, int size) {
        long h = w * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & (size - 1);
    }
}
