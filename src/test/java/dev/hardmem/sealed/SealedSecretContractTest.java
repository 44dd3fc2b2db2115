package dev.hardmem.sealed;

import dev.hardmem.Secret;
import dev.hardmem.SecretBorrowContract;
import dev.hardmem.SecretConsumer;
import dev.hardmem.SecretContract;
import dev.hardmem.SecretFunction;
import dev.hardmem.SecretKind;
import dev.hardmem.SecretUnderTest;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.FreeWatch;
import dev.hardmem.testing.Gc;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import static dev.hardmem.testing.Bytes.counting;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@link Secret}'s contract ({@link SecretContract}, {@link SecretBorrowContract}) against a sealed secret of
 * each mode, and checks what only a sealed secret can show: a dropped one leaves the vault and is reported, and
 * {@code from} refuses a source it cannot take whole, and leaves it as it was.
 */
class SealedSecretContractTest {
    /** A sealed secret of one mode, through the calls {@code Secret}'s contract names. */
    record Sealed(SealedSecret<SecretKind.Key> secret) implements SecretUnderTest {
        static SecretUnderTest.Maker maker(SealingMode mode) {
            return new SecretUnderTest.Maker() {
                @Override
                public SecretUnderTest random(long size) {
                    return new Sealed(SealedSecret.random(SecretKind.Key.class, size, mode));
                }

                @Override
                public <X extends Throwable> SecretUnderTest withContents(long size, SecretConsumer<X> writer)
                        throws X {
                    return new Sealed(SealedSecret.withContents(SecretKind.Key.class, size, mode, writer));
                }

                @Override
                public Class<?> type() {
                    return SealedSecret.class;
                }

                @Override
                public String redacted(long size) {
                    return "SealedSecret[" + size + " bytes, " + mode.name().toLowerCase(Locale.ROOT) + ", redacted]";
                }

                @Override
                public long bytesAtRest(long size) {
                    return SealedState.NONCE + size + SealedState.TAG;
                }
            };
        }

        @Override
        public <R, X extends Throwable> R read(SecretFunction<? extends R, X> reader) throws X {
            return secret.read(reader);
        }

        @Override
        public <X extends Throwable> void write(SecretConsumer<X> writer) throws X {
            secret.write(writer);
        }

        @Override
        public boolean contentEquals(SecretUnderTest other) {
            return secret.contentEquals(((Sealed) other).secret);
        }

        @Override
        public byte[] insecureCopyToHeap() {
            return secret.insecureCopyToHeap();
        }

        @Override
        public long size() {
            return secret.size();
        }

        @Override
        public Class<?> kind() {
            return secret.kind();
        }

        @Override
        public void close() {
            secret.close();
        }

        @Override
        public void destroy() {
            secret.destroy();
        }

        @Override
        public boolean isDestroyed() {
            return secret.isDestroyed();
        }

        @Override
        public Object unwrap() {
            return secret;
        }
    }

    @Nested
    class CofferContract extends SecretContract {
        @Override
        protected SecretUnderTest.Maker maker() {
            return Sealed.maker(SealingMode.COFFER);
        }
    }

    @Nested
    class CofferBorrows extends SecretBorrowContract {
        @Override
        protected SecretUnderTest.Maker maker() {
            return Sealed.maker(SealingMode.COFFER);
        }
    }

    @Nested
    class ShieldedContract extends SecretContract {
        @Override
        protected SecretUnderTest.Maker maker() {
            return Sealed.maker(SealingMode.SHIELDED);
        }
    }

    @Nested
    class ShieldedBorrows extends SecretBorrowContract {
        @Override
        protected SecretUnderTest.Maker maker() {
            return Sealed.maker(SealingMode.SHIELDED);
        }
    }

    // ---------------------------------------------------------------- what only a sealed secret shows

    /** Makes a sealed secret, forgets it, and {@return a weak reference to its state} */
    private static WeakReference<SealedState> dropOne(SealingMode mode) {
        SealedSecret<SecretKind.Key> s = SealedSecret.random(SecretKind.Key.class, 32, mode);
        return new WeakReference<>(s.stateForTests());
    }

    @ParameterizedTest
    @EnumSource(SealingMode.class)
    void aDroppedSealedSecretLeavesTheVault(SealingMode mode) throws InterruptedException {
        // The vault holds every live state strongly; only the cleanup that frees the storage lets go of it.
        WeakReference<SealedState> state = dropOne(mode);
        assertTrue(Gc.awaitCollected(state, Duration.ofSeconds(10)), "the vault still holds the dropped secret");
    }

    @ParameterizedTest
    @EnumSource(SealingMode.class)
    void fromRefusesASourceThisThreadHasOpenAndLeavesItWhole(SealingMode mode) {
        try (Secret<SecretKind.Key> source = Secret.fromBytesWiping(SecretKind.Key.class, counting(32))) {
            int live = Vault.live();
            try (FreeWatch watch = FreeWatch.start()) {
                assertThrows(IllegalStateException.class, () -> source.write(m -> SealedSecret.from(source, mode)));
                assertThrows(IllegalStateException.class, () -> source.read(m -> SealedSecret.from(source, mode)));
                assertEquals(2, watch.blocks(), "the two sealed secrets begun were freed");
                assertEquals(0, watch.dirtyBlocks());
            }
            assertEquals(live, Vault.live(), "and left the vault");
            assertFalse(source.isDestroyed());
            assertArrayEquals(counting(32), source.insecureCopyToHeap());
        }
        Secret<SecretKind.Key> closed = Secret.random(SecretKind.Key.class, 32);
        closed.close();
        assertThrows(IllegalStateException.class, () -> SealedSecret.from(closed, mode));
    }


    // ---------------------------------------------------------------- the warning, seen from a child JVM

    /** Child JVM: leaks one sealed secret of each mode, then waits until both are freed and reported. */
    public static final class LeakingMain {
        static void leakHere(SealingMode mode) {
            SealedSecret.random(SecretKind.Key.class, 16, mode);
        }

        public static void main(String[] args) throws InterruptedException {
            for (SealingMode mode : SealingMode.values()) {
                // Each mode's key is made on first use (its making frees a block or two): before the watch.
                SealedSecret.random(SecretKind.Key.class, 16, mode).close();
            }
            try (FreeWatch watch = FreeWatch.start()) {
                for (SealingMode mode : SealingMode.values()) {
                    leakHere(mode);
                }
                Gc.awaitUntil(() -> watch.blocks() >= 2 && Vault.live() == 0, Duration.ofSeconds(20));
                Gc.runFor(Duration.ofSeconds(1)); // the report follows the free, on the watcher's thread
                System.out.println("freed=" + watch.blocks() + " dirty=" + watch.dirtyBlocks() + " live="
                        + Vault.live());
            }
        }
    }

    @Test
    void aDroppedSealedSecretIsWipedFreedAndReportedWithWhereItWasMade() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Ddev.hardmem.leakDetection=stack"),
                LeakingMain.class);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("freed=2 dirty=0 live=0", r.stdout().strip(), r.output());
        String err = r.stderr();
        assertEquals(2, err.split("SealedSecret was not closed", -1).length - 1, r.output());
        assertTrue(err.contains("at dev.hardmem.sealed.SealedSecretContractTest$LeakingMain.leakHere("), r.output());
    }
}
