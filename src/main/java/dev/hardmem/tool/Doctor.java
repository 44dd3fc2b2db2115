package dev.hardmem.tool;

import dev.hardmem.Capabilities;
import dev.hardmem.Hardening;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.Stats;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.os.Platform;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code hardmem doctor}: what protections this machine gives secrets, each with what it means, and a live
 * self-check that proves them on this very process.
 */
final class Doctor {
    /** Bytes a 32-byte secret occupies in a slab: the secret and the 16-byte canary after it. */
    static final long SLAB_BYTES_PER_32_BYTE_SECRET = 48;
    /** Mappings one {@code sodium_malloc} allocation uses (metadata page, two guards, data). */
    static final long SODIUM_MAPPINGS_PER_SECRET = 4;

    static final String INSTALL_LIBSODIUM = "install libsodium (Debian, Ubuntu: libsodium23; Fedora: libsodium)";

    private Doctor() {
    }

    /** One line of the report: its key, the value seen, and what it means for secrets. */
    private record Row(String key, String value, String meaning) {
    }

    /** Runs the report on a supported platform and prints it; {@return the exit status: 0 or {@link Main#MISSING}} */
    static int run(boolean json, PrintStream out) {
        Capabilities caps = Capabilities.probe();
        String crashLog = Hardening.crashLog();
        boolean crashLogPrivate = Hardening.crashLogIsPrivate();
        // The sealed secrets' checks come last: run first, the memory they lock could starve the others.
        List<Check> checks = new ArrayList<>(SelfCheck.run());
        List<Check> sealedChecks = SealedCheck.run(caps.memfdSecretWorks());
        checks.addAll(sealedChecks);
        Sealing sealing = Sealing.of(caps, sealedChecks);
        List<Row> rows = rows(caps, sealing);
        rows.add(new Row("crash log", crashLog, crashLogMeaning(crashLog, crashLogPrivate)));
        Stats stats = GuardedAllocator.shared().stats();
        rows.add(new Row("allocator", stats.liveSecrets() + " live, " + bytes(stats.bytesLocked()) + " locked, "
                + bytes(stats.bytesUnlocked()) + " unlocked, " + stats.mappings() + " mappings",
                "the default guarded allocator (" + stats.backing() + "), after the self-check"));
        rows.add(new Row("corruption", stats.canaryFailures() + " canary failures, " + stats.quarantinedSlots()
                + " quarantined", stats.canaryFailures() == 0 ? "no overrun or write after free seen"
                : "memory around secrets was overwritten"));
        List<String> missing = new ArrayList<>(caps.missingForDefaultPolicy());
        for (Check c : checks) {
            if (!c.passed()) {
                missing.add("self-check failed: " + c.name() + " (" + c.evidence() + ")");
            }
        }
        if (json) {
            Map<String, Object> doc = document(caps, rows, checks, missing, stats);
            Map<String, Object> log = new LinkedHashMap<>();
            log.put("file", crashLog);
            log.put("private", crashLogPrivate);
            doc.put("crashLog", log);
            doc.put("sealed", sealing.json());
            out.println(Json.write(doc));
        } else {
            printTable(out, rows, checks, missing);
        }
        return missing.isEmpty() ? 0 : Main.MISSING;
    }

    private static String crashLogMeaning(String crashLog, boolean isPrivate) {
        String what = "a JVM crash writes its register dump, which can hold secret bytes, ";
        if (isPrivate) {
            return what + "into a directory only this user can enter";
        }
        String where = crashLog.startsWith("/") ? "here, where other users can read it"
                : "to " + crashLog + ", wherever this process's output is collected";
        return what + where + "; start the JVM with -XX:ErrorFile=<private directory>/hs_err_pid%p.log";
    }

