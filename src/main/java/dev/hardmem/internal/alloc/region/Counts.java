package dev.hardmem.internal.alloc.region;

/**
 * What a tier holds, summed on demand.
 *
 * @param live   secrets handed out and not yet freed
 * @param bytes  bytes asked for by those secrets
 * @param mapped slabs (slab tier) or slots (isolated tier) mapped
 */
public record Counts(long live, long bytes, long mapped) {
    /** Nothing. */
    public static final Counts ZERO = new Counts(0, 0, 0);

    /** {@return the sum of these counts and {@code other}} */
    public Counts plus(Counts other) {
        return new Counts(live + other.live, bytes + other.bytes, mapped + other.mapped);
    }
}
