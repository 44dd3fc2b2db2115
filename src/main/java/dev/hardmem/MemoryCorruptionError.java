package dev.hardmem;

/**
 * Memory that holds or held a secret was written where no one may write: a canary next to a secret was
 * overwritten (a buffer overrun into or out of it), or a freed slot was written after it was freed.
 *
 * <p>This is an {@link Error}, not an exception: the process has a memory-safety bug, possibly an attack in
 * progress, and code should not try to carry on as if nothing happened. By the time it is thrown, the damaged
 * slot has been wiped and quarantined: it is never handed out again.
 */
public final class MemoryCorruptionError extends Error {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message what was found where, without any secret bytes or addresses
     */
    public MemoryCorruptionError(String message) {
        super(java.util.Objects.requireNonNull(message, "message"));
    }
}
