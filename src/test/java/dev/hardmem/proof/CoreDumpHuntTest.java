package dev.hardmem.proof;

import dev.hardmem.Hardening;
import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.Hunt;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dumps a live child JVM with {@code gcore} and searches the core for the random patterns its secrets hold (none
 * may be there: their pages are {@code MADV_DONTDUMP}) and for a pattern it keeps in a plain {@code byte[]} (it
 * must be there: that proves the hunt would find a secret if one leaked).
 */
class CoreDumpHuntTest {

    /** Child: holds secrets in every tier and backing, and a control pattern on the heap; waits for stdin to close. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Map<String, String> patterns = new LinkedHashMap<>();
            List<Object> keep = new ArrayList<>();
            Secret<SecretKind.Key> slab = Secret.random(SecretKind.Key.class, 32);
            patterns.put("Secret.random (slab)", slab.read(Hunt::hex32));
            keep.add(slab);
            GuardedAllocator isolated = GuardedAllocator.create(GuardPolicy.defaults().withIsolatedOnly(true));
            GuardedAllocator memfd = GuardedAllocator.create(GuardPolicy.defaults()
                    .withBacking(GuardPolicy.Backing.MEMFD_SECRET));
            SecretArena defaultArena = SecretArena.ofConfined();
            SecretArena isolatedArena = SecretArena.ofConfined(isolated);
            SecretArena memfdArena = SecretArena.ofConfined(memfd);
            keep.add(new Object[] {defaultArena, isolatedArena, memfdArena});
            patterns.put("SecretArena default, 1 KiB slot", fill(defaultArena.allocate(1024)));
            patterns.put("SecretArena default, isolated 64 KiB", fill(defaultArena.allocate(65536)));
            patterns.put("SecretArena isolated tier", fill(isolatedArena.allocate(32)));
            patterns.put("SecretArena memfd_secret slab", fill(memfdArena.allocate(32)));
            patterns.put("SecretArena memfd_secret isolated", fill(memfdArena.allocate(8192)));
            byte[] control = new byte[32];
            new SecureRandom().nextBytes(control);
            keep.add(control);
            // Second control: native memory without MADV_DONTDUMP is dumped, so the absence of the guarded
            // patterns is the advice at work, not gcore skipping native memory.
            SecretArena unguarded = SecretArena.ofConfinedUnguarded();
            keep.add(unguarded);
            String unguardedPattern = fill(unguarded.allocate(32));
            if (args.length > 0 && args[0].equals("hardened")) {
                Hardening.apply();
            }
            StringBuilder out = new StringBuilder();
            patterns.forEach((k, v) -> out.append("secret ").append(k).append('=').append(v).append('\n'));
            out.append("control byte[]=").append(HexFormat.of().formatHex(control)).append('\n');
            out.append("control unguarded=").append(unguardedPattern).append('\n');
            out.append("ready\n");
            System.out.print(out);
            System.out.flush();
            while (System.in.read() >= 0) {
                Thread.onSpinWait();
            }
            System.out.println(keep.size());
        }

        private static String fill(MemorySegment s) {
            Libc.getrandom(s);
            return Hunt.hex32(s.asSlice(s.byteSize() - 32));
        }

    }

    private record Child(Process process, Map<String, byte[]> secrets, Map<String, byte[]> controls) {
    }

    /** Root without CAP_SYS_PTRACE: what a same-user debugger has (and the children it attaches to, too). */
    private static final List<String> SAME_USER = List.of("setpriv", "--inh-caps=-sys_ptrace",
            "--bounding-set=-sys_ptrace", "--");

    private static Child start(String mode) throws Exception {
        return start(List.of(), mode);
    }

    private static Child start(List<String> wrapper, String mode) throws Exception {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(ChildJvm.javaBinary(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx64m", "-XX:+UseSerialGC", "-XX:-CreateCoredumpOnCrash", "-cp",
                System.getProperty("java.class.path"), Holder.class.getName(), mode));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Map<String, byte[]> secrets = new LinkedHashMap<>();
        Map<String, byte[]> controls = new LinkedHashMap<>();
        String line;
        while ((line = r.readLine()) != null && !line.equals("ready")) {
            String[] kv = line.split("=", 2);
            byte[] bytes = HexFormat.of().parseHex(kv[1]);
            if (kv[0].startsWith("secret ")) {
                secrets.put(kv[0].substring(7), bytes);
            } else {
                controls.put(kv[0], bytes);
            }
        }
        assertEquals("ready", line, "the child did not get ready");
        return new Child(p, secrets, controls);
    }

    private static void stop(Child c) throws Exception {
        c.process().getOutputStream().close();
        if (!c.process().waitFor(20, TimeUnit.SECONDS)) {
            c.process().destroyForcibly();
        }
    }

    private static ChildJvm.Result gcore(List<String> wrapper, Path prefix, long pid) throws Exception {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of("gcore", "-o", prefix.toString(), Long.toString(pid)));
        return ChildJvm.exec(cmd);
    }

    @Test
    void theCoreHoldsTheHeapPatternAndNoSecret() throws Exception {
        Child c = start("plain");
        Path dir = Files.createTempDirectory("hardmem-core");
        Path core = dir.resolve("core." + c.process().pid());
        try {
            ChildJvm.Result g = gcore(List.of(), dir.resolve("core"), c.process().pid());
            assertTrue(Files.exists(core), "this machine could not make a core with gcore (gdb): " + g.output());
            Map<String, byte[]> all = new LinkedHashMap<>(c.secrets());
            all.putAll(c.controls());
            Map<String, Long> found = Hunt.count(core, all);
            assertEquals(2, c.controls().size());
            for (String k : c.controls().keySet()) {
                assertTrue(found.get(k) > 0, k + ": a control pattern must be in the core, or the hunt is blind"
                        + " (core size " + Files.size(core) + ")");
            }
            for (String k : c.secrets().keySet()) {
                assertEquals(0L, found.get(k), k + " was found in the core dump");
            }
            assertEquals(6, c.secrets().size());
        } finally {
            stop(c);
            Files.deleteIfExists(core);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void afterHardeningASameUserDebuggerCannotDumpTheProcess() throws Exception {
        // Root holds CAP_SYS_PTRACE, which may attach to anything; a same-user debugger does not have it. The
        // kernel also wants the tracer's capabilities to cover the target's, so the children drop it too.
        List<String> sameUser = SAME_USER;
        Child plain = start(SAME_USER, "plain");
        Child hardened = start(SAME_USER, "hardened");
        Path dir = Files.createTempDirectory("hardmem-core");
        try {
            ChildJvm.Result ok = gcore(sameUser, dir.resolve("plain"), plain.process().pid());
            assertTrue(Files.exists(dir.resolve("plain." + plain.process().pid())),
                    "control: without hardening a same-user gcore works: " + ok.output());
            ChildJvm.Result refused = gcore(sameUser, dir.resolve("hard"), hardened.process().pid());
            assertFalse(Files.exists(dir.resolve("hard." + hardened.process().pid())),
                    "a core was written despite Hardening.apply(): " + refused.output());
            assertNotEquals(0, refused.exitCode(), refused.output());
        } finally {
            stop(plain);
            stop(hardened);
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }
}
