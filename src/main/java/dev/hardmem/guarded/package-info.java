/**
 * The guarded allocator: guard pages, canaries, locked and undumpable pages, no reallocation.
 *
 * <p>Unless a method says otherwise, passing {@code null} to any method of any class in this package throws
 * {@link java.lang.NullPointerException}.
 */
package dev.hardmem.guarded;
