package dev.hardmem.testing;

import dev.hardmem.SecretArena;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One long-lived thread that is not the test's: for calls that must come from "another thread", and the owner of a
 * confined {@link SecretArena} whose segments are confined to it. Close it to close that arena (on its own thread,
 * so its memory is wiped and freed) and stop the thread.
 */
public final class OtherThread implements AutoCloseable {
    private final ExecutorService executor;
    private final SecretArena arena;
    private boolean closed;

    private OtherThread() throws Exception {
        executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("other-thread")
                .unstarted(r));
        arena = submit(SecretArena::ofConfined, 10);
    }

    /** {@return a new other thread, running} */
    public static OtherThread start() throws Exception {
        return new OtherThread();
    }

    /**
     * {@return what {@code call} returns when run on the other thread} Whatever it throws is rethrown as is; a call
     * that takes longer than {@code timeoutSeconds} throws {@link AssertionError} (and leaves the thread busy).
     */
    public <T> T call(Callable<T> call, long timeoutSeconds) throws Throwable {
        Future<T> f = executor.submit(call);
        try {
            return f.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("the call on the other thread did not return within " + timeoutSeconds + " s");
        }
    }

    private <T> T submit(Callable<T> call, long timeoutSeconds) throws Exception {
        try {
            return call(call, timeoutSeconds);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@return {@code size} bytes filled with {@code fill}, from an arena confined to the other thread} */
    public MemorySegment confinedSegment(long size, byte fill) throws Exception {
        return submit(() -> arena.allocate(size).fill(fill), 10);
    }

    /** Closes the other thread's arena on that thread, then stops the thread. Does nothing the second time. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            submit(() -> {
                arena.close();
                return null;
            }, 10);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not close the other thread's arena", e);
        } finally {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                executor.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
