package dev.hardmem.sealed;

import dev.hardmem.MemoryCorruptionError;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.internal.alloc.GuardedAccess;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.Scratch;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Every live sealed secret, the current process key of each mode, and the rekey that replaces them.
 *
 * <h2>Why a rekey never loses a secret</h2>
 * A secret is added to {@link #LIVE} before it first reads {@link #current}, under its own exclusive lock, and every
 * later seal (a {@code write}) reads {@link #current} under that lock too. A rekey publishes the new key first, then
 * walks {@link #LIVE}, taking each secret's lock in turn. A secret that read the old key did so before the new one
 * was published, so it was in {@link #LIVE} before the walk began and the walk reaches it (a
 * {@link ConcurrentHashMap} iterator sees every element present when it was created), once its seal is done. A
 * secret that read the new key needs nothing. So when the walk ends, nothing is sealed under the old key, no
 * {@code read} can be using it (a read holds its secret's lock for as long as it uses the key), and it is
 * destroyed. Each secret is locked once, for the time it takes to re-seal it: readers of other secrets never wait.
 */
final class Vault {
    /** Where ciphertexts live: slab memory, locked where the limit allows (at rest it is ciphertext only). */
    private static final GuardedAllocator STORAGE =
            GuardedAllocator.create(GuardPolicy.defaults().withLock(GuardPolicy.Lock.BEST_EFFORT));
    private static final Set<SealedState> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicLong IDS = new AtomicLong();
    private static final ReentrantLock REKEY = new ReentrantLock();
    /** The current key of each mode in use. Guarded by itself; read without a lock through {@link #current}. */
    private static final Map<SealingMode, ProcessKey> KEYS = new EnumMap<>(SealingMode.class);
    /** How many sealed secrets this thread has open ({@link #enter}). */
    private static final ThreadLocal<int[]> OPEN = ThreadLocal.withInitial(() -> new int[1]);
    private static volatile ProcessKey coffer;
    private static volatile ProcessKey shielded;
    /** Keys replaced, destroyed once a walk finishes (a later one, if this one is cut short). Guarded by REKEY. */
    private static final List<ProcessKey> RETIRED = new ArrayList<>();

    private Vault() {
    }

    static GuardedHeap storage() {
        return GuardedAccess.heapOf(STORAGE);
    }

    static long nextId() {
        return IDS.incrementAndGet();
    }

    /** Adds {@code s}, which its creator holds exclusively and has not sealed yet. */
    static void remember(SealedState s) {
        LIVE.add(s);
    }

    static void forget(SealedState s) {
        LIVE.remove(s);
    }

    /** {@return how many sealed secrets are live} */
    static int live() {
        return LIVE.size();
    }

    /** {@return the key new seals of {@code mode} use, made on first use} */
    static ProcessKey current(SealingMode mode) {
        ProcessKey k = mode == SealingMode.COFFER ? coffer : shielded;
        return k != null ? k : first(mode);
    }

    private static ProcessKey first(SealingMode mode) {
        synchronized (KEYS) {
            ProcessKey k = KEYS.get(mode);
            if (k == null) {
                k = ProcessKey.create(mode, 1);
                publish(k);
            }
            return k;
        }
    }

    private static void publish(ProcessKey k) {
        KEYS.put(k.mode(), k);
        if (k.mode() == SealingMode.COFFER) {
            coffer = k;
        } else {
            shielded = k;
        }
    }

    /**
     * Replaces the key of every mode in use and re-seals every live secret under the new one; see the class comment.
     *
     * @return the number of secrets re-sealed
     */
    static long rekey() {
        refuseIfOpen("rekey");
        REKEY.lock();
        try {
            replaceKeys();
            long moved = 0;
            for (SealedState s : LIVE) {
                if (move(s)) {
                    moved++;
                }
            }
            // Only once every secret has moved: a walk cut short by an exception keeps the old keys, which the
            // secrets it did not reach still need, until a later walk finishes.
            for (ProcessKey k : RETIRED) {
                k.destroy();
            }
            RETIRED.clear();
            return moved;
        } finally {
            REKEY.unlock();
        }
    }

    /**
     * Makes a new key for every mode in use, all of them first (if one cannot be made, nothing changes), then
     * retires the old ones and publishes the new. Under the lock of {@link #KEYS}, never held while waiting for a
     * secret, so that the first secret of a mode can be made while a walk runs.
     */
    private static void replaceKeys() {
        synchronized (KEYS) {
            List<ProcessKey> fresh = new ArrayList<>();
            try {
                for (ProcessKey k : KEYS.values()) {
                    fresh.add(ProcessKey.create(k.mode(), k.epoch() + 1));
                }
            } catch (Throwable t) {
                for (ProcessKey f : fresh) {
                    f.destroy();
                }
                throw t;
            }
            for (ProcessKey f : fresh) {
                RETIRED.add(KEYS.get(f.mode()));
                publish(f);
            }
        }
    }

    /**
     * Counts a {@code read} or {@code write} (or the fill of a new secret) open on this thread, until {@link #exit}.
     * A rekey walks every secret taking its exclusive lock, so a thread that has one open must not start one: it
     * would wait for itself, or for a thread that waits for it.
     */
    static void enter() {
        OPEN.get()[0]++;
    }

    static void exit() {
        OPEN.get()[0]--;
    }

    /** @throws IllegalStateException if this thread has a sealed secret open */
    static void refuseIfOpen(String what) {
        if (OPEN.get()[0] > 0) {
            throw new IllegalStateException("cannot " + what + " from inside a read or write of a sealed secret: the"
                    + " rekey takes every sealed secret's lock in turn, and would wait for this thread's own access");
        }
    }

    /** Re-seals {@code s} under its mode's current key, unless it is closed, not sealed yet, or already there. */
    private static boolean move(SealedState s) {
        ReentrantReadWriteLock.WriteLock w = s.lock.writeLock();
        w.lock();
        try {
            ProcessKey to = current(s.mode);
            if (s.closed || s.key() == null || s.key() == to || s.isCorrupt()) {
                return false;
            }
            try (Scratch.Lease lease = Scratch.take(s.scratchBytes())) {
                try {
                    s.open(lease.memory());
                } catch (MemoryCorruptionError e) {
                    // It cannot be opened under any key: it stays corrupt, and no longer needs the old key.
                    s.markCorrupt();
                    return false;
                }
                s.seal(lease.memory(), to);
            }
            return true;
        } finally {
            w.unlock();
        }
    }
}
