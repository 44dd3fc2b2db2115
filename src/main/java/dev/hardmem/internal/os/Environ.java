package dev.hardmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The process's environment as the C library holds it ({@code getenv}, {@code unsetenv}), never through
 * {@link System#getenv}, which copies every variable onto the Java heap. None of these calls is safe against a
 * concurrent {@code setenv} or {@code putenv} in native code; callers serialise their own uses.
 */
@SuppressWarnings("restricted") // the value getenv points at is sized here, by strlen
public final class Environ {
    private static final MethodHandle GETENV = Libc.LINKER.downcallHandle(Libc.symbol("getenv"),
            FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle STRLEN = Libc.LINKER.downcallHandle(Libc.symbol("strlen"),
            FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    private static final MethodHandle UNSETENV = Libc.errnoHandle("unsetenv", JAVA_INT, ADDRESS);

    private Environ() {
    }

    /**
     * {@return the value of variable {@code name} in place, its terminating NUL excluded, or {@code null} if it is
     * not set} The segment is the C library's own memory, of the global scope: it stays valid until the variable is
     * changed or unset, and writing to it changes the value in place.
     */
    public static MemorySegment get(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = (MemorySegment) GETENV.invokeExact(arena.allocateFrom(name));
            if (value.equals(MemorySegment.NULL)) {
                return null;
            }
            long length = (long) STRLEN.invokeExact(value);
            return value.reinterpret(length);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** Removes variable {@code name} from the environment (its bytes stay where they were). */
    public static void unset(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocateFrom(name);
            Libc.callZero("unsetenv", () -> "name=" + name, s -> (int) UNSETENV.invokeExact(s, n));
        }
    }
}
