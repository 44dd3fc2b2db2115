package dev.hardmem.guarded;

/**
 * An allocation would cross a limit of the operating system: the bytes it may lock ({@code RLIMIT_MEMLOCK}), the
 * mappings it may have ({@code vm.max_map_count}), or the RAM it may use (physical memory, or its memory cgroup's
 * limit if smaller: a secret larger than that is refused under every lock policy). Thrown before the operating
 * system is asked, or when it refuses to lock, with the numbers and how to raise the limit. Nothing already
 * allocated is affected.
 */
public final class MemoryBudgetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the limit, the numbers, and how to raise it
     */
    public MemoryBudgetException(String message) {
        super(java.util.Objects.requireNonNull(message, "message"));
    }
}
