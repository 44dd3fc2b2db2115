package dev.hardmem;

import java.util.Objects;

/**
 * A call into the operating system failed.
 *
 * <p>The message names the call, the lengths involved and the error, for example
 * {@code mlock(len=4096) failed: EPERM (Operation not permitted)}. It never contains the contents of memory,
 * and never the address of memory that holds a secret.
 */
public class SystemCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The call that failed, as it appears in the message. */
    private final String call;
    /** The {@code errno} the call left, or 0. */
    private final int errno;

    /**
     * Creates the exception.
     *
     * @param call    the call that failed, as it appears in the message, e.g. {@code "mlock"}
     * @param errno   the {@code errno} the call left, or 0 when the failure was not an errno
     * @param message the full message
     */
    public SystemCallException(String call, int errno, String message) {
        super(Objects.requireNonNull(message, "message"));
        this.call = Objects.requireNonNull(call, "call");
        this.errno = errno;
    }

    /** {@return the name of the call that failed, e.g. {@code "mlock"}} */
    public String call() {
        return call;
    }

    /** {@return the {@code errno} the call left, or 0 when the failure did not come with one} */
    public int errno() {
        return errno;
    }
}
