package dev.hardmem.internal.alloc;

import dev.hardmem.guarded.GuardedAllocator;

/**
 * How {@code dev.hardmem} reaches the engine behind a public {@link GuardedAllocator} without the public API naming
 * an internal type: the JDK's "shared secrets" idiom. {@code GuardedAllocator} sets the accessor once, when its
 * class initialises; nobody else can set it, and it cannot be set twice.
 */
public final class GuardedAccess {
    /** What {@code GuardedAllocator} gives the rest of hardmem. */
    public interface Accessor {
        /**
         * {@return the engine behind {@code allocator}}
         *
         * @throws IllegalStateException if {@code allocator} is closed
         */
        GuardedHeap heapOf(GuardedAllocator allocator);
    }

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static volatile Accessor accessor;

    private GuardedAccess() {
    }

    /**
     * Sets the accessor; only {@code GuardedAllocator}'s static initialiser may, and only once.
     *
     * @throws IllegalCallerException if called from anywhere else
     * @throws IllegalStateException  if already set
     */
    public static synchronized void set(Accessor a) {
        if (WALKER.getCallerClass() != GuardedAllocator.class) {
            throw new IllegalCallerException("only GuardedAllocator sets the guarded accessor");
        }
        if (accessor != null) {
            throw new IllegalStateException("the guarded accessor is already set");
        }
        accessor = a;
    }

    /** {@return the engine behind {@code allocator}, which must be open} */
    public static GuardedHeap heapOf(GuardedAllocator allocator) {
        return accessor().heapOf(allocator);
    }

    /** {@return the engine behind the default allocator} */
    public static GuardedHeap defaultHeap() {
        return accessor().heapOf(GuardedAllocator.shared());
    }

    private static Accessor accessor() {
        Accessor a = accessor;
        if (a == null) {
            Class<?> c = GuardedAllocator.class; // a class literal does not initialise the class ...
            try {
                Class.forName(c.getName(), true, c.getClassLoader()); // ... this does, and it sets the accessor
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
            a = accessor;
        }
        return a;
    }
}
