package dev.hardmem.sealed;

import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.MemoryScan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The scan proof. A child JVM holds four random 32-byte patterns: one in a coffer-mode and one in a shielded-mode
 * {@link SealedSecret}, one in an ordinary {@link Secret} and one in a plain {@code byte[]} (the controls). It reads
 * every readable mapping of itself through {@code /proc/self/mem} ({@link MemoryScan}), Java heap included, and
 * reports where each pattern lies:
 * <ol>
 *   <li>at rest, the sealed patterns are nowhere, and both controls are found (the scan sees guarded memory and the
 *       heap);</li>
 *   <li>while another thread is inside {@code read} of a sealed secret, parked in its reader until the scan ends,
 *       that secret's pattern is found exactly once: at the address of the segment the reader was given (the
 *       thread's scratch slot), and nowhere else;</li>
 *   <li>once the read has returned, it is nowhere again.</li>
 * </ol>
 * The child never holds a pattern in plain form outside the secrets (and the {@code byte[]} control): it keeps them
 * masked and writes the plain bytes one at a time inside the writer, so the scan cannot find a copy of its own.
 */
class SealedScanTest {
    private static final List<String> SEALED = List.of("coffer", "shielded");
    private static Map<String, String> report;
    private static String output;

    /** The child: prints {@code phase name hits} lines, hits as hex addresses separated by commas, or {@code -}. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Map<String, byte[]> masked = new LinkedHashMap<>();
            for (String name : List.of("coffer", "shielded", "secret", "heap")) {
                masked.put(name, MemoryScan.newMaskedPattern());
            }
            Map<String, SealedSecret<SecretKind.Key>> sealed = new HashMap<>();
            sealed.put("coffer", SealedSecret.withContents(SecretKind.Key.class, MemoryScan.LENGTH, SealingMode.COFFER,
                    s -> MemoryScan.unmaskInto(masked.get("coffer"), s)));
            sealed.put("shielded", SealedSecret.withContents(SecretKind.Key.class, MemoryScan.LENGTH,
                    SealingMode.SHIELDED, s -> MemoryScan.unmaskInto(masked.get("shielded"), s)));
            Secret<SecretKind.Key> secret = Secret.withContents(SecretKind.Key.class, MemoryScan.LENGTH,
                    s -> MemoryScan.unmaskInto(masked.get("secret"), s));
            byte[] heap = MemoryScan.insecureUnmasked(masked.get("heap"));
            // Used on this thread first: reads and a write that changes nothing, through this thread's scratch slot.
            for (SealedSecret<SecretKind.Key> s : sealed.values()) {
                s.read(seg -> seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
                s.write(seg -> seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0,
                        seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)));
            }

            print("atRest", MemoryScan.scan(masked));
            for (String mode : SEALED) {
                AtomicLong at = new AtomicLong();
                AtomicLong size = new AtomicLong();
                CountDownLatch inside = new CountDownLatch(1);
                CountDownLatch scanned = new CountDownLatch(1);
                Thread reader = Thread.ofPlatform().name("reader-" + mode).start(() -> sealed.get(mode).read(seg -> {
                    at.set(seg.address());
                    size.set(seg.byteSize());
                    inside.countDown();
                    await(scanned);
                    return null;
                }));
                await(inside);
                MemoryScan.Result during = MemoryScan.scan(masked);
                scanned.countDown();
                reader.join();
                print("during." + mode, during);
                System.out.printf("during.%s reader %x %d%n", mode, at.get(), size.get());
            }
            print("afterRead", MemoryScan.scan(masked));
            Reference.reachabilityFence(secret);
            Reference.reachabilityFence(heap);
            Reference.reachabilityFence(sealed);
        }

        private static void await(CountDownLatch latch) {
            try {
                if (!latch.await(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("timed out");
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        private static void print(String phase, MemoryScan.Result r) {
            StringBuilder b = new StringBuilder();
            r.hits().forEach((name, hits) -> {
                List<String> hex = new ArrayList<>();
                hits.forEach(h -> hex.add(Long.toHexString(h)));
                b.append(phase).append(' ').append(name).append(' ')
                        .append(hex.isEmpty() ? "-" : String.join(",", hex)).append('\n');
            });
            b.append(phase).append(" searched ").append(r.bytesRead()).append(" bytes in ").append(r.mappings())
                    .append(" runs\n");
            b.append(phase).append(" skipped ").append(String.join("; ", r.unreadable())).append('\n');
            System.out.print(b);
        }
    }

    @BeforeAll
    static void scanInAChild() throws Exception {
        assumeTrue(SealedSecret.isAvailable(), "libsodium is missing");
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx64m", "-XX:+UseSerialGC"), Child.class);
        output = r.output();
        assertEquals(0, r.exitCode(), output);
        report = new HashMap<>();
        for (String line : r.stdout().split("\n")) {
            String[] f = line.split(" ", 3);
            if (f.length == 3) {
                report.put(f[0] + " " + f[1], f[2]);
            }
        }
        System.out.println(output);
    }

    private static List<Long> hits(String phase, String name) {
        String v = report.get(phase + " " + name);
        assertTrue(v != null, "no " + phase + " " + name + " in\n" + output);
        List<Long> hits = new ArrayList<>();
        if (!v.equals("-")) {
            for (String h : v.split(",")) {
                hits.add(Long.parseUnsignedLong(h, 16));
            }
        }
        return hits;
    }

    @Test
    void atRestTheSealedPatternsAreInNoReadableMapping() {
        for (String mode : SEALED) {
            assertEquals(List.of(), hits("atRest", mode), mode + " was found at rest\n" + output);
        }
    }

    @Test
    void theSameScanFindsAnOrdinarySecretAndAHeapArray() {
        for (String phase : List.of("atRest", "during.coffer", "during.shielded", "afterRead")) {
            assertFalse(hits(phase, "secret").isEmpty(), "the Secret control was not found " + phase + "\n" + output);
            assertFalse(hits(phase, "heap").isEmpty(), "the byte[] control was not found " + phase + "\n" + output);
        }
    }

    @Test
    void duringAReadThePatternIsOnlyInTheReadersScratchSlot() {
        for (String mode : SEALED) {
            String[] reader = report.get("during." + mode + " reader").split(" ");
            long at = Long.parseUnsignedLong(reader[0], 16);
            assertEquals(MemoryScan.LENGTH, Long.parseLong(reader[1]));
            assertEquals(List.of(at), hits("during." + mode, mode),
                    mode + ": expected once, at the reader's segment " + reader[0] + "\n" + output);
            for (String other : SEALED) {
                if (!other.equals(mode)) {
                    assertEquals(List.of(), hits("during." + mode, other), other + " found\n" + output);
                }
            }
        }
    }

    /**
     * The scan read everything readable but what {@code /proc/PID/mem} refuses to anyone: the vDSO's data and
     * {@code memfd_secret(2)} pages (where the process keys live), which are out of the kernel's direct map.
     */
    @Test
    void theScanSkipsNothingButWhatTheKernelRefusesToAnyone() {
        for (String phase : List.of("atRest", "during.coffer", "during.shielded", "afterRead")) {
            String skipped = report.get(phase + " skipped");
            assertTrue(skipped != null, output);
            for (String s : skipped.split("; ")) {
                assertTrue(s.isEmpty() || s.startsWith("[vvar") || s.startsWith("/secretmem (deleted) (")
                                || s.startsWith(MemoryScan.GONE + " ("),
                        phase + " skipped " + s + "\n" + output);
            }
            long searched = Long.parseLong(report.get(phase + " searched").split(" ")[0]);
            assertTrue(searched > 64L << 20, phase + " searched only " + searched + " bytes\n" + output);
        }
    }

    @Test
    void afterTheReadReturnsThePatternIsGoneAgain() {
        for (String mode : SEALED) {
            assertEquals(List.of(), hits("afterRead", mode), mode + " was found after the read\n" + output);
        }
    }
}
