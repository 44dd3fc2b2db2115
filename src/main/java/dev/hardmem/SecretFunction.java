package dev.hardmem;

import java.lang.foreign.MemorySegment;

/**
 * What {@link Secret#read} runs on a secret's bytes: a function of a segment that may throw a checked exception
 * {@code X}, which {@code read} lets through unchanged. {@code X} may be {@link Throwable} itself, so a downcall
 * ({@code MethodHandle.invokeExact}, declared to throw {@code Throwable}) needs no {@code try} inside; a lambda that
 * throws no checked exception infers {@code X} as {@link RuntimeException}, so a plain {@code key.read(k -> ...)}
 * declares nothing.
 *
 * {@snippet :
 * int rc = key.read(k -> (int) hmacInit.invokeExact(state, k, k.byteSize()));   // throws Throwable: no try here
 * }
 *
 * <p>The segment is valid only while {@link #apply} runs; hardmem never passes {@code null}.
 *
 * @param <R> the type of the result
 * @param <X> the type of what it may throw beyond unchecked exceptions
 */
@FunctionalInterface
public interface SecretFunction<R, X extends Throwable> {
    /**
     * {@return what this function computes from {@code segment}}
     *
     * @param segment the secret's bytes, alive only until this method returns
     * @throws X whatever the function throws; it propagates to the caller of {@code read}
     */
    R apply(MemorySegment segment) throws X;
}
