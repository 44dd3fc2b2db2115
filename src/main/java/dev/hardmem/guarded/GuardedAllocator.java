package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.GuardedAccess;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.internal.os.Os;
import dev.hardmem.internal.os.Platform;

import java.util.Objects;

/**
 * Guarded memory for secrets: the protections of libsodium's {@code sodium_malloc} (guard pages, canaries,
 * locked pages excluded from core dumps) without its costs (five system calls and four mappings per secret).
 *
 * <p>{@code SecretArena.ofConfined()}, {@code SecretArena.ofShared()} and {@code Secret} use
 * {@link #shared()}, the default instance, unless given another. Two tiers:
 * <ul>
 *   <li>{@link Tier#SLAB} (the default for secrets up to 4 KiB aligned to at most 16): size classes packed into
 *       slabs, guard pages around every slab, a random per-slab canary after every slot, zero on free, a zero check
 *       on allocation, delayed randomised reuse. No system call per allocation; about 2 mappings per 64 KiB
 *       slab, so a million 32-byte secrets fit under the default {@code vm.max_map_count}.</li>
 *   <li>{@link Tier#ISOLATED} (larger secrets, larger alignments up to {@link #MAX_ALIGNMENT}, or on request):
 *       one secret per run of pages, ending exactly at a trailing guard page (one byte past the end faults) when its
 *       size is a multiple of its alignment, a leading guard page, a canary right before it. Slots are pooled: no
 *       system call per allocation. Optionally {@code PROT_NONE} outside {@code Secret.read}/{@code write}
 *       ({@link GuardPolicy#withAccessProtection}).</li>
 * </ul>
 * Every data page is locked ({@code mlock}), left out of core dumps ({@code MADV_DONTDUMP}) and wiped in forked
 * children ({@code MADV_WIPEONFORK}); guard pages are {@code PROT_NONE}. There is no reallocation of any kind.
 *
 * <h2>Lifetime and budgets</h2>
 * An allocator made by {@link #create} holds its pools' memory (mapped and locked) until {@link #close()}; use it in
 * {@code try}-with-resources. One that becomes unreachable without being closed is released by hardmem's leak
 * watcher, as a leaked {@code SecretArena} is: what its pools kept is wiped, unlocked and unmapped, and a warning
 * says so. It is never released while a secret it handed out can still be reached: every arena, secret and
 * {@link Allocation} keeps its allocator's memory alive until it is freed.
 *
 * <p>{@code RLIMIT_MEMLOCK} and {@code vm.max_map_count} limit the process, so locked bytes and mappings are counted
 * for every allocator of the process together (the {@code bytes locked} a {@link MemoryBudgetException} names are the
 * process's). Pools keep freed memory for reuse; when an allocation would cross a limit, every allocator first gives
 * back the free memory its pools keep, and only then does the policy decide. {@link #stats()} counts this
 * allocator's share.
 *
 * <h2>Failing closed</h2>
 * A bad canary (checked on free, so on arena close, and by {@link #verify()}) or a write after free (checked when
 * the slot is next allocated, and by {@link #verify()}) wipes the slot, quarantines it forever, and throws
 * {@link dev.hardmem.MemoryCorruptionError} (or halts the JVM, with {@link GuardPolicy.OnCorruption#HALT}).
 * Freeing twice, freeing memory another allocator handed out, or using a closed allocator throws and changes
 * nothing.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed on Linux: the protections above, each proved by a test named in {@code docs/guarded-allocator.md}.
 * Not guaranteed: a native overrun that jumps over the canary and guard page (guards catch linear overruns, not
 * arbitrary writes); bytes between a secret's end and the guard page when its size is not a multiple of its
 * alignment (they are checked at free, like the canary); protection against root or a debugger; canary values
 * are kept on the Java heap, outside the slabs.
 */
public final class GuardedAllocator implements AutoCloseable {
    /**
     * The largest alignment a guarded allocation can have: 2 MiB (the huge page size of x86_64 and aarch64), whatever
     * the page size. An alignment above the page size costs address space, never locked memory: see
     * {@link #allocate(long, long)}.
     */
    public static final long MAX_ALIGNMENT = Layout.MAX_ALIGNMENT;

    static {
        GuardedAccess.set(a -> {
            a.heap.checkOpen(); // an arena or secret over a closed allocator fails at once, not at first use
            return a.heap;
        });
    }

    private static final class Default {
        static final GuardedAllocator INSTANCE = new GuardedAllocator(new GuardedHeap(GuardPolicy.defaults(),
                "the default guarded allocator", false, Os.LINUX, FreeListener.DEFAULT));
    }

    private final GuardedHeap heap;

    /** The public face of {@code heap}; tests make engines with their own system calls and free listener. */
    GuardedAllocator(GuardedHeap heap) {
        this.heap = heap;
    }

    /** {@return the default allocator, with {@link GuardPolicy#defaults()}} It cannot be closed. */
    public static GuardedAllocator shared() {
        return Default.INSTANCE;
    }

    /**
     * {@return a new allocator with {@code policy}}
     *
     * @param policy how it behaves
     * @throws UnsupportedOperationException if the policy requires {@code memfd_secret} and it is unavailable, or
     *                                       this is not Linux on x86_64/aarch64
     */
    public static GuardedAllocator create(GuardPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        Platform.current();
        return new GuardedAllocator(new GuardedHeap(policy, "a guarded allocator", true, Os.LINUX,
                FreeListener.DEFAULT));
    }

    /** {@return the policy} */
    public GuardPolicy policy() {
        return heap.policy();
    }

