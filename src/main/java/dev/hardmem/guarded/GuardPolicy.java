package dev.hardmem.guarded;

import java.util.Objects;

/**
 * How a {@link GuardedAllocator} behaves where the machine or the program leaves it a choice.
 *
 * <p>{@link #defaults()}: lock {@link Lock#REQUIRE REQUIRE}, backing {@link Backing#ANONYMOUS ANONYMOUS}, slab
 * for small secrets, no access-scoped protection, corruption {@link OnCorruption#THROW THROW}.
 *
 * @param lock             what to do when memory cannot be locked
 * @param backing          where the pages come from
 * @param isolatedOnly     whether every secret gets the isolated tier (no slabs)
 * @param accessProtection whether isolated {@code Secret}s are {@code PROT_NONE} outside {@code read}/{@code write}
 * @param onCorruption     what a detected corruption does
 */
public record GuardPolicy(Lock lock, Backing backing, boolean isolatedOnly, boolean accessProtection,
                          OnCorruption onCorruption) {

    /** What happens when pages cannot be locked into RAM. */
    public enum Lock {
        /**
         * The allocation fails with {@link MemoryBudgetException} naming {@code RLIMIT_MEMLOCK}, its value, how much
         * is locked and how to raise it. The default: a secret that could be swapped to disk is a silent loss of a
         * guarantee, and a loud failure at the first allocation is easy to fix ({@code ulimit -l}).
         */
        REQUIRE,
        /** The allocation goes on unlocked; the bytes are counted in {@link Stats#bytesUnlocked()} and by doctor. */
        BEST_EFFORT
    }

    /** Where the pages of secrets come from. */
    public enum Backing {
        /** Private anonymous memory: locked, not dumped, wiped on fork. */
        ANONYMOUS,
        /**
         * {@code memfd_secret(2)} (Linux 5.14+, on by default from 6.5): the pages also leave the kernel's direct
         * map, so even kernel code (and most kernel exploits) cannot read them. Fails with the reason where it is
         * unavailable.
         */
        MEMFD_SECRET,
        /** {@code memfd_secret(2)} where available, otherwise anonymous memory; {@link Stats#backing()} says which. */
        MEMFD_SECRET_OR_ANONYMOUS
    }

    /** What a detected corruption (bad canary, write after free) does. */
    public enum OnCorruption {
        /** Wipe and quarantine the slot, then throw {@link dev.hardmem.MemoryCorruptionError}. */
        THROW,
        /** Wipe and quarantine the slot, print the reason to standard error, and halt the JVM (as libsodium does). */
        HALT
    }

    /** Checks the components. */
    public GuardPolicy {
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(backing, "backing");
        Objects.requireNonNull(onCorruption, "onCorruption");
    }

    /** {@return the default policy} */
    public static GuardPolicy defaults() {
        return new GuardPolicy(Lock.REQUIRE, Backing.ANONYMOUS, false, false, OnCorruption.THROW);
    }

    /**
     * {@return this policy with {@code lock}}
     *
     * @param lock the lock policy
     */
    public GuardPolicy withLock(Lock lock) {
        return new GuardPolicy(lock, backing, isolatedOnly, accessProtection, onCorruption);
    }

    /**
     * {@return this policy with {@code backing}}
     *
     * @param backing the backing
     */
    public GuardPolicy withBacking(Backing backing) {
        return new GuardPolicy(lock, backing, isolatedOnly, accessProtection, onCorruption);
    }

    /**
     * {@return this policy with every secret isolated (or not)}
     *
     * @param isolatedOnly whether to skip slabs
     */
    public GuardPolicy withIsolatedOnly(boolean isolatedOnly) {
        return new GuardPolicy(lock, backing, isolatedOnly, accessProtection, onCorruption);
    }

    /**
     * {@return this policy with access-scoped protection on or off} With it on, every {@code Secret} is isolated
     * and its pages are {@code PROT_NONE} except inside {@code read} (read-only) and {@code write} (read-write).
     * Arena segments are not protected: they are accessible for the arena's whole life.
     *
     * @param accessProtection whether to protect
     */
    public GuardPolicy withAccessProtection(boolean accessProtection) {
        return new GuardPolicy(lock, backing, isolatedOnly, accessProtection, onCorruption);
    }

    /**
     * {@return this policy with {@code onCorruption}}
     *
     * @param onCorruption what corruption does
     */
    public GuardPolicy withOnCorruption(OnCorruption onCorruption) {
        return new GuardPolicy(lock, backing, isolatedOnly, accessProtection, onCorruption);
    }
}
