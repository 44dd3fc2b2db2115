package dev.hardmem;

import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import org.junit.jupiter.api.Nested;

/** Runs the {@link SecretArenaContract} against every kind of arena. */
class SecretArenaKindsTest {
    @Nested
    class Confined extends SecretArenaContract {
        @Override
        SecretArena open() {
            return SecretArena.ofConfined();
        }

        @Override
        boolean shared() {
            return false;
        }
    }

    @Nested
    class Shared extends SecretArenaContract {
        @Override
        SecretArena open() {
            return SecretArena.ofShared();
        }

        @Override
        boolean shared() {
            return true;
        }
    }

    @Nested
    class ConfinedUnguarded extends SecretArenaContract {
        @Override
        SecretArena open() {
            return SecretArena.ofConfinedUnguarded();
        }

        @Override
        boolean shared() {
            return false;
        }
    }

    @Nested
    class SharedUnguarded extends SecretArenaContract {
        @Override
        SecretArena open() {
            return SecretArena.ofSharedUnguarded();
        }

        @Override
        boolean shared() {
            return true;
        }
    }

    /** Isolated secrets from an allocator of their own: every arena factory is covered. */
    private static final GuardedAllocator ISOLATED = GuardedAllocator.create(GuardPolicy.defaults()
            .withIsolatedOnly(true));

    @Nested
    class ConfinedOnAnAllocator extends SecretArenaContract {
        @Override
        SecretArena open() {
            return SecretArena.ofConfined(ISOLATED);
        }

        @Override
        boolean shared() {
            return false;
        }
    }

    @Nested
    class SharedOnAnAllocator extends SecretArenaContract {
        @Override
        SecretArena open() {
            return SecretArena.ofShared(ISOLATED);
        }

        @Override
        boolean shared() {
            return true;
        }
    }
}
