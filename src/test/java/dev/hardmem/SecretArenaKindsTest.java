package dev.hardmem;

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
}
