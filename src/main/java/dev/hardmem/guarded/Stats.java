package dev.hardmem.guarded;

/**
 * A snapshot of a {@link GuardedAllocator}.
 *
 * @param liveSecrets      allocations not yet freed
 * @param bytesInUse       bytes asked for by those allocations
 * @param bytesLocked      bytes of data pages locked in RAM
 * @param bytesUnlocked    bytes of data pages that could not be locked ({@link GuardPolicy.Lock#BEST_EFFORT})
 * @param mappings         memory mappings (VMAs) the allocator's regions use, at most
 * @param canaryFailures   corruptions detected (bad canaries, writes after free)
 * @param quarantinedSlots slots never to be reused because they were corrupted
 * @param slabs            slabs mapped
 * @param isolatedSlots    isolated slots mapped (in use or pooled)
 * @param backing          what backs the pages, with the reason for any fallback
 */
public record Stats(long liveSecrets, long bytesInUse, long bytesLocked, long bytesUnlocked, long mappings,
                    long canaryFailures, long quarantinedSlots, long slabs, long isolatedSlots, String backing) {
    /** Checks the components. */
    public Stats {
        java.util.Objects.requireNonNull(backing, "backing");
    }
}
