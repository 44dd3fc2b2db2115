package dev.hardmem;

import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Platform;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CapabilitiesTest {

    private static String proc(String path) throws Exception {
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    private static long procLimit(String name) throws Exception {
        for (String line : proc("/proc/self/limits").split("\n")) {
            if (line.startsWith(name)) {
                String soft = line.substring(26).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
            }
        }
        throw new AssertionError(name + " not in /proc/self/limits");
    }

    @Test
    void fieldsAgreeWithProc() throws Exception {
        Capabilities c = Capabilities.probe();
        assertEquals(Long.parseLong(proc("/proc/sys/vm/max_map_count")), c.maxMapCount());
        assertEquals(proc("/proc/sys/kernel/core_pattern"), c.corePattern());
        assertEquals(proc("/proc/sys/kernel/osrelease"), c.kernel());
        assertEquals(procLimit("Max locked memory"), c.memlockSoft());
        assertEquals(procLimit("Max core file size"), c.coreSoft());
        assertEquals(proc("/proc/swaps").lines().count() > 1, c.swapOn());
        long capEff = 0;
        for (String line : proc("/proc/self/status").split("\n")) {
            if (line.startsWith("CapEff:")) {
                capEff = Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        }
        assertEquals((capEff & (1L << 14)) != 0, c.capIpcLock());
        int maps = (int) proc("/proc/self/maps").lines().count();
        assertTrue(Math.abs(maps - c.mappings()) < 50, "mappings " + c.mappings() + " vs " + maps);
        Path yama = Path.of("/proc/sys/kernel/yama/ptrace_scope");
        assertEquals(Files.exists(yama) ? Integer.parseInt(proc(yama.toString())) : -1, c.ptraceScope());
        assertEquals(Libc.prctl(Platform.PR_GET_DUMPABLE, 0), c.dumpable());
    }

    @Test
    void onlyProbeMakesOne() {
        assertEquals(0, Capabilities.class.getConstructors().length,
                "a public constructor lets anyone make a report this machine never gave");
    }

    @Test
    void thisMachineAcceptsTheAdviceAndMemfdSecret() {
        Capabilities c = Capabilities.probe();
        assertTrue(c.madvDontdump());
        assertTrue(c.madvWipeonfork());
        assertTrue(c.memfdSecretWorks(), c.memfdSecret());
    }

    /** Prints {@code Capabilities} fields that depend on the capability set, for the child test below. */
    public static final class Probe {
        public static void main(String[] args) {
            Capabilities c = Capabilities.probe();
            System.out.println(c.capIpcLock() + " " + c.memlockSoft() + " " + c.memlockUnlimited() + " "
                    + c.missingForDefaultPolicy().size());
        }
    }

    @Test
    void withoutIpcLockTheLimitAppliesAndTooSmallALimitIsReported() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.withoutIpcLock(4096), List.of(), Probe.class);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("false 4096 false 1", r.stdout().strip(), r.output());
        assertFalse(r.stdout().isBlank());
    }
}
