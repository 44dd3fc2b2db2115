package dev.hardmem.testing;

import dev.hardmem.internal.alloc.region.FreeListener;
import dev.hardmem.internal.alloc.region.FreeListeners;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Records every block any allocator frees (address, size, whether every byte was zero), through the allocator's
 * test observer. Where {@link FreeWatch} counts, this one lets a test ask about <em>one</em> block: the one behind a
 * segment it knows the address of. That matters for cleaner tests, where the free happens on the cleaner thread
 * at a time the test does not choose. The memory itself is never read after the free. Close it to stop recording.
 */
public final class FreeLog implements AutoCloseable {
    /** One block, as it was just before it was freed. */
    public record Freed(long address, long size, boolean zero) {
    }

    private final ConcurrentLinkedQueue<Freed> freed = new ConcurrentLinkedQueue<>();

    private FreeLog() {
    }

    /** {@return a new log, now recording} */
    public static FreeLog start() {
        FreeLog log = new FreeLog();
        FreeListeners.observe(raw -> log.freed.add(new Freed(raw.address(), raw.byteSize(),
                FreeWatch.isZero(raw))));
        return log;
    }

    /** {@return every block freed so far, in order} */
    public List<Freed> all() {
        return List.copyOf(freed);
    }

    /** {@return the first block freed at {@code address}, if any} */
    public Optional<Freed> at(long address) {
        return freed.stream().filter(f -> f.address() == address).findFirst();
    }

    /**
     * {@return the blocks freed at any of {@code addresses}, in order} Counting only these keeps a test exact even
     * when the cleaner frees some other test's leaked memory meanwhile: while a block is live, no other block has
     * its address.
     */
    public List<Freed> at(Collection<Long> addresses) {
        Set<Long> wanted = new HashSet<>(addresses);
        return freed.stream().filter(f -> wanted.contains(f.address())).toList();
    }

    /**
     * Runs the garbage collector until the block at {@code address} has been freed, or {@code timeoutMillis} pass.
     *
     * @return the freed block, if it was freed in time
     */
    public Optional<Freed> awaitFreed(long address, long timeoutMillis) throws InterruptedException {
        Gc.awaitUntil(() -> at(address).isPresent(), Duration.ofMillis(timeoutMillis));
        return at(address);
    }

    @Override
    public void close() {
        FreeListeners.observe(FreeListener.NONE);
    }
}
