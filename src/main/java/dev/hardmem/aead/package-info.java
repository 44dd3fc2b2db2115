/**
 * Authenticated encryption with single-use nonces: ChaCha20-Poly1305 and AES-256-GCM through JCA, with keys kept
 * in {@link dev.hardmem.Secret}s and data in {@link java.lang.foreign.MemorySegment}s.
 *
 * <p>A {@link dev.hardmem.aead.SealingKey} is bound to one {@link dev.hardmem.nonce.NonceSequence}; sealing takes
 * an {@link dev.hardmem.nonce.UnusedNonce} from it, consumes it, and returns a {@link dev.hardmem.aead.Sealed}
 * holding the {@link dev.hardmem.nonce.UsedNonce} and the ciphertext. An {@link dev.hardmem.aead.OpeningKey} takes
 * only a {@code UsedNonce}. See {@code docs/nonces.md} for the flow, and {@code SealingKey} for exactly what JCA
 * copies onto the heap.
 *
 * <p>Where other JCA code needs a key ({@code Mac}, {@code KDF}, a {@code Cipher} of your own),
 * {@link dev.hardmem.aead.KeyLoan} lends a secret as a {@link javax.crypto.SecretKey} for the length of one
 * function, and wipes the copies it handed out when the function ends; {@code docs/jca-loans.md} lists what the
 * provider keeps.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: no nonce is sealed with twice through this package; a nonce of another key's sequence is refused;
 * a secret serves one algorithm (an AEAD algorithm, or one JCA algorithm it is lent to) and has one
 * {@code SealingKey}; no plaintext is released unless its tag verifies; hardmem puts the key's bytes on the heap
 * only for the length of one call or loan and wipes them after it, and makes no heap copy of plaintext. Not
 * guaranteed: nonce uniqueness across two secrets holding the same key bytes; the copies the JCA provider makes
 * (of plaintext, after an AES-GCM open that fails as after one that succeeds, and of values derived from the key),
 * listed in {@code SealingKey}, {@code OpeningKey} and {@code KeyLoan}; values the JIT keeps in registers or
 * spills to the stack.
 *
 * <p>Unless a method says otherwise, passing {@code null} to any method of any class in this package throws
 * {@link java.lang.NullPointerException}.
 */
package dev.hardmem.aead;
