package dev.hardmem.sealed;

import dev.hardmem.SecretKind;
import dev.hardmem.guarded.Stats;
import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A million live 32-byte sealed secrets (coffer mode) in one process, in a child JVM with a 2 GiB heap: the process
 * stays under the default {@code vm.max_map_count} (65,530 mappings); a sample reads back; one {@code rekey()}
 * moves them all, and the sample still reads the same from changed storage under the next epoch; closing them all
 * brings the vault back to where it was. The times are printed in one {@code sealed-million key=value ...} line and
 * written to {@code target/sealed-million.txt}; none is asserted.
 */
class MillionSealedSecretsTest {
    private static final int COUNT = 1_000_000;
    private static final int SAMPLE_EVERY = 997;
    private static final long DEFAULT_MAX_MAP_COUNT = 65_530;

    /** The child: checks what it can itself, throws on the first failure, prints its numbers in one line. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            int baseline = Vault.live();
            long mapsBefore = mappings();
            @SuppressWarnings({"unchecked", "rawtypes"})
            SealedSecret<SecretKind.Key>[] secrets = new SealedSecret[COUNT];
            long t0 = System.nanoTime();
            for (int i = 0; i < COUNT; i++) {
                secrets[i] = SealedSecret.random(SecretKind.Key.class, 32);
            }
            long t1 = System.nanoTime();
            long maps = mappings();
            check(Vault.live() == baseline + COUNT, "live " + Vault.live());
            Stats storage = Vault.storage().stats();

            int samples = (COUNT + SAMPLE_EVERY - 1) / SAMPLE_EVERY;
            byte[][] contents = new byte[samples][];
            byte[][] stored = new byte[samples][];
            for (int j = 0; j < samples; j++) {
                SealedSecret<SecretKind.Key> s = secrets[j * SAMPLE_EVERY];
                contents[j] = s.insecureCopyToHeap();
                stored[j] = storageOf(s);
            }
            long epoch = epochOf(secrets[0]);

            long t2 = System.nanoTime();
            long moved = SealedSecret.rekey();
            long t3 = System.nanoTime();
            check(moved == COUNT, "rekey moved " + moved + " of " + COUNT);
            for (int j = 0; j < samples; j++) {
                SealedSecret<SecretKind.Key> s = secrets[j * SAMPLE_EVERY];
                check(Arrays.equals(contents[j], s.insecureCopyToHeap()), "secret " + j * SAMPLE_EVERY + " changed");
                check(!Arrays.equals(stored[j], storageOf(s)), "storage of " + j * SAMPLE_EVERY + " did not move");
                check(epochOf(s) == epoch + 1, "epoch of " + j * SAMPLE_EVERY + " is " + epochOf(s));
            }

            long t4 = System.nanoTime();
            for (SealedSecret<SecretKind.Key> s : secrets) {
                s.close();
            }
            long t5 = System.nanoTime();
            check(Vault.live() == baseline, "live after closing all: " + Vault.live() + ", was " + baseline);
            check(Vault.storage().stats().liveSecrets() == 0, "storage still holds " + Vault.storage().stats());

            String line = String.format("sealed-million count=%d create_ms=%d create_us_each=%.2f maps_before=%d"
                            + " maps=%d max_map_count=%d storage_mappings_at_most=%d storage_slabs=%d storage_bytes_locked=%d"
                            + " rekey_ms=%d rekey_us_each=%.2f moved=%d close_ms=%d samples=%d heap_used_mb=%d",
                    COUNT, ms(t1 - t0), (t1 - t0) / 1e3 / COUNT, mapsBefore, maps, maxMapCount(),
                    storage.mappings(), storage.slabs(), storage.bytesLocked(), ms(t3 - t2),
                    (t3 - t2) / 1e3 / COUNT, moved, ms(t5 - t4), samples,
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
            System.out.println(line);
        }

        private static byte[] storageOf(SealedSecret<SecretKind.Key> s) {
            return s.stateForTests().insecureCopyOfStorage();
        }

        private static long epochOf(SealedSecret<SecretKind.Key> s) {
            Lock r = s.stateForTests().lock.readLock();
            r.lock();
            try {
                return s.stateForTests().key().epoch();
            } finally {
                r.unlock();
            }
        }

        private static long mappings() throws IOException {
            return Files.readAllLines(Path.of("/proc/self/maps")).size();
        }

        private static long maxMapCount() throws IOException {
            // Files.readString reads a /proc file short (its size is 0): read it as lines.
            return Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/max_map_count")).getFirst().strip());
        }

        private static long ms(long nanos) {
            return nanos / 1_000_000;
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what);
            }
        }
    }

    @Test
    void aMillionLiveSealedSecretsFitUnderTheDefaultMapCountAndRekeyTogether() throws Exception {
        assumeTrue(SealedSecret.isAvailable(), "libsodium is missing");
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx2g", "-XX:+UseParallelGC"), Child.class);
        assertEquals(0, r.exitCode(), r.output());
        String line = r.stdout().lines().filter(l -> l.startsWith("sealed-million ")).findFirst()
                .orElseThrow(() -> new AssertionError("no result line\n" + r.output()));
        System.out.println(line);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "sealed-million.txt"), line + "\n");
        Map<String, String> v = new HashMap<>();
        for (String kv : line.substring(line.indexOf(' ') + 1).split(" ")) {
            v.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        long maps = Long.parseLong(v.get("maps"));
        assertTrue(maps < DEFAULT_MAX_MAP_COUNT, maps + " mappings for a million sealed secrets\n" + line);
        assertEquals(COUNT, Long.parseLong(v.get("moved")), line);
    }
}
