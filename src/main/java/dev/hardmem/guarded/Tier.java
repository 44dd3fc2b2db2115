package dev.hardmem.guarded;

/** The two ways the guarded allocator lays out secrets. See {@code docs/guarded-allocator.md} for the diagrams. */
public enum Tier {
    /**
     * Small secrets (up to 4096 bytes, alignment up to 16)
     * packed into slabs by size class: guard pages around every slab, a random per-slab canary after every slot,
     * zero on free and a zero check on allocation, delayed and randomised reuse. Dense: a million live 32-byte
     * secrets fit in one process.
     */
    SLAB,
    /**
     * One secret per run of pages, its last byte against a trailing guard page, a leading guard page, and a
     * per-slot canary right before the first byte. Optionally inaccessible outside {@code Secret.read/write}.
     */
    ISOLATED
}
