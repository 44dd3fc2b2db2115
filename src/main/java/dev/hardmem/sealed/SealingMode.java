package dev.hardmem.sealed;

/**
 * How the process key that seals {@link SealedSecret}s is held. In both modes the key is never whole in memory at
 * rest: it is derived from key material on every use, into guarded scratch memory, and wiped as soon as the one
 * encryption or decryption it serves returns. Each mode has a key of its own, made when its first secret is, and
 * {@link SealedSecret#rekey()} replaces the key of each mode in use.
 *
 * <h2>What each defends against</h2>
 * Both stop an attacker who reads part of the process's memory (a Spectre or Rowhammer read, an over-read in a
 * native library, a cold-boot or DMA snapshot that misses pages, a core dump taken by a tool that ignores
 * {@code MADV_DONTDUMP}) from decrypting a sealed secret, unless the read includes every bit of the key material
 * and the secret's ciphertext. An attacker who can read all of memory reads the key material too: sealing does
 * not help then. See {@code docs/sealed.md} for the measured costs.
 */
public enum SealingMode {
    /**
     * memguard's way, fed by a prekey: two 32-byte halves on separate guarded pages; the key is
     * left ⊕ HChaCha20<sub>right</sub>(c). An attacker needs all 512 bits of both halves (each bit they are unsure
     * of, at a known place, doubles their guesses; one wrong at an unknown place costs up to 512 trial opens). A use
     * costs one HChaCha20 block (tens of nanoseconds). For secrets read often: the default.
     */
    COFFER,
    /**
     * OpenSSH's way: the key is BLAKE2b-256 of a 16 KiB random prekey, hashed again at every use. An attacker needs
     * all 131,072 bits of the prekey: each bit they are unsure of, at a known place, doubles their guesses (of
     * 16 KiB hashes each), and one error at an unknown place costs a search over all 131,072. A use costs a 16 KiB
     * hash (about 16 microseconds here). For long-lived secrets read rarely.
     */
    SHIELDED
}
