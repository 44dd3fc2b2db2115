package dev.hardmem.internal.alloc.region;

import java.lang.foreign.MemorySegment;

/**
 * A mapped region: the whole reservation (guard pages included) and its data runs, each between guard pages that
 * neighbours share: {@code [G][run 0][G][run 1][G] ... [run n-1][G]}.
 *
 * @param whole       the whole mapping
 * @param runs        the data runs, readable and writable
 * @param locked      whether the runs are locked in RAM
 * @param mappingCost the mappings (VMAs) the region adds to the process, at most
 */
public record Region(MemorySegment whole, MemorySegment[] runs, boolean locked, long mappingCost) {
}