    private static List<Row> rows(Capabilities c, Sealing sealing) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("platform", Platform.current().name().toLowerCase(Locale.ROOT) + ", kernel " + c.kernel(),
                "supported"));
        rows.add(new Row("page size", bytes(c.pageSize()), "guard pages and isolated secrets come in this unit"));
        String memlock = limitText(c.memlockSoft()) + " (hard " + limitText(c.memlockHard()) + ")";
        String memlockMeaning;
        if (c.memlockUnlimited()) {
            memlockMeaning = c.capIpcLock() ? "CAP_IPC_LOCK held: the limit does not apply, any amount can be locked"
                    : "unlimited: any amount can be locked";
        } else if (c.memlockSoft() < Layout.SLAB_TARGET_BYTES) {
            memlockMeaning = "too small to lock one " + bytes(Layout.SLAB_TARGET_BYTES) + " slab: the default policy"
                    + " cannot allocate a secret";
        } else {
            memlockMeaning = String.format(Locale.ROOT, "about %,d 32-byte secrets can be locked",
                    c.memlockSoft() / SLAB_BYTES_PER_32_BYTE_SECRET);
        }
        rows.add(new Row("memlock limit", memlock, memlockMeaning));
        rows.add(new Row("CAP_IPC_LOCK", yesNo(c.capIpcLock()),
                c.capIpcLock() ? "this process may lock memory past RLIMIT_MEMLOCK" : "RLIMIT_MEMLOCK applies"));
        rows.add(new Row("MADV_DONTDUMP", accepted(c.madvDontdump()),
                c.madvDontdump() ? "secret pages are left out of core dumps" : "secret pages WOULD be in core dumps"));
        rows.add(new Row("MADV_WIPEONFORK", accepted(c.madvWipeonfork()),
                c.madvWipeonfork() ? "a forked child sees zeros, not secrets" : "a forked child would inherit secrets"));
        rows.add(new Row("memfd_secret", c.memfdSecretWorks() ? "works" : "unavailable",
                c.memfdSecretWorks() ? "secret pages can leave the kernel's direct map (opt-in backing)"
                        : c.memfdSecret()));
        rows.add(new Row("core dumps", "RLIMIT_CORE " + limitText(c.coreSoft()) + ", dumpable " + c.dumpable()
                + ", core_pattern " + (c.corePattern() == null ? "unreadable" : c.corePattern()),
                c.coreDumpsPossible() ? "a crash can write a core; secret pages are excluded by MADV_DONTDUMP"
                        : "this process writes no core file"));
        rows.add(new Row("libsodium", c.libsodiumWorks() ? c.libsodium() : "missing", libsodiumMeaning(c)));
        rows.add(new Row("sealed secrets", sealing.value(), sealing.meaning()));
        rows.add(new Row("sealing keys", sealing.keyValue(), sealing.keyMeaning()));
        long room = c.maxMapCount() - c.mappings();
        rows.add(new Row("mappings", String.format(Locale.ROOT, "%,d of %,d (vm.max_map_count)", c.mappings(),
                c.maxMapCount()), String.format(Locale.ROOT,
                "room for %,d more; sodium_malloc would stop after about %,d more secrets", room,
                room / SODIUM_MAPPINGS_PER_SECRET)));
        rows.add(new Row("swap", c.swapOn() ? "on" : "off",
                c.swapOn() ? "unlocked pages could be swapped out; locked ones are not" : "nothing can be swapped"));
        rows.add(new Row("ptrace scope", c.ptraceScope() < 0 ? "no Yama" : String.valueOf(c.ptraceScope()),
                ptraceMeaning(c)));
        boolean sameUserDebugger = c.dumpable() != 0 && c.ptraceScope() < 2;
        rows.add(new Row("reachable by", sameUserDebugger ? "same-user debuggers, root" : "root (CAP_SYS_PTRACE) only",
                sameUserDebugger ? "any process of this user can attach (ptrace, gcore, /proc/PID/mem) and read"
                        + " secrets; Hardening.apply() (doctor --harden) refuses it"
                        : "same-user debuggers are refused (" + (c.dumpable() == 0 ? "not dumpable" : "ptrace scope")
                        + ")"));
        return rows;
    }

    private static String libsodiumMeaning(Capabilities c) {
        if (!c.libsodiumWorks()) {
            return "dev.hardmem.crypto and dev.hardmem.sealed cannot run (" + c.libsodium() + "); "
                    + INSTALL_LIBSODIUM + "; dev.hardmem.aead (JCA) works without it";
        }
        return "native AEAD on segments (dev.hardmem.crypto): XChaCha20-Poly1305, ChaCha20-Poly1305"
                + (AeadAlgorithm.AES_256_GCM.isAvailable() ? ", AES-256-GCM"
                : "; not AES-256-GCM, which libsodium runs only with AES-NI and PCLMULQDQ");
    }

    private static String ptraceMeaning(Capabilities c) {
        String base = switch (c.ptraceScope()) {
            case 0 -> "any process of the same user can attach a debugger and read secrets";
            case 1 -> "only a parent process (or root) can attach a debugger";
            case 2 -> "only root (CAP_SYS_PTRACE) can attach a debugger";
            case 3 -> "no process can attach a debugger";
            default -> "same-user processes can attach a debugger";
        };
        return c.dumpable() == 0 ? base + "; this process is not dumpable, which also blocks same-user attach" : base;
    }

    private static Map<String, Object> document(Capabilities c, List<Row> rows, List<Check> checks,
                                                List<String> missing, Stats stats) {
        Map<String, Object> caps = new LinkedHashMap<>();
        caps.put("platform", Platform.current().name().toLowerCase(Locale.ROOT));
        caps.put("kernel", c.kernel());
        caps.put("pageSize", c.pageSize());
        caps.put("memlockSoft", limit(c.memlockSoft()));
        caps.put("memlockHard", limit(c.memlockHard()));
        caps.put("capIpcLock", c.capIpcLock());
        caps.put("madvDontdump", c.madvDontdump());
        caps.put("madvWipeonfork", c.madvWipeonfork());
        caps.put("memfdSecret", c.memfdSecretWorks());
        caps.put("memfdSecretDetail", c.memfdSecret());
        caps.put("coreSoft", limit(c.coreSoft()));
        caps.put("coreHard", limit(c.coreHard()));
        caps.put("corePattern", c.corePattern());
        caps.put("dumpable", c.dumpable());
        caps.put("maxMapCount", c.maxMapCount() < 0 ? null : c.maxMapCount());
        caps.put("mappings", c.mappings());
        caps.put("swapOn", c.swapOn());
        caps.put("ptraceScope", c.ptraceScope() < 0 ? null : c.ptraceScope());
        caps.put("libsodium", c.libsodiumWorks() ? c.libsodium() : null);
        caps.put("libsodiumDetail", c.libsodiumWorks() ? null : c.libsodium());
        caps.put("aes256gcm", AeadAlgorithm.AES_256_GCM.isAvailable());
        List<Object> meanings = new ArrayList<>();
        for (Row r : rows) {
            meanings.add(Map.of("key", r.key(), "value", r.value(), "meaning", r.meaning()));
        }
        List<Object> self = new ArrayList<>();
        for (Check k : checks) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", k.name());
            m.put("passed", k.passed());
            m.put("evidence", k.evidence());
            self.add(m);
        }
        Map<String, Object> allocator = new LinkedHashMap<>();
        allocator.put("liveSecrets", stats.liveSecrets());
        allocator.put("bytesInUse", stats.bytesInUse());
        allocator.put("bytesLocked", stats.bytesLocked());
        allocator.put("bytesUnlocked", stats.bytesUnlocked());
        allocator.put("mappings", stats.mappings());
        allocator.put("canaryFailures", stats.canaryFailures());
        allocator.put("quarantinedSlots", stats.quarantinedSlots());
        allocator.put("slabs", stats.slabs());
        allocator.put("isolatedSlots", stats.isolatedSlots());
        allocator.put("backing", stats.backing());
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("ok", missing.isEmpty());
        doc.put("missing", missing);
        doc.put("capabilities", caps);
        doc.put("allocator", allocator);
        doc.put("report", meanings);
        doc.put("selfCheck", self);
        return doc;
    }

    private static void printTable(PrintStream out, List<Row> rows, List<Check> checks, List<String> missing) {
        out.println("hardmem doctor: what this machine gives secrets");
        out.println();
        int k = "what".length();
        int v = "value".length();
        for (Row r : rows) {
            k = Math.max(k, r.key().length());
            v = Math.max(v, r.value().length());
        }
        String fmt = "  %-" + k + "s  %-" + v + "s  %s%n";
        out.printf(fmt, "what", "value", "what it means for secrets");
        for (Row r : rows) {
            out.printf(fmt, r.key(), r.value(), r.meaning());
        }
        out.println();
        out.println("live self-check on this process:");
        int n = 0;
        for (Check c : checks) {
            n = Math.max(n, c.name().length());
        }
        for (Check c : checks) {
            out.printf("  %-6s %-" + n + "s  %s%n", c.passed() ? "PASS" : "FAIL", c.name(), c.evidence());
        }
        out.println();
        if (missing.isEmpty()) {
            out.println("verdict: OK, this machine gives every protection the default policy needs");
        } else {
            out.println("verdict: NOT OK, the default policy needs:");
            for (String m : missing) {
                out.println("  - " + m);
            }
        }
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    private static String accepted(boolean b) {
        return b ? "accepted" : "refused";
    }

    private static String limitText(long bytes) {
        return bytes == Platform.RLIM_INFINITY ? "unlimited" : bytes(bytes);
    }

    /** {@return a resource limit for JSON: its bytes, or {@code "unlimited"}} */
    private static Object limit(long bytes) {
        return bytes == Platform.RLIM_INFINITY ? "unlimited" : bytes;
    }

    static String bytes(long n) {
        if (n >= 1L << 30 && n % (1L << 30) == 0) {
            return (n >> 30) + " GiB";
        }
        if (n >= 1L << 20 && n % (1L << 20) == 0) {
            return (n >> 20) + " MiB";
        }
        if (n >= 1L << 10 && n % (1L << 10) == 0) {
            return (n >> 10) + " KiB";
        }
        return n + " B";
    }
}
