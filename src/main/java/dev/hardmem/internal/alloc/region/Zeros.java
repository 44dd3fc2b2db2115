package dev.hardmem.internal.alloc.region;

import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Memory;
import dev.hardmem.internal.os.Residency;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Zeroing memory the allocator owns, and checking that it is still zero (a write after free shows as a non-zero
 * byte). Every access goes through {@link Memory#EVERYWHERE} at a computed address, which the JIT compiles to
 * plain loads and stores.
 *
 * <p>From {@value #SPARSE} bytes on, both skip the pages the kernel says hold nothing ({@link Residency}: neither
 * resident nor swapped out, so never written since they were mapped, and zero by the kernel's contract). A large
 * secret whose owner touched a few pages then costs those pages only: reading the rest would map the kernel's zero
 * page into each, and writing it would give each a page of RAM, which under a memory cgroup can be more than the
 * process may have. Below that size the question costs more than it can save.
 */
public final class Zeros {
    private static final MemorySegment RAW = Memory.EVERYWHERE;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    /** Up to this many bytes (a multiple of 16), straight-line stores and loads beat a loop or a fill. */
    private static final long SMALL = 64;
    /** From this many bytes, the C library's memset is the fastest fill there is. */
    private static final long LARGE = 4096;
    /** From this many bytes, only the pages that may hold data are filled or checked. */
    static final long SPARSE = 256 * 1024;
    /** A read-only run of zeros to compare against: the JDK's mismatch is vectorised. */
    private static final MemorySegment ZEROS = Arena.global().allocate(1 << 16, 4096).asReadOnly();

    private Zeros() {
    }

    /** Sets {@code length} bytes at {@code address} to zero. */
    @SuppressWarnings("fallthrough") // on purpose: each case stores its 16 bytes, then those below it
    public static void fill(long address, long length) {
        if (length <= SMALL && (length & 15) == 0) {
            // Straight-line, 16 bytes per case: a counted loop of 1 to 4 steps costs more to set up than it stores.
            switch ((int) length >>> 4) {
                case 4:
                    RAW.set(LONG, address + 48, 0L);
                    RAW.set(LONG, address + 56, 0L);
                case 3:
                    RAW.set(LONG, address + 32, 0L);
                    RAW.set(LONG, address + 40, 0L);
                case 2:
                    RAW.set(LONG, address + 16, 0L);
                    RAW.set(LONG, address + 24, 0L);
                case 1:
                    RAW.set(LONG, address, 0L);
                    RAW.set(LONG, address + 8, 0L);
                default:
            }
        } else if (length < LARGE) {
            RAW.asSlice(address, length).fill((byte) 0);
        } else if (length < SPARSE) {
            Libc.zero(Memory.at(address, length));
        } else {
            Residency.forEachRunWithData(address, length, (at, n) -> {
                Libc.zero(Memory.at(at, n));
                return true;
            });
        }
    }

    /** {@return whether all {@code length} bytes at {@code address} are zero} */
    @SuppressWarnings("fallthrough") // as in fill
    public static boolean isZero(long address, long length) {
        if (length <= SMALL && (length & 15) == 0) {
            long acc = 0;
            switch ((int) length >>> 4) {
                case 4:
                    acc |= RAW.get(LONG, address + 48) | RAW.get(LONG, address + 56);
                case 3:
                    acc |= RAW.get(LONG, address + 32) | RAW.get(LONG, address + 40);
                case 2:
                    acc |= RAW.get(LONG, address + 16) | RAW.get(LONG, address + 24);
                case 1:
                    acc |= RAW.get(LONG, address) | RAW.get(LONG, address + 8);
                default:
            }
            return acc == 0;
        }
        if (length >= SPARSE) {
            return Residency.forEachRunWithData(address, length, Zeros::isZeroDense);
        }
        return isZeroDense(address, length);
    }

    /** {@return whether all {@code length} bytes at {@code address} are zero}, reading every one of them */
    private static boolean isZeroDense(long address, long length) {
        for (long done = 0; done < length; done += ZEROS.byteSize()) {
            long n = Math.min(ZEROS.byteSize(), length - done);
            if (MemorySegment.mismatch(RAW, address + done, address + done + n, ZEROS, 0, n) != -1) {
                return false;
            }
        }
        return true;
    }
}
