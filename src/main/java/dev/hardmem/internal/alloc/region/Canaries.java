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

    /** {@return the first word of a canary: unpredictable, but its first byte (little-endian) is zero} */
    public static long firstWord() {
        return word() & ~0xFFL;
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
