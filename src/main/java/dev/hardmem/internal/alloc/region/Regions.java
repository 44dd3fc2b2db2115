package dev.hardmem.internal.alloc.region;

import dev.hardmem.SystemCallException;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.MemoryBudgetException;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Os;
import dev.hardmem.internal.os.Platform;
import dev.hardmem.internal.os.Proc;
import dev.hardmem.internal.os.Smaps;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Maps, guards, locks and advises the regions the tiers carve secrets from, and keeps the budgets: bytes locked
 * against {@code RLIMIT_MEMLOCK}, mappings against {@code vm.max_map_count}. Every system call of the guarded
 * allocator happens here, when a region is made or destroyed, never when a secret is allocated or freed.
 *
 * <p>A region is {@code n} data runs, each between guard pages that neighbours share:
 * {@code [G][run 0][G][run 1][G] ... [run n-1][G]}.
 */
public final class Regions {
    /** Mappings left for the JVM itself (thread stacks, code cache, its own mmaps). */
    public static final long MAPPING_HEADROOM = 4096;

    private final GuardPolicy policy;
    private final Os os;
    private final boolean lockUnlimited;
    private final long memlockLimit;
    private final long maxMapCount;
    private final long physicalBytes;
    private final boolean memfd;
    private final String backingNote;

    private final AtomicLong bytesLocked = new AtomicLong();
    private final AtomicLong bytesUnlocked = new AtomicLong();
    private final AtomicLong mappings = new AtomicLong();
    /** Every region mapped and not yet unmapped, for verification and the proofs. */
    private final Set<Region> live = ConcurrentHashMap.newKeySet();
    private volatile boolean warnedUnlocked;

    /** Regions under {@code policy}, made and destroyed through {@code os}. */
    public Regions(GuardPolicy policy, Os os) {
        this.policy = policy;
        this.os = os;
        long[] memlock = Libc.getrlimit(Platform.RLIMIT_MEMLOCK);
        this.lockUnlimited = Proc.holdsCapIpcLock() || memlock[0] == Platform.RLIM_INFINITY;
        this.memlockLimit = memlock[0];
        this.maxMapCount = Proc.readLong("/proc/sys/vm/max_map_count", 65530);
        this.physicalBytes = Libc.sysconf(Platform.SC_PHYS_PAGES) * Layout.PAGE;
        String note;
        boolean useMemfd = false;
        if (policy.backing() == GuardPolicy.Backing.ANONYMOUS) {
            note = "anonymous";
        } else {
            String why = probeMemfdSecret(os);
            if (why == null) {
                useMemfd = true;
                note = "memfd_secret";
            } else if (policy.backing() == GuardPolicy.Backing.MEMFD_SECRET) {
                throw new UnsupportedOperationException("memfd_secret backing was required but is unavailable: "
                        + why + " (Linux 5.14+; before 6.5 boot with secretmem.enable=1)");
            } else {
                note = "anonymous (memfd_secret unavailable: " + why + ")";
            }
        }
        this.memfd = useMemfd;
        this.backingNote = note;
    }

    /** {@return bytes of data pages locked in RAM} */
    public long bytesLocked() {
        return bytesLocked.get();
    }

    /** {@return bytes of data pages that could not be locked (policy {@code BEST_EFFORT})} */
    public long bytesUnlocked() {
        return bytesUnlocked.get();
    }

    /** {@return mappings (VMAs) the regions add to the process, at most} */
    public long mappings() {
        return mappings.get();
    }

    /** {@return every region now mapped} */
    public List<Region> live() {
        return List.copyOf(live);
    }

    public String backing() {
        return backingNote;
    }

    /** Maps {@code n} guarded runs of {@code runBytes} each. Nothing is left mapped if it fails. */
    public Region map(int n, long runBytes) {
        long cost = 2L * n + 1;
        checkMappingBudget(cost);
        long dataBytes = n * runBytes;
        boolean lock = reserveLock(dataBytes);
        long total = Layout.regionBytes(n, runBytes);
        MemorySegment whole;
        try {
            whole = os.mmap(total, Platform.PROT_NONE,
                    Platform.MAP_PRIVATE | Platform.MAP_ANONYMOUS | Platform.MAP_NORESERVE, -1, 0);
        } catch (RuntimeException | Error e) {
            releaseLock(lock, dataBytes);
            throw e;
        }
        MemorySegment[] runs = new MemorySegment[n];
        int fd = -1;
        try {
            if (memfd) {
                fd = os.memfdSecret(0);
                os.ftruncate(fd, dataBytes);
            }
            for (int i = 0; i < n; i++) {
                MemorySegment run = whole.asSlice(Layout.runOffset(i, runBytes), runBytes);
                if (memfd) {
                    // The guard pages stay anonymous PROT_NONE: only the data runs come from the secret file.
                    os.mmapAt(run, runBytes, Platform.PROT_READ | Platform.PROT_WRITE,
                            Platform.MAP_SHARED | Platform.MAP_FIXED, fd, i * runBytes);
                } else {
                    os.mprotect(run, Platform.PROT_READ | Platform.PROT_WRITE);
                }
                runs[i] = run;
            }
            os.madvise(whole, Platform.MADV_DONTDUMP);
            if (memfd) {
                // Shared mappings cannot be wiped on fork; a child simply does not get them.
                for (MemorySegment run : runs) {
                    os.madvise(run, Platform.MADV_DONTFORK);
                }
            } else {
                os.madvise(whole, Platform.MADV_WIPEONFORK);
            }
            if (lock && !memfd) {
                lock = lockRuns(runs);
            }
        } catch (RuntimeException | Error e) {
            os.munmap(whole);
            releaseLock(lock, dataBytes);
            throw e;
        } finally {
            if (fd >= 0) {
                os.close(fd);
            }
        }
        mappings.addAndGet(cost);
        Region region = new Region(whole, runs, lock, cost);
        live.add(region);
        return region;
    }

