package dev.hardmem.tool;

import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.MiniJson;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs {@code doctor} from the built jar, exactly as the README tells a user to. */
class DoctorIT {
    private static ChildJvm.Result jar(List<String> wrapper, String... args) throws Exception {
        return jar(wrapper, List.of(), args);
    }

    private static ChildJvm.Result jar(List<String> wrapper, List<String> jvmOptions, String... args)
            throws Exception {
        String jar = System.getProperty("hardmem.jar");
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(ChildJvm.javaBinary());
        cmd.addAll(jvmOptions);
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
        assertTrue(row(plain, "reachable by").contains("same-user debuggers, root"), plain.output());
        ChildJvm.Result r = jar(List.of(), "doctor", "--harden");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("dumpable 0"), r.output());
        assertTrue(row(r, "reachable by").contains("root (CAP_SYS_PTRACE) only"), r.output());
        assertTrue(row(r, "reachable by").contains("same-user debuggers are refused"), r.output());
        ChildJvm.Result j = jar(List.of(), "doctor", "--json", "--harden");
        Map<?, ?> caps = (Map<?, ?>) ((Map<?, ?>) MiniJson.parse(j.stdout())).get("capabilities");
        assertEquals(0L, caps.get("dumpable"));
        assertEquals(0L, caps.get("coreSoft"));
    }

    @Test
    void libsodiumIsReportedWithItsVersionOrAsMissingWithThePackageToInstall() throws Exception {
        ChildJvm.Result r = jar(List.of(), "doctor");
        assertEquals(0, r.exitCode(), r.output());
        String found = row(r, "libsodium");
        assertTrue(found.matches("  libsodium +1\\.0\\.\\d+ .*XChaCha20-Poly1305.*"), found);
        ChildJvm.Result j = jar(List.of(), "doctor", "--json");
        Map<?, ?> caps = (Map<?, ?>) ((Map<?, ?>) MiniJson.parse(j.stdout())).get("capabilities");
        assertTrue(String.valueOf(caps.get("libsodium")).startsWith("1.0."), caps.toString());
        assertEquals(null, caps.get("libsodiumDetail"));

        // Missing: reported, and not a reason to fail the verdict (nothing but dev.hardmem.crypto needs it).
        List<String> hidden = List.of("-Ddev.hardmem.libsodium=/nonexistent/libsodium.so");
        ChildJvm.Result m = jar(List.of(), hidden, "doctor");
        assertEquals(0, m.exitCode(), m.output());
        String missing = row(m, "libsodium");
        assertTrue(missing.contains("missing") && missing.contains("libsodium23")
                && missing.contains("names no loadable library"), missing);
        ChildJvm.Result mj = jar(List.of(), hidden, "doctor", "--json");
        Map<?, ?> mcaps = (Map<?, ?>) ((Map<?, ?>) MiniJson.parse(mj.stdout())).get("capabilities");
        assertEquals(null, mcaps.get("libsodium"));
        assertEquals(Boolean.FALSE, mcaps.get("aes256gcm"));
        assertTrue(String.valueOf(mcaps.get("libsodiumDetail")).contains("names no loadable library"),
                mcaps.toString());
    }

    @Test
    void sealedSecretsAreReportedWithTheirKeyBackingAndProvedLive() throws Exception {
        ChildJvm.Result r = jar(List.of(), "doctor");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(row(r, "sealed secrets").matches("  sealed secrets +available +SealedSecret works: .*libsodium"
                + " 1\\.0\\.\\d+.*"), r.output());
        boolean memfd = row(r, "memfd_secret").contains("works");
        String keys = row(r, "sealing keys");
        assertTrue(memfd ? keys.contains("memfd_secret") && keys.contains("outside the kernel's direct map")
                : keys.contains("anonymous memory") && keys.contains("memfd_secret is unavailable ("), keys);
        for (String expected : new String[] {"PASS   sealed secret (coffer): sealed, read back",
                "PASS   sealed secret (shielded): sealed, read back",
                memfd ? "/proc/self/mem cannot read them (it reads ordinary memory)"
                        : "PASS   sealing key material on anonymous",
                memfd ? "PASS   sealing key material on memfd_secret pages" : "memfd_secret is unavailable here",
                "PASS   rekey: re-sealed under new keys, read back, closed  2 of 2 moved, 2 of 2 equal after"}) {
            assertTrue(r.stdout().contains(expected), "missing '" + expected + "'\n" + r.output());
        }
        ChildJvm.Result j = jar(List.of(), "doctor", "--json");
        Map<?, ?> doc = assertInstanceOf(Map.class, MiniJson.parse(j.stdout()));
        Map<?, ?> sealed = assertInstanceOf(Map.class, doc.get("sealed"));
        assertEquals(Boolean.TRUE, sealed.get("available"), j.stdout());
        assertEquals(Boolean.TRUE, sealed.get("works"), j.stdout());
        assertEquals(null, sealed.get("detail"));
        assertEquals(memfd ? "memfd_secret" : "anonymous", sealed.get("keyBacking"));
        assertEquals(memfd, sealed.get("keyBackingDetail") == null, j.stdout());
        Map<?, ?> allocator = (Map<?, ?>) doc.get("allocator");
        assertEquals(0L, allocator.get("liveSecrets"), "the self-check freed what it allocated: " + j.stdout());
    }

    @Test
    void withoutLibsodiumSealedSecretsAreUnavailableWithThePackageToInstallAndNotChecked() throws Exception {
        List<String> hidden = List.of("-Ddev.hardmem.libsodium=/nonexistent/libsodium.so");
        ChildJvm.Result r = jar(List.of(), hidden, "doctor");
        assertEquals(0, r.exitCode(), "optional: not a reason to fail the verdict\n" + r.output());
        String row = row(r, "sealed secrets");
        assertTrue(row.contains("unavailable") && row.contains("libsodium23") && row.contains("Fedora: libsodium")
                && row.contains("names no loadable library"), row);
        assertTrue(row(r, "sealing keys").contains("none"), r.output());
        assertFalse(r.stdout().contains("sealed secret ("), "no sealing check runs without libsodium\n" + r.output());
        ChildJvm.Result j = jar(List.of(), hidden, "doctor", "--json");
        assertEquals(0, j.exitCode(), j.output());
        Map<?, ?> sealed = (Map<?, ?>) ((Map<?, ?>) MiniJson.parse(j.stdout())).get("sealed");
        assertEquals(Boolean.FALSE, sealed.get("available"), j.stdout());
        assertEquals(Boolean.FALSE, sealed.get("works"), j.stdout());
        assertTrue(String.valueOf(sealed.get("detail")).contains("names no loadable library"), j.stdout());
        assertEquals(null, sealed.get("keyBacking"));
    }

    @Test
    void sealingThatCannotLockItsKeyMaterialFailsTheSelfCheckAndTheVerdict() throws Exception {
        // 128 KiB is enough for the rest of the self-check (the default policy needs 64 KiB) but not for the
        // sealing key material's isolated pages as well.
        ChildJvm.Result r = jar(ChildJvm.withoutIpcLock(128 * 1024), "doctor");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(row(r, "sealed secrets").contains("failing"), r.output());
        assertTrue(r.stdout().contains("FAIL   sealed secret ("), r.output());
        assertTrue(r.stdout().contains("MemoryBudgetException: cannot lock"), r.output());
        assertFalse(r.stdout().contains("FAIL   allocate from the guarded allocator"), r.output());
        ChildJvm.Result j = jar(ChildJvm.withoutIpcLock(128 * 1024), "doctor", "--json");
        Map<?, ?> doc = (Map<?, ?>) MiniJson.parse(j.stdout());
        assertEquals(Boolean.FALSE, doc.get("ok"));
        Map<?, ?> sealed = (Map<?, ?>) doc.get("sealed");
        assertEquals(Boolean.TRUE, sealed.get("available"), j.stdout());
        assertEquals(Boolean.FALSE, sealed.get("works"), j.stdout());
    }

    /** {@return the line of the table whose key is {@code key}} */
    private static String row(ChildJvm.Result r, String key) {
        return r.stdout().lines().filter(l -> l.startsWith("  " + key + "  ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row '" + key + "'\n" + r.output()));
    }

    @Test
    void withNoMemlockAllowedTheTableSaysSoInWordsNotNumbersOrSystemCalls() throws Exception {
        ChildJvm.Result r = jar(ChildJvm.withoutIpcLock(0), "doctor");
        assertEquals(1, r.exitCode(), r.output());
        String memlock = row(r, "memlock limit");
        assertFalse(memlock.contains("about 0"), memlock);
        assertTrue(memlock.contains("too small to lock one 64 KiB slab"), memlock);
        String memfd = row(r, "memfd_secret");
        assertFalse(memfd.contains("mmap("), "no raw system call in the table: " + memfd);
        assertTrue(memfd.contains("RLIMIT_MEMLOCK"), memfd);
        assertTrue(row(jar(ChildJvm.withoutIpcLock(4096), "doctor"), "memlock limit")
                .contains("too small to lock one 64 KiB slab"));
    }

    @Test
    void jsonSaysUnlimitedAndUnknownInWordsNotMinusOne() throws Exception {
        // Raising a hard limit needs CAP_SYS_RESOURCE, which a container may lack; the core limit is unlimited
        // by default and goes through the same code as the memlock limit.
        ChildJvm.Result r = jar(List.of("prlimit", "--core=unlimited:unlimited", "--"), "doctor", "--json");
        assertEquals(0, r.exitCode(), r.output());
        Map<?, ?> caps = (Map<?, ?>) ((Map<?, ?>) MiniJson.parse(r.stdout())).get("capabilities");
        assertEquals("unlimited", caps.get("coreSoft"), r.stdout());
        assertEquals("unlimited", caps.get("coreHard"), r.stdout());
        for (Map.Entry<?, ?> e : caps.entrySet()) {
            assertFalse(Long.valueOf(-1).equals(e.getValue()), e.getKey() + " is -1: " + r.stdout());
        }
    }

    @Test
    void theCrashLogIsReportedWithWhereItGoesAndWhetherOthersCanReadIt() throws Exception {
        ChildJvm.Result plain = jar(List.of(), "doctor");
        String crashLog = row(plain, "crash log");
        // ChildJvm runs the jar in a fresh private temporary directory: the default hs_err file goes there.
        assertTrue(crashLog.contains("/hs_err_pid"), crashLog);
        Path shared = Files.createTempDirectory("hardmem-crash");
        try {
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
            String pattern = shared.resolve("hs_err_pid%p.log").toString();
            ChildJvm.Result open = jar(List.of(), List.of("-XX:ErrorFile=" + pattern), "doctor");
            assertEquals(0, open.exitCode(), open.output());
            String line = row(open, "crash log");
            assertTrue(line.contains(shared + "/hs_err_pid"), line);
            assertTrue(line.contains("other users can read it"), line);
            assertTrue(line.contains("-XX:ErrorFile=<private directory>/hs_err_pid%p.log"), line);
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx------"));
            ChildJvm.Result closed = jar(List.of(), List.of("-XX:ErrorFile=" + pattern), "doctor",
                    "--json");
            Map<?, ?> log = (Map<?, ?>) ((Map<?, ?>) MiniJson.parse(closed.stdout())).get("crashLog");
            assertTrue(((String) log.get("file")).startsWith(shared + "/hs_err_pid"), closed.stdout());
            assertEquals(Boolean.TRUE, log.get("private"), closed.stdout());
        } finally {
            Files.delete(shared);
        }
    }

    @Test
    void helpPrintsUsageOnStdoutAndExitsZero() throws Exception {
        for (List<String> args : List.of(List.of("doctor", "--help"), List.of("doctor", "-h"), List.of("--help"),
                List.of("-h"))) {
            ChildJvm.Result r = jar(List.of(), args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), args + "\n" + r.output());
            assertTrue(r.stdout().startsWith("usage: hardmem doctor"), args + "\n" + r.output());
            assertTrue(r.stdout().contains("--harden") && r.stdout().contains("--help"), r.output());
            assertEquals("", r.stderr(), r.output());
        }
    }

    @Test
    void onAJavaOlderThan22ItSaysWhatItNeedsAndExitsThree() throws Exception {
        OldJava old = OldJava.find();
        assumeTrue(old != null, "no Java older than 22 installed here");
        for (String[] args : new String[][] {{"doctor"}, {"doctor", "--json"}}) {
            List<String> cmd = new ArrayList<>(List.of(old.binary(), "-jar", System.getProperty("hardmem.jar")));
            cmd.addAll(List.of(args));
            ChildJvm.Result r = ChildJvm.exec(cmd);
            assertEquals(Main.CANNOT_RUN_HERE, r.exitCode(), r.output());
            assertTrue(r.stderr().contains("hardmem needs Java 22 or newer; this is Java " + old.version()),
                    r.output());
            assertTrue(r.stderr().contains(old.home()), "names the Java it found: " + r.output());
            assertFalse(r.output().contains("UnsupportedClassVersionError"), r.output());
            assertFalse(r.output().contains("LinkageError"), r.output());
            assertEquals("", r.stdout(), "nothing on stdout, so --json output is never half a document");
        }
    }

    @Test
    void withNativeAccessDeniedItNamesTheFlagAndExitsThree() throws Exception {
        String jar = System.getProperty("hardmem.jar");
        ChildJvm.Result module = ChildJvm.exec(List.of(ChildJvm.javaBinary(), "--illegal-native-access=deny",
                "--module-path", jar, "--module", "dev.hardmem", "doctor"));
        assertEquals(Main.CANNOT_RUN_HERE, module.exitCode(), module.output());
        assertTrue(module.stderr().contains("--enable-native-access=dev.hardmem"), module.output());
        assertFalse(module.output().contains("ExceptionInInitializerError"), module.output());
        ChildJvm.Result classPath = ChildJvm.exec(List.of(ChildJvm.javaBinary(), "--illegal-native-access=deny",
                "-cp", jar, "dev.hardmem.tool.Main", "doctor", "--json"));
        assertEquals(Main.CANNOT_RUN_HERE, classPath.exitCode(), classPath.output());
        assertTrue(classPath.stderr().contains("--enable-native-access=ALL-UNNAMED"), classPath.output());
        assertEquals("", classPath.stdout(), classPath.output());
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
