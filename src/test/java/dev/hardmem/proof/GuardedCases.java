package dev.hardmem.proof;

import dev.hardmem.guarded.Allocation;
import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.MemoryBudgetException;
import dev.hardmem.proof.Census.After;
import dev.hardmem.proof.Census.Bad;
import dev.hardmem.proof.Census.Dies;
import dev.hardmem.proof.Census.Fit;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.State;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hardmem.proof.Census.DIRECT;
import static dev.hardmem.proof.Census.IAE;
import static dev.hardmem.proof.Census.ISE;
import static dev.hardmem.proof.Census.ON_OTHER_THREAD;
import static dev.hardmem.proof.Census.OVER_MAX_ALIGNMENT;
import static dev.hardmem.proof.Census.SILENT_HUGE;
import static dev.hardmem.proof.Census.WTE;
import static dev.hardmem.proof.Census.accepted;
import static dev.hardmem.proof.Census.alignments;
import static dev.hardmem.proof.Census.all;
import static dev.hardmem.proof.Census.bad;
import static dev.hardmem.proof.Census.fresh;
import static dev.hardmem.proof.Census.number;
import static dev.hardmem.proof.Census.only;
import static dev.hardmem.proof.Census.rule;
import static dev.hardmem.proof.Census.sizes;
import static dev.hardmem.proof.Census.throwing;

/** The census cases of package {@code dev.hardmem.guarded}: allocators, allocations, tiers and policies. */
final class GuardedCases implements Census.Table {
    private static final String OVER_SLAB_ALIGNMENT = "32 (above the slab tier's 16)";
    private static final String OVER_SLAB_SIZE = "4097 (above the largest slab class)";
    private static final String FREE = "guarded.GuardedAllocator#free(Allocation)";

    private final boolean memfdSecretWorks;

    /** @param memfdSecretWorks whether this machine can back a policy that requires memfd_secret */
    GuardedCases(boolean memfdSecretWorks) {
        this.memfdSecretWorks = memfdSecretWorks;
    }

    @Override
    public Map<String, List<Bad>> numeric() {
        Map<String, List<Bad>> n = new HashMap<>();
        n.put("guarded.GuardedAllocator#allocate(long)[0]", sizes(long.class, 0, throwing(IAE,
                MemoryBudgetException.class, "documented: MemoryBudgetException when the memory cannot be locked"
                        + " (and no limit allows 2^63 bytes); IllegalArgumentException, the JDK vocabulary, also"
                        + " accepted"), false));
        n.put("guarded.GuardedAllocator#allocate(long,long)[0]",
                sizes(long.class, 0, throwing(IAE, SILENT_HUGE), false));
        n.put("guarded.GuardedAllocator#allocate(long,long)[1]", alignments(number(Kind.MISALIGNED,
                OVER_MAX_ALIGNMENT, 1L << 22, throwing(IAE, "documented: a power of two up to MAX_ALIGNMENT"))));
        List<Bad> tierSizes = new ArrayList<>(sizes(long.class, 0,
                throwing(IAE, "documented: the size does not fit the tier"), false));
        tierSizes.add(number(Kind.OUT_OF_RANGE, OVER_SLAB_SIZE, 4097L,
                accepted("documented: the isolated tier takes any size")));
        n.put("guarded.GuardedAllocator#allocate(long,long,Tier)[0]", tierSizes);
        n.put("guarded.GuardedAllocator#allocate(long,long,Tier)[1]", alignments(
                number(Kind.MISALIGNED, OVER_MAX_ALIGNMENT, 1L << 22, throwing(IAE, "documented: at most 16 for"
                        + " SLAB, at most MAX_ALIGNMENT for ISOLATED")),
                number(Kind.MISALIGNED, OVER_SLAB_ALIGNMENT, 32L,
                        accepted("documented: the isolated tier aligns up to MAX_ALIGNMENT"))));
        return n;
    }

