package dev.hardmem.internal.alloc.isolated;

import dev.hardmem.guarded.Tier;
import dev.hardmem.internal.alloc.region.GuardedBlock;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An isolated secret handed out: its slot, its canary, and (with access protection) the counts of open reads and
 * writes, which decide the protection of its pages. Its monitor guards the counts and its freed state.
 */
final class IsolatedBlock extends GuardedBlock {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final MemorySegment RAW = Memory.EVERYWHERE;
    private static final int RW = Platform.PROT_READ | Platform.PROT_WRITE;

    final IsolatedTier tier;
    final Slot slot;
    final long userOffset;
    private final long canary0;
    private final long canary1;
    final boolean protect;
    private int readers;
    private int writers;
    boolean freed;
    boolean quarantined;
    private int lastProtection = Platform.PROT_NONE;

    IsolatedBlock(IsolatedTier tier, Slot slot, long userOffset, long size, long canary0, long canary1,
                  boolean protect) {
        super(slot.run.address() + userOffset, size);
        this.tier = tier;
        this.slot = slot;
        this.userOffset = userOffset;
        this.canary0 = canary0;
        this.canary1 = canary1;
        this.protect = protect;
    }

    @Override
    public IsolatedTier owner() {
        return tier;
    }

    @Override
    public Tier tier() {
        return Tier.ISOLATED;
    }

    @Override
    public void free() {
        tier.free(this);
    }

    @Override
    public synchronized void enter(boolean writable) {
        if (!protect) {
            return;
        }
        // Change the protection first and count only once it succeeded: a failed mprotect must leave the counts
        // telling the truth about the pages, or a later access would touch PROT_NONE memory.
        reprotect(writable ? readers : readers + 1, writable ? writers + 1 : writers);
        if (writable) {
            writers++;
        } else {
            readers++;
        }
    }

    @Override
    public synchronized void exit(boolean writable) {
        if (!protect) {
            return;
        }
        int r = writable ? readers : readers - 1;
        int w = writable ? writers - 1 : writers;
        readers = r;
        writers = w;
        // Counted first: if narrowing the protection fails, the pages stay more open than needed, never less.
        reprotect(r, w);
    }

    /** {@return whether a read or write is open} The caller holds this block's monitor. */
    boolean busy() {
        return readers > 0 || writers > 0;
    }

    private static int protection(int readers, int writers) {
        return writers > 0 ? RW : readers > 0 ? Platform.PROT_READ : Platform.PROT_NONE;
    }

    private void reprotect(int newReaders, int newWriters) {
        int now = protection(newReaders, newWriters);
        if (now != lastProtection) { // lastProtection is what the pages really are
            tier.os.mprotect(slot.run, now);
            lastProtection = now;
        }
    }

    long canaryOffset() {
        return userOffset - Layout.CANARY;
    }

    boolean canaryIntact() {
        long at = slot.run.address() + canaryOffset();
        return RAW.get(LONG, at) == canary0 && RAW.get(LONG, at + 8) == canary1;
    }
}
