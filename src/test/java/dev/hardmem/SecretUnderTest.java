package dev.hardmem;

/**
 * One secret of an implementation that promises {@link Secret}'s contract ({@code Secret} itself, a sealed secret
 * of each mode), seen through the methods they share, so that {@link SecretContract} and
 * {@link SecretBorrowContract} are written once. Every call goes straight to the secret's own method.
 */
public interface SecretUnderTest extends AutoCloseable {
    <R, X extends Throwable> R read(SecretFunction<? extends R, X> reader) throws X;

    <X extends Throwable> void write(SecretConsumer<X> writer) throws X;

    /** {@code contentEquals}, with a secret of the same implementation. */
    boolean contentEquals(SecretUnderTest other);

    byte[] insecureCopyToHeap();

    long size();

    Class<?> kind();

    @Override
    void close();

    void destroy();

    boolean isDestroyed();

    /** {@return the secret itself: for what the contract asks of the object (toString, equals, serialization)} */
    Object unwrap();

    /** Makes secrets of one implementation, all of kind {@link SecretKind.Key}. */
    interface Maker {
        SecretUnderTest random(long size);

        <X extends Throwable> SecretUnderTest withContents(long size, SecretConsumer<X> writer) throws X;

        /** {@return the public class of the secrets} */
        Class<?> type();

        /** {@return what {@code toString} of a secret of {@code size} bytes says} */
        String redacted(long size);

        /** {@return the bytes of the block that holds a secret of {@code size} bytes between calls} */
        long bytesAtRest(long size);
    }
}
