package dev.hardmem.testing;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Searches a file (a core or heap dump) for byte patterns, counting every occurrence of each. */
public final class Hunt {
    private static final long CHUNK = 256L << 20;

    private Hunt() {
    }

    /** {@return the first 32 bytes of {@code s} in hex: how a child process reports a secret to hunt for} */
    public static String hex32(MemorySegment s) {
        StringBuilder b = new StringBuilder();
        for (long i = 0; i < 32; i++) {
            int v = s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            b.append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 15, 16));
        }
        return b.toString();
    }

    /** {@return how many times each pattern occurs in {@code file}} Patterns must be non-empty and short. */
    public static Map<String, Long> count(Path file, Map<String, byte[]> patterns) throws IOException {
        boolean[] first = new boolean[256];
        int longest = 0;
        Map<String, Long> found = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : patterns.entrySet()) {
            first[e.getValue()[0] & 0xFF] = true;
            longest = Math.max(longest, e.getValue().length);
            found.put(e.getKey(), 0L);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            for (long base = 0; base < size; base += CHUNK) {
                long len = Math.min(size - base, CHUNK + longest - 1);
                MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, base, len);
                int limit = (int) Math.min(len, CHUNK);
                for (int i = 0; i < limit; i++) {
                    if (!first[buf.get(i) & 0xFF]) {
                        continue;
                    }
                    for (Map.Entry<String, byte[]> e : patterns.entrySet()) {
                        if (matches(buf, i, (int) len, e.getValue())) {
                            found.merge(e.getKey(), 1L, Long::sum);
                        }
                    }
                }
            }
        }
        return found;
    }

    private static boolean matches(MappedByteBuffer buf, int at, int len, byte[] p) {
        if (at + p.length > len) {
            return false;
        }
        for (int j = 0; j < p.length; j++) {
            if (buf.get(at + j) != p[j]) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@return the patterns a child process printed, one {@code name=hex} line each, in order} Other lines are
     * ignored.
     */
    public static Map<String, byte[]> patterns(String stdout) {
        Map<String, byte[]> patterns = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                patterns.put(line.substring(0, eq), HexFormat.of().parseHex(line.substring(eq + 1).strip()));
            }
        }
        return patterns;
    }

    /** Writes this JVM's whole heap to {@code file}, dead objects included: what the hunts search. */
    public static void dumpHeap(String file) throws IOException {
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(file, false);
    }

    /** A heap dump a child JVM wrote: what the child printed, the patterns it named, and how often each was found. */
    public record HeapHunt(ChildJvm.Result child, Map<String, byte[]> patterns, Map<String, Long> found) {
        /** Asserts that no pattern was found but {@code control} and those in {@code expected}. */
        public void assertNothingElseFound(Set<String> expected) {
            for (Map.Entry<String, Long> e : found.entrySet()) {
                if (!e.getKey().equals("control") && !expected.contains(e.getKey())) {
                    assertEquals(0L, e.getValue(), e.getKey() + " was found in the heap dump");
                }
            }
        }
    }

    /**
     * {@return the hunt through the heap dump {@code holder} writes} The child runs with a small serial-collected
     * heap, is given the dump's path as its one argument, must exit 0, and prints its patterns as
     * {@code name=hex} lines; the dump is deleted once it is searched.
     */
    public static HeapHunt heapOfChild(Class<?> holder) throws Exception {
        Path dir = Files.createTempDirectory("hardmem-heap");
        Path dump = dir.resolve("heap.hprof");
        try {
            ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx128m", "-XX:+UseSerialGC"), holder,
                    dump.toString());
            assertEquals(0, r.exitCode(), r.output());
            Map<String, byte[]> patterns = patterns(r.stdout());
            return new HeapHunt(r, patterns, count(dump, patterns));
        } finally {
            Files.deleteIfExists(dump);
            Files.deleteIfExists(dir);
        }
    }
}
