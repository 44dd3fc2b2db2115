package dev.hardmem.guarded;

import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Under a real memory cgroup (cgroup v1's memory controller, which root can give a child group here), without
 * {@code CAP_IPC_LOCK} and with a small {@code RLIMIT_MEMLOCK}, so {@code BEST_EFFORT} goes on unlocked: a secret
 * larger than the group's limit is refused with the limit named, and a large secret whose owner touched a few bytes
 * is allocated, wiped and freed without the kernel's OOM killer.
 */
class MemoryCgroupTest {
    private static final long LIMIT = 256L << 20;

    /** Child: runs in the cgroup. */
    public static final class Child {
        public static void main(String[] args) {
            GuardedAllocator a = GuardedAllocator.create(GuardPolicy.defaults().withLock(GuardPolicy.Lock.BEST_EFFORT));
            try {
                Allocation tooLarge = a.allocate(2 * LIMIT);
                System.out.println("accepted " + 2 * LIMIT);
                tooLarge.close();
            } catch (MemoryBudgetException e) {
                System.out.println("refused: " + e.getMessage());
            }
            // Nearly the whole limit, which the JVM's own memory leaves no room for if every page is touched.
            Allocation x = a.allocate(LIMIT * 15 / 16);
            MemorySegment s = x.segment();
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            s.set(ValueLayout.JAVA_BYTE, s.byteSize() / 2, (byte) 2);
            s.set(ValueLayout.JAVA_BYTE, s.byteSize() - 1, (byte) 3);
            x.close();
            a.close();
            System.out.println("closed");
        }
    }

    /** {@return this process's directory in the cgroup v1 memory hierarchy, or {@code null}} */
    private static Path memoryCgroup() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("memory")) {
                Path dir = Path.of("/sys/fs/cgroup/memory" + f[2]);
                return Files.isWritable(dir) ? dir : null;
            }
        }
        return null;
    }

    @Test
    void aLargeSecretNeitherOutgrowsNorIsKilledInAMemoryCgroup() throws Exception {
        Path parent = memoryCgroup();
        assumeTrue(parent != null, "no writable cgroup v1 memory hierarchy here");
        Path group = parent.resolve("hardmem-test-" + ProcessHandle.current().pid());
        try {
            Files.createDirectory(group);
            Files.writeString(group.resolve("memory.limit_in_bytes"), String.valueOf(LIMIT));
        } catch (Exception e) {
            assumeTrue(false, "cannot make a memory cgroup here: " + e);
        }
        try {
            List<String> wrapper = new ArrayList<>(List.of("sh", "-c",
                    "echo $$ > '" + group.resolve("cgroup.procs") + "' && exec \"$@\"", "sh"));
            wrapper.addAll(ChildJvm.withoutIpcLock(256 * 1024));
            ChildJvm.Result r = ChildJvm.run(wrapper, List.of("-Xmx64m"), Child.class);
            assertEquals(0, r.exitCode(), "the child failed (137: killed by the OOM killer): " + r.output());
            String out = r.stdout();
            assertTrue(out.contains("refused: "), out);
            assertTrue(out.contains(String.valueOf(LIMIT)) && out.contains("memory.limit_in_bytes"), out);
            assertTrue(out.contains("closed"), out);
        } finally {
            Files.deleteIfExists(group);
        }
    }
}
