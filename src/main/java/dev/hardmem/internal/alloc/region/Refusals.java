package dev.hardmem.internal.alloc.region;

/**
 * The exceptions an allocator throws when it refuses a request and changes nothing: written once, so the same
 * event reads the same wherever it is caught.
 */
public final class Refusals {
    private Refusals() {
    }

    /** {@return the error for a block freed twice} */
    public static IllegalStateException doubleFree() {
        return new IllegalStateException("this secret memory was already freed (double free); nothing was changed");
    }

    /** {@return the error for freeing a block while a read or write of it is open} */
    public static IllegalStateException busy() {
        return new IllegalStateException("this secret memory is being read or written; nothing was changed");
    }

    /** {@return the error for a block that {@code allocator} did not hand out} */
    public static IllegalArgumentException notOurs(String allocator) {
        return new IllegalArgumentException("this memory was not allocated by " + allocator
                + "; nothing was changed");
    }

    /** {@return the error for using a closed allocator} */
    public static IllegalStateException closed() {
        return new IllegalStateException("this allocator is closed");
    }

    /** {@return the error for closing the process-wide default allocator} */
    public static UnsupportedOperationException defaultNotClosable() {
        return new UnsupportedOperationException("the shared default allocator cannot be closed");
    }
}
