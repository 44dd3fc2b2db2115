package dev.hardmem.internal.os;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The mappings of this process as {@code /proc/self/smaps} reports them: range, permissions and {@code VmFlags}
 * ({@code lo} locked, {@code dd} not dumped, {@code wf} wiped on fork).
 */
public final class Smaps {
    private Smaps() {
    }

    /** One mapping. {@code perms} is e.g. {@code "rw-p"}; {@code flags} the two-letter VmFlags. */
    public record Mapping(long start, long end, String perms, Set<String> flags, long lockedKb) {
        /** {@return whether {@code address} lies in this mapping} */
        public boolean contains(long address) {
            return address >= start && address < end;
        }

        /** {@return whether every one of {@code wanted} is among the flags} */
        public boolean hasFlags(String... wanted) {
            return flags.containsAll(Arrays.asList(wanted));
        }
    }

    /** {@return every mapping of this process, in address order} */
    public static List<Mapping> read() {
        return read(Path.of("/proc/self/smaps"));
    }

    /** {@return every mapping in an smaps file, e.g. {@code /proc/PID/smaps}} */
    public static List<Mapping> read(Path smaps) {
        List<String> lines;
        try {
            lines = Files.readAllLines(smaps);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + smaps, e);
        }
        List<Mapping> result = new ArrayList<>();
        long start = 0;
        long end = 0;
        String perms = null;
        long locked = 0;
        for (String line : lines) {
            int colon = line.indexOf(':');
            int dash = line.indexOf('-');
            if (dash > 0 && (colon < 0 || dash < colon) && isHex(line, dash)) {
                String[] parts = line.split("\\s+", 3);
                String[] range = parts[0].split("-");
                start = Long.parseUnsignedLong(range[0], 16);
                end = Long.parseUnsignedLong(range[1], 16);
                perms = parts[1];
                locked = 0;
            } else if (line.startsWith("Locked:")) {
                locked = Long.parseLong(line.substring(7).replace("kB", "").trim());
            } else if (line.startsWith("VmFlags:") && perms != null) {
                Set<String> flags = new HashSet<>(Arrays.asList(line.substring(8).trim().split("\\s+")));
                result.add(new Mapping(start, end, perms, Set.copyOf(flags), locked));
                perms = null;
            }
        }
        return result;
    }

    private static boolean isHex(String line, int upTo) {
        for (int i = 0; i < upTo; i++) {
            if (Character.digit(line.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** {@return the mapping that holds {@code address}} */
    public static Mapping find(long address) {
        for (Mapping m : read()) {
            if (m.contains(address)) {
                return m;
            }
        }
        throw new IllegalStateException("no mapping in /proc/self/smaps holds that address");
    }

    /** {@return how many mappings this process has now (lines of {@code /proc/self/maps})} */
    public static int countMappings() {
        // A buffered reader, not Files.lines: /proc files report size 0 and must be read as a stream.
        try (BufferedReader reader = Files.newBufferedReader(Path.of("/proc/self/maps"))) {
            return (int) reader.lines().count();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/maps", e);
        }
    }
}