    /** Locks every run; false (and the runs unlocked) if the kernel refused and the policy allows going on. */
    private boolean lockRuns(MemorySegment[] runs) {
        int done = 0;
        try {
            for (MemorySegment run : runs) {
                os.mlock(run);
                done++;
            }
            return true;
        } catch (SystemCallException e) {
            for (int i = 0; i < done; i++) {
                os.munlock(runs[i]);
            }
            long bytes = 0;
            for (MemorySegment run : runs) {
                bytes += run.byteSize();
            }
            if (policy.lock() == GuardPolicy.Lock.REQUIRE) {
                // The caller gives the reserved budget back when it unmaps the region.
                throw new MemoryBudgetException("cannot lock " + bytes + " bytes of secret memory: " + e.getMessage()
                        + "; RLIMIT_MEMLOCK is " + limitText() + " and hardmem has " + (bytesLocked.get() - bytes)
                        + " bytes locked. " + HOW_TO_GO_ON);
            }
            bytesLocked.addAndGet(-bytes);
            countUnlocked(bytes);
            return false;
        }
    }

    private static final String HOW_TO_RAISE = "Raise the limit with `ulimit -l <KiB>` in the shell that starts"
            + " the JVM, `prlimit --memlock=<bytes> --pid <pid>`, LimitMEMLOCK= in a systemd unit, or memlock in"
            + " /etc/security/limits.conf";
    /** Why a REQUIRE allocation failed, and the ways on; BEST_EFFORT is not offered to whoever already chose it. */
    private static final String HOW_TO_GO_ON = HOW_TO_RAISE + "; or use GuardPolicy.Lock.BEST_EFFORT to go on"
            + " unlocked.";

    private String limitText() {
        return memlockLimit == Platform.RLIM_INFINITY ? "unlimited" : memlockLimit + " bytes";
    }

    /** Reserves {@code bytes} of the memlock budget; false when the policy lets the region go unlocked. */
    private boolean reserveLock(long bytes) {
        if (bytesLocked.get() + bytes > physicalBytes) {
            // Even without a limit (CAP_IPC_LOCK), locking more than the RAM there is cannot succeed; asking would
            // only bring the OOM killer.
            if (policy.lock() == GuardPolicy.Lock.REQUIRE || memfd) {
                throw new MemoryBudgetException("cannot lock " + bytes + " more bytes of secret memory: this"
                        + " machine has " + physicalBytes + " bytes of RAM and hardmem has " + bytesLocked.get()
                        + " bytes locked");
            }
            countUnlocked(bytes);
            return false;
        }
        if (lockUnlimited) {
            bytesLocked.addAndGet(bytes);
            return true;
        }
        while (true) {
            long now = bytesLocked.get();
            if (now + bytes > memlockLimit) {
                // memfd_secret pages are always locked by the kernel: there is no unlocked way to go on with them.
                if (policy.lock() == GuardPolicy.Lock.REQUIRE || memfd) {
                    throw new MemoryBudgetException("cannot lock " + bytes + " more bytes of secret memory:"
                            + " RLIMIT_MEMLOCK is " + limitText() + " and hardmem has " + now + " bytes locked. "
                            + (policy.lock() == GuardPolicy.Lock.REQUIRE ? HOW_TO_GO_ON : HOW_TO_RAISE + "."));
                }
                countUnlocked(bytes);
                return false;
            }
            if (bytesLocked.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    private void countUnlocked(long bytes) {
        bytesUnlocked.addAndGet(bytes);
        if (!warnedUnlocked) {
            warnedUnlocked = true;
            System.getLogger("dev.hardmem").log(System.Logger.Level.WARNING, "secret memory could not be locked"
                    + " (RLIMIT_MEMLOCK is " + limitText() + "); going on unlocked because the policy is"
                    + " BEST_EFFORT: these pages could be swapped to disk. " + HOW_TO_RAISE + ".");
        }
    }

    private void releaseLock(boolean locked, long bytes) {
        if (locked) {
            bytesLocked.addAndGet(-bytes);
        }
    }

    private void checkMappingBudget(long cost) {
        long ours = mappings.get();
        if (ours + cost + MAPPING_HEADROOM < maxMapCount / 2) {
            return; // far from the limit: no need to count the process's mappings
        }
        long now = Smaps.countMappings();
        if (now + cost + MAPPING_HEADROOM > maxMapCount) {
            throw new MemoryBudgetException("cannot map " + cost + " more mappings for secret memory: the process"
                    + " has " + now + " of vm.max_map_count " + maxMapCount + " (hardmem uses " + ours
                    + ", and keeps " + MAPPING_HEADROOM + " for the JVM). Raise it with"
                    + " `sysctl vm.max_map_count=<n>`, or free secrets.");
        }
    }

    /** Wipes the data runs, unlocks and unmaps a region. */
    public void unmap(Region r) {
        long dataBytes = 0;
        for (MemorySegment run : r.runs()) {
            Zeros.fill(run.address(), run.byteSize());
            dataBytes += run.byteSize();
            if (r.locked()) {
                os.munlock(run);
            }
        }
        os.munmap(r.whole());
        live.remove(r);
        if (r.locked()) {
            bytesLocked.addAndGet(-dataBytes);
        }
        mappings.addAndGet(-r.mappingCost());
    }

    private static String probeMemfdSecret(Os os) {
        try {
            int fd = os.memfdSecret(0);
            os.close(fd);
            return null;
        } catch (SystemCallException e) {
            return Errno.describe(e.errno());
        }
    }

}
