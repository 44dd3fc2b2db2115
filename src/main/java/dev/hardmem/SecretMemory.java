package dev.hardmem;

import dev.hardmem.internal.alloc.Leaks;
import dev.hardmem.internal.alloc.SecretAllocator;
import dev.hardmem.internal.alloc.region.Block;

/**
 * The memory of one {@link Secret}: its block, the allocator it goes back to, and whether it was closed. It is also
 * the secret's cleanup action, run once, by {@code close()} or by the leak watcher, so it must never refer to the
 * secret (the secret could then never become unreachable).
 */
final class SecretMemory implements Runnable {
    final SecretAllocator allocator;
    final Block block;
    private final Throwable site;
    volatile boolean closed;

    SecretMemory(SecretAllocator allocator, Block block) {
        this.allocator = allocator;
        this.block = block;
        this.site = Leaks.site("Secret");
    }

    @Override
    public void run() {
        boolean leaked = !closed;
        closed = true;
        try {
            wipeAndFree(allocator, block);
        } finally {
            if (leaked) {
                Leaks.report("Secret", site);
            }
        }
    }

    /**
     * Wipes {@code block} through a secret's own write access, then frees it, which wipes again: whichever of the
     * two fails (an {@code mprotect} the kernel refuses), the other has wiped the bytes.
     */
    static void wipeAndFree(SecretAllocator allocator, Block block) {
        try {
            block.enter(true);
            try {
                block.wipe();
            } finally {
                block.exit(true);
            }
        } finally {
            allocator.free(block);
        }
    }
}
