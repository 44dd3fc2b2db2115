package dev.hardmem.internal.alloc;

import dev.hardmem.guarded.GuardedAllocator;

import java.util.function.Function;

/**
 * Lets {@code dev.hardmem} reach the internal allocator behind a public {@link GuardedAllocator} without the
 * public API naming an internal type (the JDK's "shared secrets" pattern). {@code GuardedAllocator} installs the
 * accessor when its class initialises, which has happened by the time anyone holds an instance.
 */
public final class GuardedBridge {
    private static volatile Function<GuardedAllocator, SecretAllocator> accessor;

    private GuardedBridge() {
    }

    /** Called once, by {@code GuardedAllocator}'s static initialiser. */
    public static void install(Function<GuardedAllocator, SecretAllocator> a) {
        accessor = a;
    }

    /** {@return the allocator behind {@code allocator}} */
    public static SecretAllocator allocatorOf(GuardedAllocator allocator) {
        return accessor.apply(allocator);
    }
}
