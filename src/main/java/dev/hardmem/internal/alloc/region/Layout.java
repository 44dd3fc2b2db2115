package dev.hardmem.internal.alloc.region;

import dev.hardmem.internal.os.Memory;

/**
 * Every offset of the guarded allocator, computed in one place. Diagrams with byte offsets are in
 * {@code docs/guarded-allocator.md}.
 *
 * <pre>
 * slab:      [guard page][slot 0 | canary][slot 1 | canary] ... [slot n-1 | canary][pad][guard page]
 *                         &lt;-- class --&gt;&lt;16&gt;
 * isolated:  [guard page][zero pad][canary 16][user bytes .................][guard page]
 *                                              user end == data end when size is a multiple of the alignment
 * </pre>
 */
public final class Layout {
    /** Bytes of a canary. */
    public static final int CANARY = 16;
    /** Alignment of every slab slot (classes and strides are multiples of it). */
    public static final int SLAB_ALIGNMENT = 16;
    /** The largest slab size class; larger secrets are isolated. */
    public static final int MAX_SLAB_CLASS = 4096;
    /** Size classes of the slab tier. */
    public static final int[] CLASSES = {16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096};
    /** Data bytes a slab aims for; classes whose slots would be fewer than {@link #MIN_SLOTS} get more. */
    public static final long SLAB_TARGET_BYTES = 64 * 1024;
    public static final int MIN_SLOTS = 32;
    /** Isolated slots mapped at once for a given page count: guard pages are shared between neighbours. */
    public static final long ISOLATED_BATCH_BYTES = 64 * 1024;

    public static final long PAGE = Memory.pageSize();
    /**
     * The largest alignment of an isolated secret: 2 MiB. Above a page, a slot is mapped alone, with up to this much
     * more address space reserved (never locked) to place it.
     */
    public static final long MAX_ALIGNMENT = 1L << 21;

    private Layout() {
    }

    /** {@return the index in {@link #CLASSES} of the smallest class that holds {@code size} bytes, or -1} */
    public static int classIndex(long size) {
        return size < 0 || size > MAX_SLAB_CLASS ? -1 : CLASS_OF[(int) (size + 15) >>> 4];
    }

    /** The class index for every size rounded up to 16 bytes: one table load instead of a search. */
    private static final byte[] CLASS_OF = new byte[MAX_SLAB_CLASS / 16 + 1];

    static {
        int c = 0;
        for (int k = 0; k < CLASS_OF.length; k++) {
            while (k * 16 > CLASSES[c]) {
                c++;
            }
            CLASS_OF[k] = (byte) c;
        }
    }

    /** {@return bytes from one slot's start to the next: the class and its canary} */
    public static long stride(int classSize) {
        return classSize + CANARY;
    }

    /** {@return data bytes of one slab of {@code classSize} (a whole number of pages)} */
    public static long slabDataBytes(int classSize) {
        long bytes = Math.max(SLAB_TARGET_BYTES, MIN_SLOTS * stride(classSize));
        return roundUpToPage(bytes);
    }

    /** {@return slots in one slab of {@code classSize}} */
    public static int slabSlots(int classSize) {
        return (int) (slabDataBytes(classSize) / stride(classSize));
    }

    /** {@return offset of slot {@code i} in its slab's data} */
    public static long slotOffset(int classSize, int i) {
        return i * stride(classSize);
    }

    /** {@return offset of the canary after slot {@code i}} */
    public static long slabCanaryOffset(int classSize, int i) {
        return slotOffset(classSize, i) + classSize;
    }

    /** {@return bytes an isolated secret needs from the start of its canary to the end of its data pages} */
    public static long isolatedSpan(long size, long alignment) {
        return CANARY + roundUp(size, alignment);
    }

    /** {@return data pages of an isolated slot for {@code size} bytes at {@code alignment}} */
    public static long isolatedPages(long size, long alignment) {
        return roundUpToPage(isolatedSpan(size, Math.min(alignment, PAGE))) / PAGE;
    }

    /**
     * {@return offset of the user bytes in an isolated slot's data run of {@code runBytes}} Aligned above a page, it
     * is always one page (the canary's), and the pool places the run so that this offset is aligned.
     */
    public static long isolatedUserOffset(long runBytes, long size, long alignment) {
        long off = runBytes - size;
        return off & -Math.min(alignment, PAGE);
    }

    /** {@return how many isolated slots of {@code pages} data pages to map at once} */
    public static int isolatedBatch(long pages) {
        return (int) Math.max(1, ISOLATED_BATCH_BYTES / ((pages + 1) * PAGE));
    }

    /** {@return total bytes of a region of {@code n} runs of {@code runBytes} between guard pages} */
    public static long regionBytes(int n, long runBytes) {
        return (n + 1) * PAGE + n * runBytes;
    }

    /** {@return offset of data run {@code i} in such a region} */
    public static long runOffset(int i, long runBytes) {
        return PAGE + i * (runBytes + PAGE);
    }

    public static long roundUpToPage(long n) {
        return roundUp(n, PAGE);
    }

    public static long roundUp(long n, long alignment) {
        return (n + alignment - 1) & -alignment;
    }
}
