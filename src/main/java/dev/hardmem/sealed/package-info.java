/**
 * Sealed secrets: encrypted at rest in memory, plaintext only inside {@code read} and {@code write}.
 *
 * <p>{@link dev.hardmem.sealed.SealedSecret} keeps a secret as XChaCha20-Poly1305 ciphertext in guarded slab
 * memory, under a process key that is never whole in memory at rest ({@link dev.hardmem.sealed.SealingMode}), and
 * rekeys every live one while they are in use. It needs libsodium, found at run time.
 */
package dev.hardmem.sealed;
