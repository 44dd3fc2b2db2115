package dev.hardmem.sealed;

import dev.hardmem.guarded.GuardPolicy;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.Tier;
import dev.hardmem.internal.alloc.GuardedAccess;
import dev.hardmem.internal.alloc.GuardedHeap;
import dev.hardmem.internal.alloc.region.Block;
import dev.hardmem.internal.alloc.region.Zeros;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.SodiumKdf;
import dev.hardmem.internal.os.SodiumSealing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One epoch's key material for one {@link SealingMode}: what the process key of the sealed secrets of that mode is
 * derived from, on every use. The 32-byte key itself exists only in a caller's scratch memory, between
 * {@link #derive} and the wipe that follows the one AEAD call it serves.
 *
 * <ul>
 *   <li>{@link Shielded}: a 16 KiB random prekey; key = BLAKE2b-256(prekey), personalised. Every use hashes all
 *       16 KiB.</li>
 *   <li>{@link Coffer}: two 32-byte halves, each on pages of its own; key = left ⊕ HChaCha20<sub>right</sub>(c),
 *       for a fixed 16-byte {@code c}. Made from a fresh prekey (left = BLAKE2b-256(prekey) ⊕
 *       HChaCha20<sub>right</sub>(c) for a random right half); the prekey is wiped once the halves exist.</li>
 * </ul>
 *
 * All of it lives in the isolated tier of an allocator of its own: locked, not dumped, wiped on fork, guard pages on
 * both sides, {@code memfd_secret(2)} where the kernel has it. A key is destroyed (wiped, freed) once no sealed
 * secret is sealed under it: by a rekey, never while a {@code read} uses it.
 */
abstract sealed class ProcessKey permits ProcessKey.Shielded, ProcessKey.Coffer {
    /** Bytes of the process key, and of each coffer half. */
    static final int KEY_BYTES = 32;
    /** Bytes of a shielded prekey. */
    static final int PREKEY_BYTES = 16 * 1024;
    /** Bytes of scratch {@link #derive} may use for intermediates (a BLAKE2b state), 64-byte aligned. */
    static final int WORK_BYTES = 384;

    private static final GuardedAllocator KEYS = GuardedAllocator.create(GuardPolicy.defaults()
            .withIsolatedOnly(true).withBacking(GuardPolicy.Backing.MEMFD_SECRET_OR_ANONYMOUS));
    /** BLAKE2b's personalisation for the prekey hash: a derived key is never a hash of anything else. */
    private static final MemorySegment PERSONAL = constant("hardmem.sealed.1");
    /** The input of HChaCha20 in the coffer: fixed, not secret. */
    private static final MemorySegment COFFER_INPUT = constant("hardmem.coffer.1");

    private final SealingMode mode;
    private final long epoch;
    /** Guarded by the rekey lock. */
    private boolean destroyed;

    ProcessKey(SealingMode mode, long epoch) {
        this.mode = mode;
        this.epoch = epoch;
    }

    /** {@return fresh key material for {@code mode}, from the kernel's random generator} */
    static ProcessKey create(SealingMode mode, long epoch) {
        return switch (mode) {
            case SHIELDED -> new Shielded(epoch);
            case COFFER -> new Coffer(epoch);
        };
    }

    SealingMode mode() {
        return mode;
    }

    /** {@return which epoch of its mode this key is: 1 for the first, one more at each rekey} */
    long epoch() {
        return epoch;
    }

    /**
     * Writes the process key to {@code key} ({@link #KEY_BYTES} bytes of guarded scratch memory), using
     * {@code work} ({@link #WORK_BYTES}, 64-byte aligned) for intermediates, which it wipes before returning.
     */
    abstract void derive(MemorySegment key, MemorySegment work);

    /**
     * Wipes and frees the material; a second call does nothing. Only a rekey calls it, under its lock, once no sealed
     * secret is sealed under this key (or on a key it made and could not publish).
     */
    final void destroy() {
        if (!destroyed) {
            destroyed = true;
            release();
        }
    }

    /** Wipes and frees the material, once. */
    abstract void release();

    /**
     * {@return copies of the key material on the Java heap: the prekey (shielded), or the left and the right half
     * (coffer)} <strong>Insecure</strong>: for the partial-disclosure model in the tests only.
     */
    abstract byte[][] insecureCopyOfMaterial();

    /**
     * Flips bit {@code bit} of the key material, as a Rowhammer or stray write would: of the prekey (shielded), or of
     * the left half (bits 0 to 255), then the right (256 to 511) (coffer). For the partial-disclosure tests only.
     */
    abstract void flipMaterialBitForTests(long bit);

    private static void flip(MemorySegment m, long bit) {
        m.set(ValueLayout.JAVA_BYTE, bit / 8, (byte) (m.get(ValueLayout.JAVA_BYTE, bit / 8) ^ (1 << (bit % 8))));
    }

    private static Block allocate(long size) {
        GuardedHeap heap = GuardedAccess.heapOf(KEYS);
        return heap.allocate(size, 64, Tier.ISOLATED, false);
    }

    private static void free(Block b) {
        GuardedAccess.heapOf(KEYS).free(b); // wipes first, as every free does
    }

    /** BLAKE2b-256, personalised, of {@code prekey} into {@code key}; the state lives in {@code work}. */
    private static void hashPrekey(MemorySegment prekey, MemorySegment key, MemorySegment work) {
        if (StateSize.BYTES > WORK_BYTES) {
            throw new IllegalStateException("this libsodium's BLAKE2b state is " + StateSize.BYTES
                    + " bytes, more than the " + WORK_BYTES + " hardmem keeps for it");
        }
        MemorySegment state = work.asSlice(0, WORK_BYTES);
        try {
            check(SodiumKdf.blake2bInitPersonal(state, MemorySegment.NULL, KEY_BYTES, PERSONAL), "init");
            check(SodiumKdf.blake2bUpdate(state, prekey), "update");
            check(SodiumKdf.blake2bFinal(state, key), "final");
        } finally {
            Zeros.fill(state.address(), WORK_BYTES);
        }
    }

    /** {@code crypto_generichash_statebytes()}, asked once libsodium is known to be there. */
    private static final class StateSize {
        static final long BYTES = SodiumKdf.blake2bStateBytes();
    }

    private static void check(int rc, String step) {
        if (rc != 0) {
            throw new IllegalStateException("crypto_generichash_" + step + " returned " + rc);
        }
    }

    private static MemorySegment constant(String sixteen) {
        byte[] b = sixteen.getBytes(StandardCharsets.US_ASCII);
        if (b.length != 16) {
            throw new AssertionError(sixteen);
        }
        return Arena.global().allocate(16, 16).copyFrom(MemorySegment.ofArray(b)).asReadOnly();
    }

    /** OpenSSH's way: the key is a hash of all of a 16 KiB prekey, computed at every use. */
    static final class Shielded extends ProcessKey {
        private final Block prekey;

        Shielded(long epoch) {
            super(SealingMode.SHIELDED, epoch);
            this.prekey = allocate(PREKEY_BYTES);
            Libc.getrandom(prekey.raw());
        }

        @Override
        void derive(MemorySegment key, MemorySegment work) {
            hashPrekey(prekey.raw(), key, work);
        }

        @Override
        void release() {
            free(prekey);
        }

        @Override
        byte[][] insecureCopyOfMaterial() {
            return new byte[][] {prekey.raw().toArray(ValueLayout.JAVA_BYTE)};
        }

        @Override
        void flipMaterialBitForTests(long bit) {
            flip(prekey.raw(), bit);
        }
    }

    /** memguard's way: key = left ⊕ HChaCha20(right), each half on pages of its own. */
    static final class Coffer extends ProcessKey {
        private final Block left;
        private final Block right;

        Coffer(long epoch) {
            super(SealingMode.COFFER, epoch);
            Block l = allocate(KEY_BYTES);
            Block r;
            try {
                r = allocate(KEY_BYTES);
            } catch (Throwable t) {
                free(l);
                throw t;
            }
            this.left = l;
            this.right = r;
            Block prekey = null;
            Block work = null;
            try {
                prekey = allocate(PREKEY_BYTES);
                work = allocate(WORK_BYTES);
                Libc.getrandom(prekey.raw());
                Libc.getrandom(right.raw());
                hashPrekey(prekey.raw(), left.raw(), work.raw());     // left = K
                SodiumSealing.hchacha20(work.raw().asSlice(0, KEY_BYTES), COFFER_INPUT, right.raw());
                xor(left.raw(), work.raw().asSlice(0, KEY_BYTES));      // left = K ⊕ H(right)
            } catch (Throwable t) {
                free(left);
                free(right);
                throw t;
            } finally {
                if (prekey != null) {
                    free(prekey);
                }
                if (work != null) {
                    free(work);
                }
            }
        }

        @Override
        void derive(MemorySegment key, MemorySegment work) {
            SodiumSealing.hchacha20(key, COFFER_INPUT, right.raw());
            xor(key, left.raw());
        }

        @Override
        void release() {
            try {
                free(left);
            } finally {
                free(right);
            }
        }

        @Override
        byte[][] insecureCopyOfMaterial() {
            return new byte[][] {left.raw().toArray(ValueLayout.JAVA_BYTE), right.raw().toArray(ValueLayout.JAVA_BYTE)};
        }

        @Override
        void flipMaterialBitForTests(long bit) {
            long half = KEY_BYTES * 8L;
            flip(bit < half ? left.raw() : right.raw(), bit % half);
        }

        /** {@code into ^= with}, 32 bytes, in four 64-bit words. */
        private static void xor(MemorySegment into, MemorySegment with) {
            for (long i = 0; i < KEY_BYTES; i += 8) {
                into.set(ValueLayout.JAVA_LONG_UNALIGNED, i, into.get(ValueLayout.JAVA_LONG_UNALIGNED, i)
                        ^ with.get(ValueLayout.JAVA_LONG_UNALIGNED, i));
            }
        }
    }
}
