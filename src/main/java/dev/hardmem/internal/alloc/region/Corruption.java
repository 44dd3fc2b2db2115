package dev.hardmem.internal.alloc.region;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.guarded.GuardPolicy;

import java.util.concurrent.atomic.LongAdder;

/**
 * Reports memory corruption as the policy says (throw {@link MemoryCorruptionError}, or halt the process), and
 * counts corruptions and quarantined slots. Every corruption message of the allocator is written here.
 */
public final class Corruption {
    private final GuardPolicy.OnCorruption onCorruption;
    private final LongAdder reported = new LongAdder();
    private final LongAdder quarantined = new LongAdder();

    public Corruption(GuardPolicy.OnCorruption onCorruption) {
        this.onCorruption = onCorruption;
    }

    /** Counts one slot taken out of use for good. */
    public void quarantined() {
        quarantined.increment();
    }

    /** {@return corruptions reported so far} */
    public long reported() {
        return reported.sum();
    }

    /** {@return slots quarantined so far} */
    public long quarantinedSlots() {
        return quarantined.sum();
    }

    /** Reports a write into a free slot, found when {@code where} was next allocated; never returns. */
    public MemoryCorruptionError writeAfterFree(String where) {
        return report(where + " was written after it was freed (found when it was next allocated)");
    }

    /** Reports an overwritten canary (or slack) around a {@code size}-byte secret in {@code where}; never returns. */
    public MemoryCorruptionError overrun(long size, String where) {
        return report("the canary or padding around a " + size + "-byte secret in " + where + " was overwritten:"
                + " something wrote outside the secret");
    }

    /** Reports what {@code verify()} found; never returns. */
    public MemoryCorruptionError verifyFound(int slots, String where, String details) {
        return report("verify found " + slots + " corrupted slot(s) in " + where
                + (details.isEmpty() ? "" : ": " + details));
    }

    /**
     * Reports {@code slots} damaged slots found while the leak watcher released an allocator nobody closed: there is
     * no caller to throw to, so it is logged (or the JVM halts, under policy {@code HALT}).
     */
    public void foundUnclosed(int slots) {
        reported.increment();
        String msg = "hardmem: memory corruption detected: " + slots + " damaged slot(s) (written after free, or a"
                + " canary overwritten) in an allocator that was never closed, found as it was released.";
        if (onCorruption == GuardPolicy.OnCorruption.HALT) {
            halt(msg);
        }
        System.getLogger("dev.hardmem").log(System.Logger.Level.ERROR, msg);
    }

    /**
     * Reports a corruption: the slot is already wiped and quarantined. Throws, or halts the JVM under policy
     * {@code HALT}; declared to return the error so callers can write {@code throw corruption.x(...)}.
     */
    private MemoryCorruptionError report(String what) {
        reported.increment();
        String msg = "hardmem: memory corruption detected: " + what + ". The slot was wiped and quarantined.";
        if (onCorruption == GuardPolicy.OnCorruption.HALT) {
            halt(msg);
        }
        throw new MemoryCorruptionError(msg);
    }

    private static void halt(String msg) {
        System.err.println(msg + " Halting (policy HALT).");
        System.err.flush();
        Runtime.getRuntime().halt(134);
    }
}
