package dev.hardmem.internal.os;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory cgroup's limit, found from /proc/self/cgroup and /proc/self/mountinfo as the kernel writes them. */
class RamLimitTest {
    @TempDir
    Path tmp;

    private static void write(Path file, String value) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, value + "\n");
    }

    private static String mount(String root, Path at, String type, String options) {
        return "25 1 0:22 / /proc rw - proc proc rw\n"
                + "30 25 0:26 " + root + " " + at.toString().replace(" ", "\\040") + " rw,nosuid - " + type + " "
                + type + " " + options + "\n";
    }

    @Test
    void cgroupV2TakesTheSmallestLimitOnTheWayUp() throws IOException {
        Path cg = tmp.resolve("cg 2");
        write(cg.resolve("a/b/memory.max"), "max");
        write(cg.resolve("a/memory.max"), "1073741824");
        write(cg.resolve("memory.max"), "2147483648");
        RamLimit r = RamLimit.ofCgroup("0::/a/b\n", mount("/", cg, "cgroup2", "rw,nsdelegate"));
        assertEquals(1L << 30, r.cgroup());
        assertEquals(cg.resolve("a/memory.max").toString(), r.cgroupFile());
    }

    @Test
    void cgroupV1ReadsTheMemoryHierarchy() throws IOException {
        Path mem = tmp.resolve("memory");
        write(mem.resolve("x/y/memory.limit_in_bytes"), "536870912");
        write(mem.resolve("x/memory.limit_in_bytes"), "9223372036854771712");
        String cgroups = "5:cpu,cpuacct:/elsewhere\n4:memory:/x/y\n0::/\n";
        RamLimit r = RamLimit.ofCgroup(cgroups, mount("/", mem, "cgroup", "rw,memory"));
        assertEquals(512L << 20, r.cgroup());
        RamLimit cpuOnly = RamLimit.ofCgroup(cgroups, mount("/", mem, "cgroup", "rw,cpu,cpuacct"));
        assertEquals(RamLimit.NONE, cpuOnly.cgroup(), "no memory controller there");
    }

    @Test
    void aMountOfPartOfTheHierarchyIsReadFromItsRoot() throws IOException {
        Path cg = tmp.resolve("ns");
        write(cg.resolve("y/memory.max"), "268435456");
        assertEquals(256L << 20, RamLimit.ofCgroup("0::/x/y\n", mount("/x", cg, "cgroup2", "rw")).cgroup());
        write(cg.resolve("memory.max"), "134217728");
        assertEquals(128L << 20, RamLimit.ofCgroup("0::/elsewhere\n", mount("/x", cg, "cgroup2", "rw")).cgroup(),
                "a cgroup outside the mount's root is read at the mount's top");
    }

    @Test
    void nothingKnownIsNoLimit() {
        assertEquals(RamLimit.NONE, RamLimit.ofCgroup(null, null).cgroup());
        assertEquals(RamLimit.NONE, RamLimit.ofCgroup("0::/a\n", mount("/", tmp.resolve("none"), "cgroup2", "rw"))
                .cgroup());
    }

    @Test
    void theLimitIsTheSmallerOfRamAndCgroup() {
        RamLimit machine = new RamLimit(8L << 30, RamLimit.NONE, null);
        assertEquals(8L << 30, machine.bytes());
        assertTrue(machine.describe().contains("physical memory"), machine.describe());
        RamLimit cgroup = new RamLimit(8L << 30, 1L << 30, "/sys/fs/cgroup/a/memory.max");
        assertEquals(1L << 30, cgroup.bytes());
        assertTrue(cgroup.describe().startsWith((1L << 30) + " bytes")
                && cgroup.describe().contains("/sys/fs/cgroup/a/memory.max"), cgroup.describe());
    }

    @Test
    void thisProcessHasALimitNoLargerThanItsRam() {
        RamLimit r = RamLimit.ofThisProcess();
        assertTrue(r.physical() > 0 && r.bytes() <= r.physical(), r.toString());
    }
}
