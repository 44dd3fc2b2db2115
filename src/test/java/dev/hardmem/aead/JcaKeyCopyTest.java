package dev.hardmem.aead;

import dev.hardmem.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The claim of "What JCA copies" in {@link SealingKey}: once a call is over, the key is nowhere on the Java heap,
 * not even in unreachable objects the garbage collector has not reclaimed yet. A heap dump of a child JVM is
 * searched for the key's bytes and for its first AES round keys; the same work done through plain JCA, with the
 * caller's own copy wiped at once, leaves its key there, which shows that the search finds what JCA leaves.
 */
class JcaKeyCopyTest {
    @Test
    void afterSealingAndOpeningTheKeyIsNotOnTheHeap() throws Exception {
        // A young generation large enough that no collection runs before the dump: the dump includes unreachable
        // objects, and a collection would reclaim the control's copies, which prove that the search works.
        ChildJvm.Result r = ChildJvm.run(List.of(), List.of("-Xmx160m", "-Xmn128m", "-XX:+UseSerialGC"),
                HeapKeySearch.class, "heap.hprof");
        assertEquals(0, r.exitCode(), r.output());
        String[] lines = r.stdout().strip().split("\n");
        String[] key = lines[0].split(" ");
        String[] control = lines[1].split(" ");
        assertEquals("key", key[0], r.output());
        assertEquals("0", key[1], "raw key bytes on the heap\n" + r.output());
        assertEquals("0", key[2], "AES round keys on the heap\n" + r.output());
        assertEquals("collections 0", lines[2], "nothing was collected before the dump\n" + r.output());
        assertTrue(Integer.parseInt(control[1]) > 0, "the search finds plain JCA's copies\n" + r.output());
    }
}
