package dev.hardmem.sealed;

import dev.hardmem.internal.alloc.region.PerThread;
import dev.hardmem.internal.os.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The random nonces of sealing, drawn from the kernel ({@code getrandom(2)}) a page at a time: one system call per
 * 170 nonces instead of one per seal, which made most of the cost of a rekey. Nonces are not secret (each is stored
 * next to its ciphertext), so the batch is ordinary native memory; each nonce is handed out once, and its bytes in
 * the batch are zeroed as it is. Each platform thread has a batch of its own; a virtual thread, which may number in
 * the millions, asks the kernel for each nonce.
 */
final class Nonces {
    private static final int BATCH = 4096;
    /** Found again after the JDK erases a thread's thread-locals; forgotten once the thread has ended. */
    private static final PerThread<Batch> BATCHES = new PerThread<>(t -> t == null ? null : new Batch(), b -> {
    });

    private Nonces() {
    }

    /** Fills {@code nonce} with random bytes never handed out before. */
    static void draw(MemorySegment nonce) {
        if (Thread.currentThread().isVirtual() || nonce.byteSize() > BATCH) {
            Libc.getrandom(nonce);
        } else {
            BATCHES.mine().take(nonce);
        }
    }

    private static final class Batch {
        /** Freed by the garbage collector once the thread has ended. */
        private final MemorySegment bytes = Arena.ofAuto().allocate(BATCH);
        private long used = BATCH;

        void take(MemorySegment nonce) {
            long n = nonce.byteSize();
            if (used + n > BATCH) {
                Libc.getrandom(bytes);
                used = 0;
            }
            MemorySegment.copy(bytes, used, nonce, 0, n);
            bytes.asSlice(used, n).fill((byte) 0);
            used += n;
        }
    }
}
