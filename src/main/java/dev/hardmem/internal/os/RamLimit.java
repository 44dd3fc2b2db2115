package dev.hardmem.internal.os;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The RAM this process may use: the machine's physical memory and, where one is set, the limit of its memory cgroup.
 * The cgroup's limit is {@code memory.max} (cgroup v2) or {@code memory.limit_in_bytes} (v1), the smallest found on
 * the way from the process's own cgroup up to the root of the hierarchy as mounted ({@code /proc/self/mountinfo}),
 * since every ancestor's limit applies too. Swap is not counted: a secret that fits only by being swapped out does
 * not fit.
 *
 * @param physical   the machine's physical memory, in bytes
 * @param cgroup     the memory cgroup's limit, in bytes, or {@link #NONE}
 * @param cgroupFile the file that limit was read from, or {@code null}
 */
public record RamLimit(long physical, long cgroup, String cgroupFile) {
    /** No limit. */
    public static final long NONE = Long.MAX_VALUE;

    /** {@return the limits of this process, read now} */
    public static RamLimit ofThisProcess() {
        long physical = Libc.sysconf(Platform.SC_PHYS_PAGES) * Memory.pageSize();
        RamLimit cgroup = ofCgroup(Proc.read("/proc/self/cgroup"), Proc.read("/proc/self/mountinfo"));
        return new RamLimit(physical, cgroup.cgroup, cgroup.cgroupFile);
    }

    /** {@return the smaller of the two limits, in bytes} */
    public long bytes() {
        return Math.min(physical, cgroup);
    }

    /** {@return the limit and where it comes from, for messages} */
    public String describe() {
        return cgroup < physical
                ? cgroup + " bytes (the memory cgroup's limit, " + cgroupFile + "; the machine has " + physical + ")"
                : physical + " bytes (the machine's physical memory)";
    }

    /**
     * {@return the memory cgroup's limit given {@code /proc/self/cgroup} and {@code /proc/self/mountinfo}; its
     * {@code physical} is {@link #NONE}} Either may be {@code null} (unreadable): no limit is known then.
     */
    static RamLimit ofCgroup(String cgroups, String mountinfo) {
        RamLimit found = new RamLimit(NONE, NONE, null);
        if (cgroups == null || mountinfo == null) {
            return found;
        }
        for (String line : mountinfo.split("\n")) {
            String[] halves = line.split(" - ", 2);
            String[] mount = halves[0].split(" ");
            String[] source = halves.length == 2 ? halves[1].split(" ") : new String[0];
            if (mount.length < 5 || source.length < 3) {
                continue;
            }
            String path;
            String file;
            if (source[0].equals("cgroup2")) {
                path = cgroupPath(cgroups, null);
                file = "memory.max";
            } else if (source[0].equals("cgroup") && Arrays.asList(source[2].split(",")).contains("memory")) {
                path = cgroupPath(cgroups, "memory");
                file = "memory.limit_in_bytes";
            } else {
                continue;
            }
            if (path != null) {
                found = smallest(found, Path.of(unescape(mount[4])), unescape(mount[3]), path, file);
            }
        }
        return found;
    }

    /** {@return the cgroup path of the v1 hierarchy with {@code controller}, or of the v2 one if {@code null}} */
    private static String cgroupPath(String cgroups, String controller) {
        for (String line : cgroups.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            boolean match = controller == null
                    ? f[0].equals("0") && f[1].isEmpty()
                    : Arrays.asList(f[1].split(",")).contains(controller);
            if (match) {
                return f[2].strip();
            }
        }
        return null;
    }

    /** {@return {@code found}, or the limit {@code file} sets on the way from {@code path} up, if smaller} */
    private static RamLimit smallest(RamLimit found, Path mountPoint, String root, String path, String file) {
        // The mount shows the hierarchy from `root` on; a cgroup outside it (another namespace) is seen at the top.
        String below = root.equals("/") ? path : path.startsWith(root + "/") ? path.substring(root.length()) : "/";
        Path dir = Path.of(mountPoint + below).normalize();
        for (; dir != null && dir.startsWith(mountPoint); dir = dir.getParent()) {
            String value = Proc.readLine(dir.resolve(file).toString());
            long limit;
            try {
                limit = value == null || value.equals("max") ? NONE : Long.parseLong(value);
            } catch (NumberFormatException e) {
                limit = NONE;
            }
            if (limit < found.cgroup) {
                found = new RamLimit(found.physical, limit, dir.resolve(file).toString());
            }
        }
        return found;
    }

    /** {@return {@code s} with mountinfo's octal escapes (a space is {@code \040}) decoded} */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean octal = c == '\\' && i + 3 < s.length()
                    && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7');
            if (octal) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
