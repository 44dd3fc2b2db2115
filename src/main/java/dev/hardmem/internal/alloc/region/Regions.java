package dev.hardmem.internal.alloc.region;

import dev.hardmem.SystemCallException;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.MemoryBudgetException;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.Os;
import dev.hardmem.internal.os.Platform;
import dev.hardmem.internal.os.Smaps;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Maps, guards, locks and advises the regions the tiers carve secrets from, and keeps one allocator's share of the
 * process-wide {@link Budgets}: bytes locked against {@code RLIMIT_MEMLOCK}, mappings against
 * {@code vm.max_map_count}. Every system call of the guarded allocator happens here, when a region is made or
 * destroyed, never when a secret is allocated or freed. A region that would cross a budget throws
 * {@link Budgets.Exhausted} first, so that every allocator gives back its free memory; only on the last try does the
 * policy decide.
 *
 * <p>A region is {@code n} data runs, each between guard pages that neighbours share:
 * {@code [G][run 0][G][run 1][G] ... [run n-1][G]}.
 */
public final class Regions {
    /** Mappings left for the JVM itself (thread stacks, code cache, its own mmaps). */
    public static final long MAPPING_HEADROOM = 4096;

    private final GuardPolicy policy;
    private final Os os;
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

    /** {@return bytes of this allocator's data pages locked in RAM} */
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

    /**
     * Maps {@code n} guarded runs of {@code runBytes} each. Nothing is left mapped if it fails.
     *
     * @throws MemoryBudgetException if the runs together are larger than the RAM the process may use, whatever the
     *                               policy: such a region could only be held by swapping secrets out, and wiping it
     *                               once it was written could bring the OOM killer
     */
    public Region map(int n, long runBytes) {
        return map(n, runBytes, Layout.PAGE, 0);
    }

    /**
     * Maps {@code n} guarded runs of {@code runBytes} each, the first placed so that its address plus {@code at} is a
     * multiple of {@code alignment} (a power of two, at least a page; {@code at} a multiple of the page). Above a
     * page, the reservation grows by the alignment, and what lies around the region stays {@code PROT_NONE}: address
     * space, never data pages. Nothing is left mapped if it fails.
     *
     * @throws MemoryBudgetException as {@link #map(int, long)} does
     */
    public Region map(int n, long runBytes, long alignment, long at) {
        long dataBytes = n * runBytes;
        if (dataBytes > Budgets.RAM.bytes()) {
            throw new MemoryBudgetException("cannot map " + dataBytes + " bytes of secret memory: more than the RAM"
                    + " this process may use, " + Budgets.RAM.describe());
        }
        long cost = 2L * n + 1;
        checkMappingBudget(cost);
        boolean lock = reserveLock(dataBytes);
        long total = Layout.regionBytes(n, runBytes) + alignment - Layout.PAGE;
        MemorySegment whole;
        try {
            whole = os.mmap(total, Platform.PROT_NONE,
                    Platform.MAP_PRIVATE | Platform.MAP_ANONYMOUS | Platform.MAP_NORESERVE, -1, 0);
        } catch (RuntimeException | Error e) {
            releaseLock(lock, dataBytes);
            throw e;
        }
        long skew = -(whole.address() + Layout.runOffset(0, runBytes) + at) & (alignment - 1);
        MemorySegment[] runs = new MemorySegment[n];
        int fd = -1;
        try {
            if (memfd) {
                fd = os.memfdSecret(0);
                os.ftruncate(fd, dataBytes);
            }
            for (int i = 0; i < n; i++) {
                MemorySegment run = whole.asSlice(skew + Layout.runOffset(i, runBytes), runBytes);
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
        Budgets.addMappings(cost);
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
            // The kernel counts what others locked too (another library, a JNI call): reclaim, then try once more.
            // The caller gives the reserved budget back when it unmaps the region.
            Budgets.Exhausted first = Budgets.exhaustedUnlessLastTry();
            if (first != null) {
                throw first;
            }
            if (policy.lock() == GuardPolicy.Lock.REQUIRE) {
                throw new MemoryBudgetException("cannot lock " + bytes + " bytes of secret memory: " + e.getMessage()
                        + "; RLIMIT_MEMLOCK is " + limitText() + " and hardmem has " + (Budgets.locked() - bytes)
                        + " bytes locked. " + HOW_TO_GO_ON);
            }
            releaseLock(true, bytes);
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

    private static String limitText() {
        return Budgets.MEMLOCK_LIMIT == Platform.RLIM_INFINITY ? "unlimited" : Budgets.MEMLOCK_LIMIT + " bytes";
    }

    /**
     * Reserves {@code bytes} of the process's memlock budget; false when the policy lets the region go unlocked.
     * Even without a limit ({@code CAP_IPC_LOCK}), locking more than the RAM there is cannot succeed; asking would
     * only bring the OOM killer.
     */
    private boolean reserveLock(long bytes) {
        long limit = Budgets.LOCK_UNLIMITED ? Budgets.RAM.bytes()
                : Math.min(Budgets.RAM.bytes(), Budgets.MEMLOCK_LIMIT);
        if (Budgets.tryLock(bytes, limit)) {
            bytesLocked.addAndGet(bytes);
            return true;
        }
        Budgets.Exhausted first = Budgets.exhaustedUnlessLastTry();
        if (first != null) {
            throw first;
        }
        // memfd_secret pages are always locked by the kernel: there is no unlocked way to go on with them.
        if (policy.lock() == GuardPolicy.Lock.REQUIRE || memfd) {
            boolean ram = limit == Budgets.RAM.bytes();
            throw new MemoryBudgetException("cannot lock " + bytes + " more bytes of secret memory: "
                    + (ram ? "this process may use " + Budgets.RAM.describe() : "RLIMIT_MEMLOCK is " + limitText())
                    + " and hardmem has " + Budgets.locked() + " bytes locked"
                    + (ram ? "" : ". " + (policy.lock() == GuardPolicy.Lock.REQUIRE ? HOW_TO_GO_ON
                            : HOW_TO_RAISE + ".")));
        }
        countUnlocked(bytes);
        return false;
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
            Budgets.unlock(bytes);
        }
    }

    private void checkMappingBudget(long cost) {
        long ours = Budgets.mappings();
        long maxMapCount = Budgets.MAX_MAP_COUNT;
        if (ours + cost + MAPPING_HEADROOM < maxMapCount / 2) {
            return; // far from the limit: no need to count the process's mappings
        }
        long now = Smaps.countMappings();
        if (now + cost + MAPPING_HEADROOM > maxMapCount) {
            Budgets.Exhausted first = Budgets.exhaustedUnlessLastTry();
            if (first != null) {
                throw first;
            }
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
        releaseLock(r.locked(), dataBytes);
        mappings.addAndGet(-r.mappingCost());
        Budgets.addMappings(-r.mappingCost());
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
