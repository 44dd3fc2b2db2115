package dev.hardmem.internal.alloc.region;

import dev.hardmem.internal.os.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Where canaries and the allocator's random seeds come from. Each thread draws from its own generator, seeded from
 * the kernel ({@code getrandom}) and reseeded every 65,536 words, so an allocation takes no lock and makes no
 * system call ({@code getrandom} costs tens of microseconds per page on some virtual machines). The generator's
 * state is on the Java heap, as the canaries themselves are: whoever can read it can read the canaries anyway.
 * What a canary must resist is a blind overrun, which cannot guess it.
 */
public final class Canaries {
    private static final ThreadLocal<Generator> RANDOM = ThreadLocal.withInitial(Generator::new);

    private Canaries() {
    }

    /** {@return 8 unpredictable bytes} */
    public static long word() {
        return RANDOM.get().next();
    }

    /**
     * {@return the first word of a canary (bytes 0 to 7, little-endian)} Byte 0, where a one-byte overrun past a slab
     * secret lands (the classic NUL terminator written one past the end), is never zero, so even a zero written
     * there changes it; byte 7 is zero, so C string functions that read past the secret stop inside the canary.
     */
    public static long firstWord() {
        return (word() & 0x00FF_FFFF_FFFF_FFFFL) | 1L;
    }

    /**
     * {@return the second word of a canary (bytes 8 to 15)} Byte 15, where a one-byte underrun of an isolated
     * secret lands, is never zero either.
     */
    public static long lastWord() {
        return word() | 0x0100_0000_0000_0000L;
    }

    private static final class Generator {
        private static final int RESEED = 1 << 16;
        private SplittableRandom random;
        private int left;

        long next() {
            if (left-- == 0) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment seed = a.allocate(8);
                    Libc.getrandom(seed);
                    random = new SplittableRandom(seed.get(ValueLayout.JAVA_LONG, 0));
                }
                left = RESEED - 1;
            }
            return random.nextLong();
        }
    }
}
