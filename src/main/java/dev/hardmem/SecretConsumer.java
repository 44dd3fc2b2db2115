package dev.hardmem;

import java.lang.foreign.MemorySegment;

/**
 * What {@link Secret#write} and {@link Secret#withContents(Class, long, SecretConsumer)} run on a secret's bytes:
 * an action on a writable segment that may throw a checked exception {@code X}, which they let through unchanged
 * ({@code withContents} wipes and frees the secret first). {@code X} may be {@link Throwable} itself, so a downcall
 * ({@code MethodHandle.invokeExact}) needs no {@code try} inside; a lambda that throws no checked exception infers
 * {@code X} as {@link RuntimeException}, so a plain {@code key.write(k -> ...)} declares nothing.
 *
 * <p>The segment is valid only while {@link #accept} runs; hardmem never passes {@code null}.
 *
 * @param <X> the type of what it may throw beyond unchecked exceptions
 */
@FunctionalInterface
public interface SecretConsumer<X extends Throwable> {
    /**
     * Reads or writes {@code segment}.
     *
     * @param segment the secret's bytes, writable, alive only until this method returns
     * @throws X whatever the action throws; it propagates to the caller
     */
    void accept(MemorySegment segment) throws X;
}