    /**
     * {@return {@code size} zeroed bytes from the tier the policy picks} No alignment is promised beyond 1 (a slab
     * slot happens to be aligned to 16); ask for one with {@link #allocate(long, long)}.
     *
     * @param size the number of bytes, 0 or more
     * @throws IllegalArgumentException if {@code size} is negative
     * @throws MemoryBudgetException    if the memory could not be locked under policy {@code REQUIRE}, the
     *                                  mappings would cross {@code vm.max_map_count}, or, under every policy, the
     *                                  secret is larger than the RAM this process may use (physical memory, or
     *                                  its memory cgroup's limit if lower)
     */
    public Allocation allocate(long size) {
        return allocate(size, 1);
    }

    /**
     * {@return {@code size} zeroed bytes aligned to {@code alignment}, from the tier the policy picks}
     *
     * <p>An alignment above the page size is served by the isolated tier, with the same guard pages, canary and
     * checks as any isolated secret: the canary's page, then the secret at the first aligned address, ending at the
     * trailing guard page when its size is a multiple of the page. Such a slot is mapped on its own (three mappings)
     * and reserves up to {@code alignment} bytes more address space, {@code PROT_NONE}, never locked.
     *
     * @param size      the number of bytes, 0 or more
     * @param alignment a power of two, at most {@link #MAX_ALIGNMENT}
     * @throws IllegalArgumentException if {@code size} is negative or {@code alignment} is not a power of two up
     *                                  to {@link #MAX_ALIGNMENT}
     * @throws MemoryBudgetException    as for {@link #allocate(long)}
     */
    public Allocation allocate(long size, long alignment) {
        SecretAllocator.checkSizeAndAlignment(size, alignment);
        return new Allocation(this, heap, heap.allocate(size, alignment, null, false));
    }

    /**
     * {@return {@code size} zeroed bytes aligned to {@code alignment}, from {@code tier}}
     *
     * @param size      the number of bytes, 0 or more
     * @param alignment a power of two, at most 16 for {@link Tier#SLAB}, at most {@link #MAX_ALIGNMENT} for
     *                  {@link Tier#ISOLATED}
     * @param tier      the tier
     * @throws IllegalArgumentException if {@code size} or {@code alignment} do not fit the tier
     */
    public Allocation allocate(long size, long alignment, Tier tier) {
        Objects.requireNonNull(tier, "tier");
        SecretAllocator.checkSizeAndAlignment(size, alignment);
        return new Allocation(this, heap, heap.allocate(size, alignment, tier, false));
    }

    /**
     * Ends the allocation's segment, checks its canary, wipes it and gives it back.
     *
     * @param allocation what to free
     * @throws IllegalArgumentException          if this allocator did not hand it out
     * @throws IllegalStateException             if it was already freed (every allocation of a closed allocator
     *                                           was)
     * @throws WrongThreadException              if called from a thread other than the one that allocated it
     * @throws dev.hardmem.MemoryCorruptionError if its canary was overwritten (the memory is still wiped and
     *                                           freed, its slot quarantined)
     */
    public void free(Allocation allocation) {
        Objects.requireNonNull(allocation, "allocation");
        if (allocation.owner != this) {
            throw new IllegalArgumentException("this allocation was not made by this allocator; nothing was changed");
        }
        allocation.endLifetime(); // double free or wrong thread: throws before anything changes
        allocation.release();
    }

    /**
     * Checks every canary of every slab slot, live or free, and of every isolated secret, and checks every free
     * slot for writes after free, except the free slab slots that another living thread keeps in its magazine
     * (those get the canary check; their zeros are checked when they are next allocated). The calling thread's
     * own magazines go back to the pool first, so everything it freed is checked in full. A damaged slot another
     * thread holds is reported here and wiped and quarantined by that thread before it is used again. Secrets
     * with access-scoped protection are skipped while their pages are {@code PROT_NONE}; their canaries are
     * checked when they are freed.
     *
     * @throws dev.hardmem.MemoryCorruptionError if one is damaged (it is wiped and quarantined first)
     * @throws IllegalStateException             if this allocator is closed
     */
    public void verify() {
        heap.verify();
    }

    /** {@return a snapshot of what this allocator holds and has seen} */
    public Stats stats() {
        return heap.stats();
    }

    /**
     * Wipes, unlocks and unmaps every region of this allocator. Afterwards {@code allocate}, {@code free},
     * {@code verify}, {@code close}, and opening a {@code SecretArena} or {@code Secret} over it throw
     * {@link IllegalStateException}; {@link #policy()}, {@link #stats()} and {@link #toString()} still answer.
     *
     * <p>Unmapping wipes every free slot, and with it the evidence of a write after free: so every free slot and
     * canary is checked first, as {@link #verify()} does. The allocator is released whatever that finds, and what it
     * found is reported afterwards.
     *
     * @throws IllegalStateException         if secrets are still live, or it is already closed
     * @throws UnsupportedOperationException for {@link #shared()}, which is never closed
     * @throws dev.hardmem.MemoryCorruptionError if a free slot was written after it was freed or a canary
     *                                           overwritten (under {@link GuardPolicy.OnCorruption#HALT} the JVM
     *                                           halts instead)
     */
    @Override
    public void close() {
        heap.close();
    }

    /** {@return the engine, for tests in this package} */
    GuardedHeap heap() {
        return heap;
    }

    /** {@return a description: policy and counts, no addresses} */
    @Override
    public String toString() {
        Stats s = stats();
        return "GuardedAllocator[" + s.liveSecrets() + " live, " + s.backing() + ", lock " + policy().lock() + "]";
    }
}
