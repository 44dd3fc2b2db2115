package dev.hardmem.guarded;

import dev.hardmem.internal.alloc.region.Layout;
import dev.hardmem.testing.FreeWatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * Random sequences of allocate / free / write / read across size classes and tiers, checked against a model:
 * every allocation zeroed, aligned, disjoint from every live one, and holding exactly what was last written.
 */
class AllocatorModelTest {
    private record Live(Allocation a, byte fill) {
    }

    @Test
    void randomOperationSequencesAgreeWithTheModel() {
        GuardedAllocator alloc = GuardedAllocator.create(GuardPolicy.defaults());
        qt().withExamples(60).forAll(lists().of(integers().between(0, Integer.MAX_VALUE)).ofSizeBetween(1, 120))
                .checkAssert(ops -> {
                    List<Live> live = new ArrayList<>();
                    for (int op : ops) {
                        int kind = op % 4;
                        if (kind <= 1 || live.isEmpty()) {
                            long size = sizeFor(op >>> 2);
                            long align = 1L << ((op >>> 20) % 7);
                            Allocation a = alloc.allocate(size, align);
                            MemorySegment s = a.segment();
                            assertEquals(size, s.byteSize());
                            assertEquals(0, s.address() % align, "aligned to " + align);
                            assertTrue(FreeWatch.isZero(s), "zeroed");
                            for (Live l : live) {
                                MemorySegment o = l.a().segment();
                                boolean disjoint = s.address() + size <= o.address()
                                        || o.address() + o.byteSize() <= s.address();
                                assertTrue(disjoint || size == 0 || o.byteSize() == 0, "overlap");
                            }
                            byte fill = (byte) (op | 1);
                            s.fill(fill);
                            live.add(new Live(a, fill));
                        } else if (kind == 2) {
                            Live l = live.remove((op >>> 2) % live.size());
                            assertAllAre(l.a().segment(), l.fill());
                            l.a().close();
                        } else {
                            Live l = live.get((op >>> 2) % live.size());
                            assertAllAre(l.a().segment(), l.fill());
                        }
                    }
                    for (Live l : live) {
                        assertAllAre(l.a().segment(), l.fill());
                        l.a().close();
                    }
                    assertEquals(0, alloc.stats().liveSecrets());
                });
        alloc.verify();
        assertEquals(0, alloc.stats().canaryFailures());
        alloc.close();
    }

    private static long sizeFor(int r) {
        return switch (r % 5) {
            case 0 -> r % 17;
            case 1, 2 -> r % 4097;
            case 3 -> r % 20_000;
            default -> (long) Layout.CLASSES[r % Layout.CLASSES.length];
        };
    }

    private static void assertAllAre(MemorySegment s, byte b) {
        for (long i = 0; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != b) {
                throw new AssertionError("byte " + i + " of " + s.byteSize() + " changed");
            }
        }
    }
}
