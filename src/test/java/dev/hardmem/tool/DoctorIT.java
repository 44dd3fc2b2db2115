package dev.hardmem.tool;

import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.MiniJson;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs {@code doctor} from the built jar, exactly as the README tells a user to. */
class DoctorIT {
    private static ChildJvm.Result jar(List<String> wrapper, String... args) throws Exception {
        String jar = System.getProperty("hardmem.jar");
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(ChildJvm.javaBinary());
        cmd.add("-jar");
        cmd.add(jar);
        cmd.addAll(List.of(args));
        return ChildJvm.exec(cmd);
    }

    @Test
    void tableOnThisMachineExitsZero() throws Exception {
        ChildJvm.Result r = jar(List.of(), "doctor");
        assertEquals(0, r.exitCode(), r.output());
        for (String expected : new String[] {"memlock limit", "MADV_DONTDUMP", "MADV_WIPEONFORK", "memfd_secret",
                "core dumps", "mappings", "swap", "ptrace scope", "live self-check",
                "PASS   guard page faults", "EFAULT (Bad address)", "VmFlags dd lo wf", "verdict: OK",
                "isolated secret: one byte past the end faults", "slab secret: smaps flags", "allocator",
                "0 canary failures", "PASS   freed secret memory reads back as zeros", "reachable by"}) {
            assertTrue(r.stdout().contains(expected), "missing '" + expected + "'\n" + r.output());
        }
        assertFalse(r.stdout().contains("FAIL"), r.output());
        assertFalse(r.stderr().contains("WARNING"), "no native-access warning: the manifest enables it\n"
                + r.output());
    }

    @Test
    void jsonParsesAndAgreesWithTheVerdict() throws Exception {
        ChildJvm.Result r = jar(List.of(), "doctor", "--json");
        assertEquals(0, r.exitCode(), r.output());
        Map<?, ?> doc = assertInstanceOf(Map.class, MiniJson.parse(r.stdout()));
        assertEquals(Boolean.TRUE, doc.get("ok"));
        Map<?, ?> caps = assertInstanceOf(Map.class, doc.get("capabilities"));
        assertEquals(4096L, caps.get("pageSize"));
        assertEquals(Boolean.TRUE, caps.get("madvDontdump"));
        List<?> checks = assertInstanceOf(List.class, doc.get("selfCheck"));
        assertTrue(checks.size() >= 13, checks.toString());
        Map<?, ?> allocator = assertInstanceOf(Map.class, doc.get("allocator"));
        assertEquals(0L, allocator.get("liveSecrets"), "the self-check freed what it allocated");
        assertEquals(0L, allocator.get("canaryFailures"));
        for (Object c : checks) {
            assertEquals(Boolean.TRUE, ((Map<?, ?>) c).get("passed"), c.toString());
        }
    }

    @Test
    void tooSmallAMemlockLimitWithoutTheCapabilityExitsOneWithTheReason() throws Exception {
        ChildJvm.Result r = jar(ChildJvm.withoutIpcLock(4096), "doctor");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("verdict: NOT OK"), r.output());
        assertTrue(r.stdout().contains("RLIMIT_MEMLOCK is 4096 bytes"), r.output());
        ChildJvm.Result j = jar(ChildJvm.withoutIpcLock(4096), "doctor", "--json");
        assertEquals(1, j.exitCode(), j.output());
        Map<?, ?> doc = assertInstanceOf(Map.class, MiniJson.parse(j.stdout()));
        assertEquals(Boolean.FALSE, doc.get("ok"));
        assertFalse(((List<?>) doc.get("missing")).isEmpty());
    }

    @Test
    void onTheModulePathWithNativeAccessForTheModuleAlone() throws Exception {
        ChildJvm.Result r = ChildJvm.exec(List.of(ChildJvm.javaBinary(), "--enable-native-access=dev.hardmem",
                "--module-path", System.getProperty("hardmem.jar"), "--module", "dev.hardmem", "doctor"));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("verdict: OK"), r.output());
        assertFalse(r.stderr().contains("WARNING"), "native access is granted to the module: " + r.output());
    }

    @Test
    void afterHardeningNeitherCoreDumpsNorSameUserDebuggersReachTheProcess() throws Exception {
        ChildJvm.Result plain = jar(List.of(), "doctor");
        assertTrue(plain.stdout().contains("same-user debuggers"), plain.output());
        ChildJvm.Result r = jar(List.of(), "doctor", "--harden");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("dumpable 0"), r.output());
        assertTrue(r.stdout().contains("no core dumps, no same-user debugger"), r.output());
        ChildJvm.Result j = jar(List.of(), "doctor", "--json", "--harden");
        Map<?, ?> caps = (Map<?, ?>) ((Map<?, ?>) MiniJson.parse(j.stdout())).get("capabilities");
        assertEquals(0L, caps.get("dumpable"));
        assertEquals(0L, caps.get("coreSoft"));
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        ChildJvm.Result unknownOption = jar(List.of(), "doctor", "--bogus");
        assertEquals(2, unknownOption.exitCode(), unknownOption.output());
        assertTrue(unknownOption.stderr().contains("unknown option '--bogus'"), unknownOption.output());
        assertTrue(unknownOption.stderr().contains("usage: hardmem doctor"), unknownOption.output());
        assertEquals(2, jar(List.of(), "frobnicate").exitCode());
        assertEquals(2, jar(List.of()).exitCode());
    }
}
