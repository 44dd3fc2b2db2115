package dev.hardmem.internal.os;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading {@code /proc}: as plain streams, which is the only safe way (see {@link #read}). */
public final class Proc {
    /** Bit of {@code CAP_IPC_LOCK} in the capability sets of {@code /proc/self/status}. */
    private static final int CAP_IPC_LOCK = 14;

    private Proc() {
    }

    /**
     * {@return the contents of {@code path}, or {@code null} if it cannot be read}
     *
     * <p>A plain sequential stream: on some kernels {@code Files.readString} (which sizes the file, then reads at
     * an offset) returns a truncated value for {@code /proc/sys} files (seen: {@code "6"} for a
     * {@code vm.max_map_count} of 65530).
     */
    public static String read(String path) {
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** {@return the stripped contents of {@code path}, or {@code null}} */
    public static String readLine(String path) {
        String s = read(path);
        return s == null ? null : s.strip();
    }

    /** {@return the number in {@code path}, or {@code otherwise} if it cannot be read or parsed} */
    public static long readLong(String path, long otherwise) {
        String s = readLine(path);
        if (s == null) {
            return otherwise;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    /** {@return the effective user id of this process ({@code Uid:} in {@code /proc/self/status}), or -1} */
    public static long effectiveUid() {
        String status = read("/proc/self/status");
        if (status != null) {
            for (String line : status.split("\n")) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        }
        return -1;
    }

    /** {@return whether this process holds {@code CAP_IPC_LOCK} in its effective set} */
    public static boolean holdsCapIpcLock() {
        String status = read("/proc/self/status");
        if (status == null) {
            return false;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith("CapEff:")) {
                long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                return (caps & (1L << CAP_IPC_LOCK)) != 0;
            }
        }
        return false;
    }
}
