package dev.hardmem.internal.alloc.slab;

import dev.hardmem.internal.alloc.region.Canaries;
import dev.hardmem.internal.alloc.region.Corruption;
import dev.hardmem.internal.alloc.region.Counts;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.GuardedBlock;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.alloc.region.PerThread;
import dev.hardmem.internal.alloc.region.Regions;

import java.util.ArrayList;
import java.util.List;

/**
 * Small secrets packed into slabs, one size class per slab. Guard pages around every slab, a random per-slab
 * canary (its first byte never zero, its eighth zero: see {@link Canaries}) after every slot, metadata on the Java
 * heap and never in the slab, zero on free, a zero check on allocation (a write after free is caught when the slot
 * comes back), delayed and randomised reuse of freed slots.
 *
 * <h2>Who holds a slot</h2>
 * The slabs of a size class, and the pool of their free slots, are shared behind the {@link SizeClass}'s lock.
 * Allocating and freeing go through a {@link Magazine} (as in Bonwick's magazine allocator and tcmalloc's thread
 * caches): each platform thread has its own, used without a lock; virtual threads, which may number in the
 * millions, share one per class behind its monitor. A slot is therefore in one of the {@link SlotState}s: in the
 * pool ({@code FREE}, {@code DELAYED}; moved only under the class lock, so {@link #verify()} checks it fully), or
 * held ({@code CACHED} in a magazine, or {@code LIVE}), when {@code verify()} reads only its canary, which nobody
 * but an overrun writes. A damaged held slot is <em>condemned</em> (a flag with release semantics); its holder
 * sees the flag before it hands the slot out or takes it back, and quarantines it then.
 *
 * <p>Magazines are registered by thread (the thread-local only caches them, weakly, so a closed allocator is not
 * kept alive by every thread that used it), so a thread whose thread-locals the JDK erases (a {@code Cleaner}'s
 * before each cleanup, common-pool workers when idle) finds them again. Those of dead threads are given back when
 * the pool runs out, when a new thread registers, and by {@code verify()} and {@code counts()}.
 */
public final class SlabTier {
    final Regions regions;
    final Corruption corruption;
    final FreeListener listener;
    private final SizeClass[] classes;
    /** Each platform thread's magazines, one per class; virtual threads share one set, each behind its monitor. */
    private final PerThread<Magazine[]> magazines;

    public SlabTier(Regions regions, Corruption corruption, FreeListener listener) {
        this.regions = regions;
        this.corruption = corruption;
        this.listener = listener;
        this.classes = new SizeClass[Layout.CLASSES.length];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new SizeClass(this, i, Canaries.word());
        }
        this.magazines = new PerThread<>(this::newMagazines, this::takeBackAll);
    }

    /** {@return whether the slab tier can hold {@code size} bytes at {@code alignment}} */
    public static boolean fits(long size, long alignment) {
        return size <= Layout.MAX_SLAB_CLASS && alignment <= Layout.SLAB_ALIGNMENT;
    }

    /** {@return a zeroed slot for {@code size} bytes, which {@link #fits} this tier} */
    public GuardedBlock allocate(long size) {
        Magazine[] mine = magazines.mine();
        Magazine m = mine[Layout.classIndex(size)];
        if (m.thread != null) {
            return m.allocate(size);
        }
        synchronized (m) {
            return m.allocate(size);
        }
    }

    /** Frees a block of this tier: checks its canary and slack, zeroes the slot, and delays its reuse. */
    void free(SlabBlock b) {
        Magazine from = b.from;
        if (from != null && from.thread == Thread.currentThread()) {
            from.free(b); // freed by the thread that allocated it: no thread-local lookup
            return;
        }
        Magazine m = magazines.mine()[b.slab.owner.index];
        if (m.thread != null) {
            m.free(b);
            return;
        }
        synchronized (m) {
            m.free(b);
        }
    }

    private Magazine[] newMagazines(Thread t) {
        Magazine[] m = new Magazine[classes.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = new Magazine(t, classes[i], Canaries.word());
        }
        return m;
    }

    /** {@return how many threads have magazines registered (dead ones included until reclaimed)} */
    public int threadsWithMagazines() {
        return magazines.threads();
    }

    /** Gives every slot of a dead thread's magazines back to the pool, with their counts. */
    private void takeBackAll(Magazine[] ms) {
        for (Magazine m : ms) {
            m.cls.takeBack(m, 0, true);
        }
    }

    /**
     * Gives back {@code c}'s slots from the magazines of dead threads; the caller holds {@code c}'s lock. The
     * threads stay registered (their other classes are reclaimed later, outside any class lock), so no thread
     * ever holds two class locks.
     */
    void reclaimDeadThreadsOf(SizeClass c) {
        for (Magazine[] ms : magazines.dead()) {
            c.takeBack(ms[c.index], 0, true);
        }
    }

    /** {@return what this tier holds} A snapshot: other threads keep allocating. */
    public Counts counts() {
        magazines.reclaimDead();
        Counts sum = Counts.ZERO;
        for (SizeClass c : classes) {
            sum = sum.plus(c.poolCounts());
        }
        for (Magazine[] ms : magazines.all()) {
            for (Magazine m : ms) {
                sum = sum.plus(new Counts(m.live, m.bytes, 0));
            }
        }
        return sum;
    }

    /**
     * Checks every canary of every slab, and every free slot in the pool for writes after free. The calling
     * thread's magazines and the shared ones go back to the pool first, so every slot they held is checked in full.
     *
     * @return what it found, one entry per damaged slot, by class
     */
    public List<String> verify() {
        returnMagazinesToPools();
        List<String> problems = new ArrayList<>();
        for (SizeClass c : classes) {
            for (String p : c.verify()) {
                problems.add(p + " of class " + c.classSize);
            }
        }
        return problems;
    }

    /** The calling thread's magazines, the shared ones and dead threads' go back to the pool; others keep theirs. */
    private void returnMagazinesToPools() {
        Magazine[] mine = magazines.mineIfAny();
        if (mine != null) {
            takeBackAll(mine);
        }
        for (Magazine m : magazines.shared()) {
            synchronized (m) {
                m.cls.takeBack(m, 0, true);
            }
        }
        magazines.reclaimDead();
    }

    /**
     * Unmaps every slab none of whose slots is out of the pool: another allocation needs the memory. The calling
     * thread's magazines, the shared ones and dead threads' go back to the pool first; other living threads keep
     * theirs.
     */
    public void trim() {
        returnMagazinesToPools();
        for (SizeClass c : classes) {
            c.trim();
        }
    }

    /**
     * {@return how many slots of this tier were damaged while free, wherever they wait: in the pool or in any
     * thread's magazine} Asked just before {@link #release()}, when nothing is live and nothing is allocating, so
     * that unmapping does not erase the evidence unreported.
     */
    public int damagedBeforeRelease() {
        int damaged = 0;
        for (SizeClass c : classes) {
            damaged += c.damagedSlots();
        }
        return damaged;
    }

    /** Unmaps every slab; the caller made sure nothing is live and nothing is allocating. */
    public void release() {
        for (SizeClass c : classes) {
            c.release();
        }
        for (Magazine[] ms : magazines.all()) {
            for (Magazine m : ms) {
                m.forget();
            }
        }
    }
}
