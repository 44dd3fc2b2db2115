package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.Block;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.os.Memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small secrets packed into slabs, one size class per slab. Guard pages around every slab, a random per-slab
 * canary (first byte zero, so string functions stop there) after every slot, metadata on the Java heap and never
 * in the slab, zero on free, a zero check on allocation (a write after free is caught when the slot comes back),
 * delayed and randomised reuse of freed slots.
 *
 * <h2>Who owns a slot</h2>
 * The slabs of a size class, and the pool of their free slots, are shared behind the class's lock. A platform
 * thread does not take that lock for every allocation: it keeps a small {@link Magazine} per class (as Bonwick's
 * magazine allocator and tcmalloc's thread caches do), which it refills from the pool and flushes back to it in
 * batches. A slot therefore is in one of these places:
 * <ul>
 *   <li>{@link #FREE} or {@link #DELAYED}: in the shared pool. Only code holding the class lock moves it in or
 *       out, so {@link #verify()} (which holds the lock) checks it fully: canary and zeros.</li>
 *   <li>{@link #CACHED}: free, zeroed and checked, in one thread's magazine (ready, or waiting in its delay ring);
 *       or {@link #LIVE}: handed out. Their owner changes their state without the lock, so {@code verify()} only
 *       reads their canary, which nobody but an overrun writes. A bad one is <em>condemned</em> (a flag written
 *       with release semantics); the owner sees the flag before it hands the slot out again or takes it back,
 *       and wipes and quarantines the slot then. {@code verify()} never writes into a slot it does not own.</li>
 *   <li>{@link #QUARANTINED}: never handed out again.</li>
 * </ul>
 * Virtual threads use the shared pool directly (one lock per operation): a magazine per virtual thread would
 * reserve slots for threads that may number in the millions. Magazines are registered by thread (the
 * thread-local only caches them, weakly), so a thread whose thread-locals the JDK erases finds them again; those
 * of threads that died are given back to the pool when the pool next runs out, when a new thread registers, and
 * by {@code verify()} and {@code stats()}.
 */
final class SlabTier {
    static final byte FREE = 0;
    static final byte LIVE = 1;
    static final byte DELAYED = 2;
    static final byte QUARANTINED = 3;
    static final byte CACHED = 4;

    /** What {@link Slab#retire} found. */
    static final int INTACT = 0;
    static final int DAMAGED = 1;
    static final int CONDEMNED = 2;

    /** Freed slots a magazine holds back before they can be handed out again. */
    static final int MAGAZINE_DELAY = 8;
    private static final int RING = 16; // a power of two above MAGAZINE_DELAY
    /** The most ready slots a magazine holds for a class with {@code slots} per slab; it refills half of it. */
    static int magazineCapacity(int slots) {
        return Math.max(2, Math.min(16, slots / 4));
    }

    /** Slots and canaries are 16-byte aligned: aligned accesses compile to plain loads and stores. */
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    /** Bookkeeping accesses go through it at addresses computed from a slab's base (see Memory.EVERYWHERE). */
    private static final MemorySegment RAW = Memory.EVERYWHERE;
    private static final VarHandle FLAG = MethodHandles.arrayElementVarHandle(byte[].class);

    private final GuardedHeap heap;
    private final SizeClass[] classes;
    /**
     * The calling thread's magazines, found fast. It holds them weakly: the tier holds them strongly in
     * {@link #owners}, so a closed allocator is not kept alive by every thread that ever used it.
     */
    private final ThreadLocal<WeakReference<Magazine[]>> magazines = new ThreadLocal<>();
    /**
     * Every platform thread's magazines, by thread: the truth the thread-local only caches. The JDK erases the
     * thread-locals of some threads (a {@code Cleaner}'s before each cleanup, common-pool workers when idle); the
     * thread then finds its magazines here again instead of stranding them. Guarded by itself.
     */
    private final Map<Thread, Magazine[]> owners = new HashMap<>();

    SlabTier(GuardedHeap heap) {
        this.heap = heap;
        this.classes = new SizeClass[Layout.CLASSES.length];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new SizeClass(Layout.CLASSES[i], heap.seed());
        }
    }

    /** {@return whether the slab tier can hold {@code size} bytes at {@code alignment}} */
    static boolean fits(long size, long alignment) {
        return size <= Layout.MAX_SLAB_CLASS && alignment <= Layout.SLAB_ALIGNMENT;
    }

    Block allocate(long size) {
        int c = Layout.classIndex(size);
        Magazine[] mine = mine();
        return mine == null ? classes[c].allocateShared(size) : mine[c].allocate(size);
    }

    void free(SlabBlock b) {
        Magazine from = b.from;
        if (from != null && from.thread == Thread.currentThread()) {
            from.free(b); // freed by the thread that allocated it: no thread-local lookup
            return;
        }
        Magazine[] mine = mine();
        if (mine == null) {
            b.slab.owner.freeShared(b);
        } else {
            mine[b.slab.owner.index].free(b);
        }
    }

    /** {@return the calling platform thread's magazines, made on first use; {@code null} on a virtual thread} */
    private Magazine[] mine() {
        WeakReference<Magazine[]> cached = magazines.get();
        Magazine[] m = cached == null ? null : cached.get();
        return m != null ? m : register();
    }

    private Magazine[] register() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return null;
        }
        Magazine[] m;
        synchronized (owners) {
            m = owners.get(t); // its thread-locals were erased, not its magazines
        }
        if (m == null) {
            // A new thread is the moment to forget the ones that ended, so the map does not grow with churn.
            reclaimDeadThreads();
            m = new Magazine[classes.length];
            long seed = heap.seed();
            for (int i = 0; i < m.length; i++) {
                m[i] = new Magazine(t, classes[i], seed + i * 0x632BE59BD9B4E019L);
            }
            synchronized (owners) {
                owners.put(t, m);
            }
        }
        magazines.set(new WeakReference<>(m));
        return m;
    }

    /** {@return how many threads have magazines registered (dead ones included until reclaimed)} */
    int threadsWithMagazines() {
        synchronized (owners) {
            return owners.size();
        }
    }

    /** Gives the slots of dead threads' magazines back to the pool, and adds their counts to the pool's. */
    private void reclaimDeadThreads() {
        List<Magazine[]> dead = new ArrayList<>();
        synchronized (owners) {
            owners.entrySet().removeIf(e -> !e.getKey().isAlive() && dead.add(e.getValue()));
        }
        // A dead thread's last actions happen-before isAlive() returned false: its magazines are quiet.
        for (Magazine[] ms : dead) {
            for (Magazine m : ms) {
                m.cls.takeBack(m, 0, true);
            }
        }
    }

    /** {@return {live secrets, their bytes, slabs mapped}} A snapshot: other threads keep allocating. */
    long[] counts() {
        reclaimDeadThreads();
        long[] sum = new long[3];
        for (SizeClass c : classes) {
            synchronized (c) {
                sum[0] += c.live;
                sum[1] += c.bytes;
                sum[2] += c.slabs.size();
            }
        }
        synchronized (owners) {
            for (Magazine[] ms : owners.values()) {
                for (Magazine m : ms) {
                    sum[0] += m.live;
                    sum[1] += m.bytes;
                }
            }
        }
        return sum;
    }

    /** Zeroes the slot at {@code address}: small classes with a few long stores, larger ones with a fill. */
    private static void zeroSlot(long address, int classSize) {
        if (classSize <= 64) {
            // Straight-line stores, 16 bytes per step: a counted loop of 2 to 8 iterations costs more in loop
            // set-up than it does in stores.
            RAW.set(LONG, address, 0L);
            RAW.set(LONG, address + 8, 0L);
            if (classSize >= 32) {
                RAW.set(LONG, address + 16, 0L);
                RAW.set(LONG, address + 24, 0L);
                if (classSize >= 48) {
                    RAW.set(LONG, address + 32, 0L);
                    RAW.set(LONG, address + 40, 0L);
                    if (classSize == 64) {
                        RAW.set(LONG, address + 48, 0L);
                        RAW.set(LONG, address + 56, 0L);
                    }
                }
            }
        } else {
            RAW.asSlice(address, classSize).fill((byte) 0);
        }
    }

    /**
     * Checks every canary of every slab, and every free slot in the pool for writes after free. The calling
     * thread's magazines go back to the pool first, so its own freed slots are checked in full.
     */
    void verify() {
        WeakReference<Magazine[]> cached = magazines.get();
        Magazine[] mine = cached == null ? null : cached.get();
        if (mine != null) {
            for (Magazine m : mine) {
                m.cls.takeBack(m, 0, true);
            }
        }
        reclaimDeadThreads();
        for (SizeClass c : classes) {
            c.verify();
        }
    }

    /** Unmaps every slab; the caller made sure nothing is live and nothing is allocating. */
    void release() {
        for (SizeClass c : classes) {
            synchronized (c) {
                for (Slab s : c.slabs) {
                    heap.regions().unmap(s.region);
                }
                c.slabs.clear();
                c.available.clear();
                Arrays.fill(c.byId, null);
            }
        }
        synchronized (owners) {
            for (Magazine[] ms : owners.values()) {
                for (Magazine m : ms) {
                    m.forget();
                }
            }
        }
    }

    /** {@return the handle of slot {@code i} of {@code s}: its slab's id in the class, and its index} */
    static long handle(Slab s, int i) {
        return ((long) s.id << 32) | i;
    }

    /**
     * A slot handed out. {@code generation} tells a stale block (freed before) from the live one. It keeps the
     * address and size rather than a segment: views are made straight from them, one object less per secret.
     */
    static final class SlabBlock implements Block {
        final Slab slab;
        final int index;
        final int generation;
        final long address;
        final long size;
        /** The magazine it came from ({@code null} from the shared pool), to skip a lookup when freed by its thread. */
        final Magazine from;

        SlabBlock(Slab slab, int index, int generation, long size, Magazine from) {
            this.slab = slab;
            this.index = index;
            this.generation = generation;
            this.address = slab.base + slab.slotOffset(index);
            this.size = size;
            this.from = from;
        }

        @Override
        public MemorySegment raw() {
            return Memory.at(address, size);
        }

        @Override
        public MemorySegment view(Arena lifetime) {
            return Memory.viewAt(address, size, lifetime);
        }

        /** Nothing to do here: {@link Slab#retire} zeroes the whole slot, secret and slack, when it is freed. */
        @Override
        public void wipe() {
        }

        @Override
        public void hold(Object watch) {
            slab.held[index] = watch;
        }
    }

    /** One slab: its region, canary and the state of each slot. */
    static final class Slab {
        final SizeClass owner;
        /** Its index in the class's {@link SizeClass#slabs()} table, for handles. */
        final int id;
        final Regions.Region region;
        final MemorySegment data;
        /** The address of {@code data}: slot {@code i} starts at {@code base + slotOffset(i)}. */
        final long base;
        final long canary0;
        final long canary1;
        /**
         * Per slot, its state in the low byte and its generation in the high 32 bits: one element, so the
         * allocation path touches one cache line of metadata per slot, and a block is checked live in one compare.
         */
        final long[] meta;
        /** Set (with release semantics) by verify() on a slot it found damaged but does not own. */
        final byte[] condemned;
        /** Set by verify() after it sets any flag in {@link #condemned}: until then no slot needs a look. */
        volatile boolean anyCondemned;
        /** What the owner of each live slot asked the allocator to keep reachable (its leak watch). */
        final Object[] held;
        final int[] free;
        int freeCount;
        final int delay;
        final int[] delayed;
        int delayedHead;
        int delayedCount;
        /** Slots out of the pool: live, or in a magazine. The slab can be unmapped when none are. */
        int out;
        boolean available;

        Slab(SizeClass owner, int id, Regions.Region region, long canary0, long canary1, int slots) {
            this.owner = owner;
            this.id = id;
            this.region = region;
            this.data = region.runs()[0];
            this.base = data.address();
            this.canary0 = canary0;
            this.canary1 = canary1;
            this.meta = new long[slots];
            this.condemned = new byte[slots];
            this.held = new Object[slots];
            this.free = new int[slots];
            for (int i = 0; i < slots; i++) {
                free[i] = i;
            }
            this.freeCount = slots;
            // The ring holds `delay` slots (16, or a quarter of the slab) before reuse; its length is a power of
            // two above that, so positions wrap with a mask instead of a division.
            this.delay = Math.max(1, Math.min(16, slots / 4));
            this.delayed = new int[Integer.highestOneBit(delay) << 1];
        }

        long slotOffset(int i) {
            return Layout.slotOffset(owner.classSize, i);
        }

        boolean canaryIntact(int i) {
            long at = base + Layout.slabCanaryOffset(owner.classSize, i);
            return RAW.get(LONG, at) == canary0 && RAW.get(LONG, at + 8) == canary1;
        }

        void writeCanary(int i) {
            long at = base + Layout.slabCanaryOffset(owner.classSize, i);
            RAW.set(LONG, at, canary0);
            RAW.set(LONG, at + 8, canary1);
        }

        boolean isCondemned(int i) {
            return anyCondemned && (byte) FLAG.getAcquire(condemned, i) != 0;
        }

        /** Flags slot {@code i}, which verify() found damaged, for its owner to quarantine. */
        void condemn(int i) {
            FLAG.setRelease(condemned, i, (byte) 1);
            anyCondemned = true;
        }

        byte state(int i) {
            return (byte) meta[i];
        }

        void setState(int i, byte state) {
            meta[i] = (meta[i] & ~0xFFL) | (state & 0xFF);
        }

        /** Marks slot {@code i} live under its next generation, which it returns. */
        int makeLive(int i) {
            long generation = (meta[i] >>> 32) + 1;
            meta[i] = (generation << 32) | LIVE;
            return (int) generation;
        }

        /** {@return whether slot {@code i} is live in {@code generation}, so a block of it may be freed} */
        boolean isLive(int i, int generation) {
            return meta[i] == (((long) generation << 32) | LIVE);
        }

        /** Checks that a free slot is still zero and its canary intact. */
        boolean freeSlotIntact(int i) {
            long off = slotOffset(i);
            int classSize = owner.classSize;
            if (classSize > 64) {
                return GuardedHeap.isZero(data, off, classSize) && canaryIntact(i);
            }
            long at = base + off;
            long acc = RAW.get(LONG, at) | RAW.get(LONG, at + 8); // as in zeroSlot: no loop
            if (classSize >= 32) {
                acc |= RAW.get(LONG, at + 16) | RAW.get(LONG, at + 24);
                if (classSize >= 48) {
                    acc |= RAW.get(LONG, at + 32) | RAW.get(LONG, at + 40);
                    if (classSize == 64) {
                        acc |= RAW.get(LONG, at + 48) | RAW.get(LONG, at + 56);
                    }
                }
            }
            return acc == 0 && canaryIntact(i);
        }

        /**
         * The first half of every free: refuses a block that is not live (a double free, before anything changes),
         * drops its leak watch, checks the canary and the slack, zeroes the whole slot and shows it to the test
         * observer.
         *
         * @return {@link #INTACT}, {@link #DAMAGED} (canary or slack overwritten), or {@link #CONDEMNED} (verify()
         *         found it damaged and reported it already)
         */
        int retire(SlabBlock b) {
            int i = b.index;
            if (!isLive(i, b.generation)) {
                throw new IllegalStateException("this secret memory was already freed (double free);"
                        + " nothing was changed");
            }
            held[i] = null;
            boolean condemned = isCondemned(i);
            boolean intact = checkAndZero(i, b.size); // the whole slot is zero from here on, intact or not
            if (SecretAllocator.observed()) {
                SecretAllocator.beforeFree(b.raw());
            }
            return condemned ? CONDEMNED : intact ? INTACT : DAMAGED;
        }

        /**
         * Checks the canary and the bytes between the secret's end and the canary, then zeroes the slot.
         *
         * @return whether they were intact
         */
        boolean checkAndZero(int i, long size) {
            long off = slotOffset(i);
            int classSize = owner.classSize;
            boolean intact = canaryIntact(i)
                    && (size == classSize || GuardedHeap.isZero(data, off + size, classSize - size));
            zeroSlot(base + off, classSize);
            return intact;
        }
    }

    /**
     * One thread's slots of one size class: ready ones (zeroed and checked, handed out in random order) and
     * recently freed ones waiting in a delay ring. Touched only by its thread (or, after the thread died, under
     * the class lock by whoever reclaims it), so allocating and freeing take no lock and no atomic instruction.
     * Slots are held as {@code long} handles (slab id, slot index), not as references: a reference stored into
     * a long-lived array costs a G1 write barrier with a memory fence, several times per allocation.
     */
    final class Magazine {
        final Thread thread;
        final SizeClass cls;
        /** Seed of this magazine's own generator, kept in the object itself: one cache line less per allocation. */
        private long seed;
        final long[] readySlots;
        int ready;
        final long[] ring = new long[RING];
        int ringHead;
        int ringCount;
        /** This thread's allocations minus its frees in this class (negative when it frees others' secrets). */
        long live;
        long bytes;

        Magazine(Thread thread, SizeClass cls, long seed) {
            this.thread = thread;
            this.cls = cls;
            this.seed = seed;
            int capacity = magazineCapacity(Layout.slabSlots(cls.classSize));
            this.readySlots = new long[capacity];
        }

        Block allocate(long size) {
            if (ready == 0) {
                cls.refill(this);
            }
            // Uniform enough for reuse order (bias below 2^-32), without nextInt(bound)'s division.
            int k = (int) (((nextRandom() >>> 32) * ready) >>> 32);
            long h = readySlots[k];
            readySlots[k] = readySlots[--ready];
            Slab s = cls.slab(h);
            int i = (int) h;
            if (s.isCondemned(i) || !s.freeSlotIntact(i)) {
                return damaged(s, i, size);
            }
            int gen = s.makeLive(i);
            live++;
            bytes += size;
            return new SlabBlock(s, i, gen, size, this);
        }

        /** {@return the next output of a SplitMix64 generator (Steele, Lea and Flood, 2014) over {@link #seed}} */
        private long nextRandom() {
            long z = seed += 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /** The slot drawn was damaged: quarantine it, then report it, or (if verify() did already) draw again. */
        private Block damaged(Slab s, int i, long size) {
            boolean reported = s.isCondemned(i);
            cls.quarantineOwned(s, i);
            if (reported) {
                return allocate(size);
            }
            heap.corruption("a slab slot of class " + cls.classSize + " was written after it was freed"
                    + " (found when it was next allocated)");
            throw new AssertionError("unreachable: corruption() throws or halts");
        }

        void free(SlabBlock b) {
            Slab s = b.slab;
            int i = b.index;
            int outcome = s.retire(b);
            live--;
            bytes -= b.size;
            if (outcome != INTACT) {
                cls.quarantineOwned(s, i);
                if (outcome == CONDEMNED) {
                    return; // verify() already reported it
                }
                heap.corruption(cls.overrun(b));
            }
            s.setState(i, CACHED);
            int end = (ringHead + ringCount) & (RING - 1);
            ring[end] = handle(s, i);
            if (++ringCount > MAGAZINE_DELAY) {
                long oldest = ring[ringHead];
                ringHead = (ringHead + 1) & (RING - 1);
                ringCount--;
                if (ready == readySlots.length) {
                    cls.takeBack(this, readySlots.length / 2, false);
                }
                readySlots[ready++] = oldest;
            }
        }

        /** Drops every slot without giving it back (the allocator was closed and its slabs unmapped). */
        void forget() {
            ready = 0;
            ringCount = 0;
        }
    }

    /** The slabs of one size class and the pool of their free slots, behind one lock. */
    final class SizeClass {
        final int classSize;
        final int index;
        final List<Slab> slabs = new ArrayList<>();
        final ArrayDeque<Slab> available = new ArrayDeque<>();
        /**
         * Slabs by id, for handles. Written under the lock; read without it by magazines, which only look up ids
         * of slots they hold (a slab is unmapped, and its id freed, only when no slot of it is out of the pool).
         * Replaced, never resized in place, so a reader sees either table whole.
         */
        private volatile Slab[] byId = new Slab[4];
        private final SplittableRandom random;
        /** Live secrets and their bytes allocated and freed through the pool (not through magazines). */
        long live;
        long bytes;

        SlabTier tier() {
            return SlabTier.this;
        }

        /** {@return the slab of handle {@code h}} */
        Slab slab(long h) {
            return byId[(int) (h >>> 32)];
        }

        /** {@return the slab table} */
        Slab[] slabs() {
            return byId;
        }

        SizeClass(int classSize, long seed) {
            this.classSize = classSize;
            this.index = Layout.classIndex(classSize);
            this.random = new SplittableRandom(seed);
        }

        /** Moves up to half a magazine of free slots from the pool into {@code m}; maps a slab if needed. */
        synchronized void refill(Magazine m) {
            int want = Math.max(1, m.readySlots.length / 2);
            while (m.ready < want) {
                Slab s = nextSlab(m.ready > 0);
                if (s == null) {
                    return;
                }
                int i = takeFrom(s);
                if (i < 0) {
                    continue;
                }
                s.setState(i, CACHED);
                m.readySlots[m.ready++] = handle(s, i);
            }
        }

        /**
         * {@return a slab with free slots} When there is none, dead threads' magazines are reclaimed first and
         * then a slab is mapped, unless {@code orNull} (the caller has enough already).
         */
        private Slab nextSlab(boolean orNull) {
            Slab s = available.peekFirst();
            if (s != null || orNull) {
                return s;
            }
            reclaimDeadThreadsLocked();
            s = available.peekFirst();
            return s != null ? s : newSlab();
        }

        /** {@return a random free slot of {@code s} taken out of the pool, or -1 if it was quarantined} */
        private int takeFrom(Slab s) {
            int k = (int) (((random.nextLong() >>> 32) * s.freeCount) >>> 32);
            int i = s.free[k];
            s.free[k] = s.free[--s.freeCount];
            if (s.freeCount == 0) {
                available.pollFirst();
                s.available = false;
            }
            if (s.state(i) == QUARANTINED) {
                return -1; // verify() quarantined it while it waited in the pool: never handed out again
            }
            s.out++;
            return i;
        }

        /**
         * Gives back this class's slots from the magazines of dead threads; the caller holds this lock. The
         * owners stay registered (their other classes are reclaimed outside any class lock, by
         * {@link SlabTier#reclaimDeadThreads}), so no thread ever holds two class locks.
         */
        private void reclaimDeadThreadsLocked() {
            List<Magazine> dead = new ArrayList<>();
            synchronized (owners) {
                for (Map.Entry<Thread, Magazine[]> e : owners.entrySet()) {
                    if (!e.getKey().isAlive()) {
                        dead.add(e.getValue()[index]);
                    }
                }
            }
            for (Magazine m : dead) {
                takeBackLocked(m, 0, true);
            }
        }

        /**
         * Returns {@code m}'s ready slots beyond {@code keep} to the pool, and its delay ring too if {@code all}.
         * Also folds its counts into the pool's when {@code all} (its thread is done with them).
         */
        synchronized void takeBack(Magazine m, int keep, boolean all) {
            takeBackLocked(m, keep, all);
        }

        private void takeBackLocked(Magazine m, int keep, boolean all) {
            if (all) {
                live += m.live;
                bytes += m.bytes;
                m.live = 0;
                m.bytes = 0;
            }
            while (m.ready > keep) {
                m.ready--;
                long h = m.readySlots[m.ready];
                toPool(slab(h), (int) h);
            }
            if (all) {
                while (m.ringCount > 0) {
                    long h = m.ring[m.ringHead];
                    m.ringHead = (m.ringHead + 1) & (RING - 1);
                    m.ringCount--;
                    Slab s = slab(h);
                    int i = (int) h;
                    // Still waiting out its delay: it waits out the rest in the slab's queue, not in the free list.
                    if (!quarantinedIfCondemned(s, i)) {
                        s.out--;
                        delay(s, i);
                    }
                    releaseIfEmpty(s);
                }
            }
        }

        /** A free, zeroed slot from a magazine goes back to the pool. */
        private void toPool(Slab s, int i) {
            if (!quarantinedIfCondemned(s, i)) {
                s.out--;
                s.setState(i, FREE);
                s.free[s.freeCount++] = i;
                if (!s.available) {
                    s.available = true;
                    available.addLast(s);
                }
            }
            releaseIfEmpty(s);
        }

        /**
         * Quarantines slot {@code i}, which is out of the pool, if verify() condemned it while a thread held it.
         *
         * @return whether it did (the slot then no longer counts as out)
         */
        private boolean quarantinedIfCondemned(Slab s, int i) {
            if (!s.isCondemned(i) || s.state(i) == QUARANTINED) {
                return false;
            }
            quarantineLocked(s, i); // already reported by verify()
            s.out--;
            return true;
        }

        /** Puts a freed slot in its slab's delay queue; the oldest one waiting there becomes free. */
        private void delay(Slab s, int i) {
            s.setState(i, DELAYED);
            int mask = s.delayed.length - 1;
            s.delayed[(s.delayedHead + s.delayedCount) & mask] = i;
            if (++s.delayedCount > s.delay) {
                // The queue holds `delay` slots, then lets the oldest go.
                int oldest = s.delayed[s.delayedHead];
                s.delayedHead = (s.delayedHead + 1) & mask;
                s.delayedCount--;
                if (s.state(oldest) == DELAYED) {
                    s.setState(oldest, FREE);
                    s.free[s.freeCount++] = oldest;
                    if (!s.available) {
                        s.available = true;
                        available.addLast(s);
                    }
                }
            }
        }

        /** {@return the report of an overwritten canary after {@code b}} */
        String overrun(SlabBlock b) {
            return "the canary after a " + b.size + "-byte secret in a slab of class " + classSize
                    + " was overwritten: something wrote past the end of the secret";
        }

        /** Allocates straight from the pool (virtual threads). */
        synchronized Block allocateShared(long size) {
            Slab s;
            int i;
            do {
                s = nextSlab(false);
                i = takeFrom(s);
            } while (i < 0);
            if (s.isCondemned(i) || !s.freeSlotIntact(i)) {
                boolean reported = s.isCondemned(i);
                quarantineLocked(s, i);
                s.out--;
                releaseIfEmpty(s);
                if (reported) {
                    return allocateShared(size); // verify() reported it already: draw another
                }
                heap.corruption("a slab slot of class " + classSize + " was written after it was freed"
                        + " (found when it was next allocated)");
            }
            int gen = s.makeLive(i);
            live++;
            bytes += size;
            return new SlabBlock(s, i, gen, size, null);
        }

        /** Frees straight into the pool, through its delay ring (virtual threads). */
        synchronized void freeShared(SlabBlock b) {
            Slab s = b.slab;
            int i = b.index;
            int outcome = s.retire(b);
            live--;
            bytes -= b.size;
            s.out--;
            if (outcome != INTACT) {
                quarantineLocked(s, i);
                releaseIfEmpty(s);
                if (outcome == CONDEMNED) {
                    return; // verify() already reported it
                }
                heap.corruption(overrun(b));
            }
            delay(s, i);
            releaseIfEmpty(s);
        }

        /**
         * Unmaps a slab none of whose slots is out of the pool when another slab of the class still has free
         * slots, so pools do not keep memory locked at their high-water mark forever (each class keeps at most one
         * empty slab).
         */
        private void releaseIfEmpty(Slab s) {
            if (s.out != 0 || slabs.size() < 2) {
                return;
            }
            boolean otherHasRoom = false;
            for (Slab o : available) {
                otherHasRoom |= o != s;
            }
            if (!otherHasRoom) {
                return;
            }
            slabs.remove(s);
            byId[s.id] = null;
            available.remove(s);
            s.available = false;
            s.freeCount = 0;
            heap.regions().unmap(s.region);
        }

        /** Wipes a damaged slot the caller owns (a magazine's or a live one), and takes it out of use for good. */
        synchronized void quarantineOwned(Slab s, int i) {
            quarantineLocked(s, i);
            s.out--;
            releaseIfEmpty(s);
        }

        /** Wipes a damaged slot, restores its canary so neighbours still check, and never hands it out again. */
        private void quarantineLocked(Slab s, int i) {
            s.data.asSlice(s.slotOffset(i), classSize).fill((byte) 0);
            s.writeCanary(i);
            s.setState(i, QUARANTINED);
            heap.quarantined.increment();
        }

        private Slab newSlab() {
            long bytes = Layout.slabDataBytes(classSize);
            int slots = Layout.slabSlots(classSize);
            Regions.Region r = heap.regions().map(1, bytes);
            long c0 = heap.canaryWord() & ~0xFFL; // first byte (little-endian) zero
            long c1 = heap.canaryWord();
            Slab[] table = byId;
            int id = 0;
            while (id < table.length && table[id] != null) {
                id++;
            }
            if (id == table.length) {
                table = Arrays.copyOf(table, table.length * 2);
            }
            Slab s = new Slab(this, id, r, c0, c1, slots);
            table[id] = s;
            byId = table;
            for (int i = 0; i < slots; i++) {
                s.writeCanary(i);
            }
            slabs.add(s);
            s.available = true;
            available.addFirst(s);
            return s;
        }

        void verify() {
            List<String> problems = new ArrayList<>();
            synchronized (this) {
                for (Slab s : slabs) {
                    for (int i = 0; i < s.meta.length; i++) {
                        byte st = s.state(i);
                        if (st == QUARANTINED || s.isCondemned(i)) {
                            continue;
                        }
                        boolean pooled = st == FREE || st == DELAYED; // only the lock holder moves these
                        if (!s.canaryIntact(i)) {
                            problems.add("canary after slot " + i);
                            if (pooled) {
                                quarantineLocked(s, i);
                            } else {
                                s.condemn(i); // its owner wipes and quarantines it
                            }
                        } else if (pooled && !GuardedHeap.isZero(s.data, s.slotOffset(i), classSize)) {
                            problems.add("write after free in slot " + i);
                            quarantineLocked(s, i);
                        }
                    }
                }
            }
            if (!problems.isEmpty()) {
                heap.corruption("verify found " + problems.size() + " corrupted slot(s) in slabs of class "
                        + classSize + ": " + String.join(", ", problems.subList(0, Math.min(5, problems.size()))));
            }
        }
    }
}
