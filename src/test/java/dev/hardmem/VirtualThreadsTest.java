package dev.hardmem;

import dev.hardmem.testing.FreeWatch;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ten thousand virtual threads, each opening, using and closing secret arenas and secrets at once: every one
 * completes, every freed byte is zero, and no virtual thread ever blocks while pinned to its carrier. JFR's
 * {@code jdk.VirtualThreadPinned} event (recorded with no threshold) is what the JDK emits whenever one does, for
 * whatever reason (a monitor, a native frame, a class initialiser on the stack); a downcall pins only while it runs,
 * and cannot block in between.
 */
class VirtualThreadsTest {
    private static final int THREADS = 10_000;

    @Test
    void tenThousandVirtualThreadsOpenUseAndCloseArenasWithoutPinningOutsideNativeCalls() throws Exception {
        // Classes initialised first: a thread blocked while another initialises a class it needs is pinned, once.
        try (SecretArena arena = SecretArena.ofShared(); Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class,
                32)) {
            arena.allocate(32);
            key.read(k -> k.get(ValueLayout.JAVA_BYTE, 0));
        }
        try (SecretArena arena = SecretArena.ofConfined()) {
            arena.allocate(32);
        }
        Path jfr = Files.createTempFile("hardmem-pinned", ".jfr");
        List<RecordedEvent> pinned = new ArrayList<>();
        AtomicLong checksum = new AtomicLong();
        try (Recording recording = new Recording(); FreeWatch watch = FreeWatch.start()) {
            recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            recording.start();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < THREADS; i++) {
                    long n = i;
                    pool.submit(() -> {
                        try (SecretArena arena = even(n) ? SecretArena.ofConfined() : SecretArena.ofShared()) {
                            MemorySegment s = arena.allocate(32);
                            s.set(ValueLayout.JAVA_LONG, 0, n);
                            Thread.yield(); // let another virtual thread run on this carrier meanwhile
                            checksum.addAndGet(s.get(ValueLayout.JAVA_LONG, 0));
                        }
                        try (Secret<SecretKind.Key> key = Secret.random(SecretKind.Key.class, 32)) {
                            key.read(k -> k.get(ValueLayout.JAVA_BYTE, 0));
                        }
                    });
                }
            }
            recording.stop();
            recording.dump(jfr);
            // At least: the leak watcher may free what other tests leaked meanwhile.
            assertTrue(watch.blocks() >= 2L * THREADS, "every arena segment and every secret freed");
            assertEquals(0, watch.dirtyBlocks(), "each of them wiped");
        }
        assertEquals((long) THREADS * (THREADS - 1) / 2, checksum.get(), "every thread did its work");
        try {
            pinned.addAll(RecordingFile.readAllEvents(jfr));
        } finally {
            Files.deleteIfExists(jfr);
        }
        assertEquals(List.of(), pinned.stream().map(e -> (e.hasField("pinnedReason") ? e.getString("pinnedReason") : "pinned") + " at "
                + e.getStackTrace().getFrames().stream().map(VirtualThreadsTest::frame).toList()).toList(),
                "virtual threads blocked while pinned");
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static boolean even(long n) {
        return (n & 1) == 0;
    }
}
