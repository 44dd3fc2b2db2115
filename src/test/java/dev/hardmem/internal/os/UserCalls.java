package dev.hardmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What a user's own FFM code does with segments it got from hardmem, for tests: the restricted calls live here, in
 * the one package allowed to make them. A downcall that takes a segment holds the segment's lifetime (the JDK
 * "acquires" its scope) until it returns, so closing the segment's arena from an upcall inside it is refused.
 */
@SuppressWarnings("restricted")
public final class UserCalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle QSORT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("qsort").orElseThrow(),
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
    private static final FunctionDescriptor COMPARE_DESCRIPTOR = FunctionDescriptor.of(JAVA_INT,
            ADDRESS.withTargetLayout(JAVA_INT), ADDRESS.withTargetLayout(JAVA_INT));
    private static final MethodHandle COMPARE;

    static {
        try {
            COMPARE = MethodHandles.lookup().findVirtual(Comparison.class, "compare",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private UserCalls() {
    }

    /** The comparator qsort calls back: runs the action once, and keeps what it threw. */
    private static final class Comparison {
        private Runnable action;
        private Throwable thrown;

        Comparison(Runnable action) {
            this.action = action;
        }

        @SuppressWarnings("unused") // through COMPARE
        int compare(MemorySegment a, MemorySegment b) {
            Runnable r = action;
            action = null;
            if (r != null) {
                try {
                    r.run();
                } catch (Throwable t) { // nothing may escape an upcall: the VM would die
                    thrown = t;
                }
            }
            return Integer.compare(a.get(JAVA_INT, 0), b.get(JAVA_INT, 0));
        }
    }

    /**
     * Sorts the {@code int}s of {@code ints} (at least two) with libc's {@code qsort}, and runs {@code duringTheCall}
     * from inside its first call back into Java, while {@code qsort} holds {@code ints}. Whatever
     * {@code duringTheCall} throws is thrown here once {@code qsort} has returned.
     */
    public static void qsortInts(MemorySegment ints, Runnable duringTheCall) throws Throwable {
        if (ints.byteSize() < 2 * JAVA_INT.byteSize()) {
            throw new IllegalArgumentException("qsort calls back only for two elements or more");
        }
        Comparison comparison = new Comparison(duringTheCall);
        try (Arena stub = Arena.ofConfined()) {
            MemorySegment compare = LINKER.upcallStub(COMPARE.bindTo(comparison), COMPARE_DESCRIPTOR, stub);
            QSORT.invokeExact(ints, ints.byteSize() / JAVA_INT.byteSize(), JAVA_INT.byteSize(), compare);
        }
        if (comparison.thrown != null) {
            throw comparison.thrown;
        }
    }

    /**
     * Registers {@code cleanup} on {@code arena} with {@link MemorySegment#reinterpret(Arena, Consumer)}, as user
     * code does to tie its own resource to an arena's lifetime.
     */
    public static void addCleanup(Arena arena, Runnable cleanup) {
        MemorySegment.NULL.reinterpret(arena, ignored -> cleanup.run());
    }
}