    @Override
    public Map<Class<?>, List<Bad>> typed() {
        Map<Class<?>, List<Bad>> t = new LinkedHashMap<>();
        t.put(Allocation.class, List.of(
                bad(Kind.USED_TWICE, "a freed allocation", s -> {
                    Allocation a = (Allocation) s.valid;
                    a.close();
                    return a;
                }, throwing(ISE, "documented: 'if it was already freed'")),
                bad(Kind.OTHER_KEY, "an allocation of another allocator",
                        s -> s.track(GuardedAllocator.shared().allocate(16)),
                        throwing(IAE, "documented: 'if this allocator did not hand it out'")),
                new Bad(Kind.WRONG_THREAD, "its own allocation, freed from another thread", s -> s.valid,
                        throwing(WTE, "documented: 'if called from a thread other than the one that allocated"
                                + " it'"), null, true, false)));
        t.put(GuardedAllocator.class, List.of(bad(Kind.CLOSED, "a closed allocator", s -> {
            GuardedAllocator g = GuardedAllocator.create(GuardPolicy.defaults());
            g.close();
            return g;
        }, throwing(ISE, "javadoc silent: IllegalStateException, the JDK vocabulary for a closed resource (STYLE.md"
                + " rule 5)"))));
        t.put(GuardPolicy.class, List.of(bad(Kind.PLATFORM, "a policy requiring memfd_secret",
                s -> GuardPolicy.defaults().withBacking(GuardPolicy.Backing.MEMFD_SECRET), memfdSecretWorks
                        ? accepted("memfd_secret works on this machine")
                        : throwing(UnsupportedOperationException.class,
                        "documented: 'if the policy requires memfd_secret and it is unavailable'"))));
        return t;
    }

    @Override
    public Map<Class<?>, List<State>> states() {
        Map<Class<?>, List<State>> st = new HashMap<>();
        st.put(GuardedAllocator.class, List.of(
                new State(Kind.CLOSED, "closed", (v, s) -> {
                    GuardedAllocator g = (GuardedAllocator) fresh(v, s);
                    g.close();
                    return g;
                }, DIRECT, only("allocate", "free", "verify", "close"), throwing(ISE, "documented: 'Afterwards"
                        + " allocate, free, verify, close ... throw IllegalStateException'")),
                new State(Kind.IN_USE, "the shared default instance", (v, s) -> GuardedAllocator.shared(), DIRECT,
                        only("close"), throwing(UnsupportedOperationException.class, "documented: 'for shared()'")),
                new State(Kind.IN_USE, "with a live allocation", (v, s) -> {
                    GuardedAllocator g = (GuardedAllocator) fresh(v, s);
                    s.track(g.allocate(16));
                    return g;
                }, DIRECT, only("close"), throwing(ISE, "documented: 'if secrets are still live'"))));
        st.put(Allocation.class, List.of(
                new State(Kind.CLOSED, "freed", (v, s) -> {
                    Allocation a = (Allocation) fresh(v, s);
                    a.close();
                    return a;
                }, DIRECT, all(), throwing(ISE, "documented: 'if it is already freed'")),
                new State(Kind.WRONG_THREAD, "used from another thread", Census::fresh, ON_OTHER_THREAD,
                        all(), throwing(WTE, "documented: 'if called from a thread other than the one that"
                        + " allocated it'"))));
        return st;
    }

    @Override
    public List<Rule> rules() {
        return List.of(
                rule(FREE, "receiver", "closed", throwing(IAE, "a closed allocator has no live allocation, so the"
                        + " one given is another's: documented 'if this allocator did not hand it out'")),
                rule("guarded.GuardedAllocator#allocate(long,long,Tier)", "[0]", OVER_SLAB_SIZE, "tier=SLAB",
                        throwing(IAE, "documented: 'if size or alignment do not fit the tier'")),
                rule("guarded.GuardedAllocator#allocate(long,long,Tier)", "[1]", OVER_SLAB_ALIGNMENT, "tier=SLAB",
                        throwing(IAE, "documented: 'at most 16 for SLAB'")),
                rule("guarded.Allocation#segment()", "receiver", "freed", new Dies(ISE,
                        "documented: the segment 'dies when the allocation is freed, so a use after free throws"
                                + " IllegalStateException'")),
                rule("guarded.Allocation#tier()", "receiver", "freed", accepted("no @throws")),
                rule("guarded.Allocation#segment()", "receiver", "used from another thread", new Dies(WTE,
                        "documented: the segment 'is confined to the thread that allocated it'")),
                rule("guarded.Allocation#tier()", "receiver", "used from another thread", accepted("no @throws")));
    }

    @Override
    public Map<String, Fit> fits() {
        return Map.of(FREE, (s, args) -> {
            GuardedAllocator g = (GuardedAllocator) s.receiver;
            try {
                args[0] = s.track(g.allocate(16));
            } catch (IllegalStateException closed) {
                // A closed allocator hands out nothing: the dummy of the shared allocator stays.
            }
        });
    }

    @Override
    public Map<String, After> after() {
        return Map.of(
                "guarded.GuardedAllocator#allocate(long)", Census.ALLOCATED,
                "guarded.GuardedAllocator#allocate(long,long)", Census.ALLOCATED,
                "guarded.GuardedAllocator#allocate(long,long,Tier)", Census.ALLOCATED);
    }
}
