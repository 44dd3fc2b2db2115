package dev.hardmem.tool;

import dev.hardmem.SystemCallException;
import dev.hardmem.guarded.Allocation;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.Tier;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.GuardProbe;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Platform;
import dev.hardmem.internal.os.Smaps;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The live self-check of {@code doctor}: proves on this process, with the native layer alone, that a guard page
 * faults, that a data page can be locked and advised, and that the kernel reports those flags.
 */
final class SelfCheck {
    private SelfCheck() {
    }

    static List<Check> run() {
        List<Check> checks = new ArrayList<>();
        long page = Memory.pageSize();
        MemorySegment both = Libc.mmap(2 * page, Platform.PROT_READ | Platform.PROT_WRITE,
                Platform.MAP_PRIVATE | Platform.MAP_ANONYMOUS, -1, 0);
        MemorySegment data = both.asSlice(0, page);
        MemorySegment guard = both.asSlice(page, page);
        try {
            Libc.mprotect(guard, Platform.PROT_NONE);
            int guardErrno = GuardProbe.probe(guard);
            checks.add(new Check("guard page faults (write(pipe, guard, 1))", guardErrno == Errno.EFAULT,
                    guardErrno == 0 ? "readable: the guard does not hold" : Errno.describe(guardErrno)));
            int dataErrno = GuardProbe.probe(data);
            checks.add(new Check("data page readable (write(pipe, data, 1))", dataErrno == 0,
                    dataErrno == 0 ? "1 byte written" : Errno.describe(dataErrno)));
            checks.add(attempt("mlock data page", () -> Libc.mlock(data)));
            checks.add(attempt("madvise(MADV_DONTDUMP) data page",
                    () -> Libc.madvise(data, Platform.MADV_DONTDUMP)));
            checks.add(attempt("madvise(MADV_WIPEONFORK) data page",
                    () -> Libc.madvise(data, Platform.MADV_WIPEONFORK)));
            Smaps.Mapping d = Smaps.find(data.address());
            checks.add(new Check("smaps flags of the data page", d.hasFlags("lo", "dd", "wf"),
                    d.perms() + " VmFlags " + selected(d)));
            Smaps.Mapping g = Smaps.find(guard.address());
            checks.add(new Check("smaps of the guard page", g.perms().startsWith("---"), g.perms()));
            checks.add(attempt("munlock data page", () -> Libc.munlock(data)));
        } finally {
            Libc.munmap(both);
        }
        checks.addAll(allocatorChecks());
        return checks;
    }

    /** The same proofs, on memory from the real allocator (the shared default one, as secrets get it). */
    private static List<Check> allocatorChecks() {
        List<Check> checks = new ArrayList<>();
        GuardedAllocator allocator = GuardedAllocator.shared();
        Allocation isolated;
        Allocation slab;
        try {
            isolated = allocator.allocate(32, 1, Tier.ISOLATED);
            slab = allocator.allocate(32, 1, Tier.SLAB);
        } catch (RuntimeException e) {
            checks.add(new Check("allocate from the guarded allocator", false, e.getMessage()));
            return checks;
        }
        try {
            MemorySegment s = isolated.segment();
            long end = s.address() + s.byteSize();
            int past = GuardProbe.probe(end);
            checks.add(new Check("isolated secret: one byte past the end faults", past == Errno.EFAULT,
                    past == 0 ? "readable: no guard" : Errno.describe(past)));
            int last = GuardProbe.probe(end - 1);
            checks.add(new Check("isolated secret: its last byte is readable", last == 0,
                    last == 0 ? "1 byte written" : Errno.describe(last)));
            for (Allocation a : new Allocation[] {isolated, slab}) {
                Smaps.Mapping m = Smaps.find(a.segment().address());
                checks.add(new Check(a.tier().name().toLowerCase(java.util.Locale.ROOT)
                        + " secret: smaps flags", m.hasFlags("lo", "dd", "wf") || m.hasFlags("lo", "dd")
                        && m.perms().endsWith("s"), m.perms() + " VmFlags " + selected(m)));
            }
        } finally {
            isolated.close();
            slab.close();
        }
        checks.add(freedMemoryCheck(allocator));
        return checks;
    }

    /**
     * Fills a secret with a pattern, frees it, and reads the freed slot back: it stays mapped in the allocator's
     * pool, so a raw view of the same address shows what an attacker reading freed memory would find.
     */
    private static Check freedMemoryCheck(GuardedAllocator allocator) {
        String name = "freed secret memory reads back as zeros";
        try {
            long address;
            long size = 32;
            try (Allocation a = allocator.allocate(size, 1, Tier.SLAB)) {
                a.segment().fill((byte) 0xA5);
                address = a.segment().address();
            }
            int probe = GuardProbe.probe(address);
            if (probe != 0) {
                return new Check(name, true, "unmapped after free (" + Errno.describe(probe) + ")");
            }
            MemorySegment freed = Memory.at(address, size);
            long nonZero = 0;
            for (long i = 0; i < size; i++) {
                nonZero += freed.get(ValueLayout.JAVA_BYTE, i) == 0 ? 0 : 1;
            }
            return new Check(name, nonZero == 0, nonZero == 0 ? size + " of " + size + " bytes zero"
                    : nonZero + " of " + size + " bytes still set");
        } catch (RuntimeException e) {
            return new Check(name, false, e.getMessage());
        }
    }

    private static String selected(Smaps.Mapping m) {
        TreeSet<String> shown = new TreeSet<>();
        for (String f : new String[] {"lo", "dd", "wf"}) {
            shown.add(m.flags().contains(f) ? f : "no-" + f);
        }
        return String.join(" ", shown);
    }

    private static Check attempt(String name, Runnable action) {
        try {
            action.run();
            return new Check(name, true, "ok");
        } catch (SystemCallException e) {
            return new Check(name, false, e.getMessage());
        }
    }
}
