/**
 * Cryptography that runs natively on segments, with no copy of a key, a plaintext or an intermediate state on the
 * Java heap: authenticated encryption with XChaCha20-Poly1305, ChaCha20-Poly1305 and AES-256-GCM
 * ({@link dev.hardmem.crypto.AeadSealingKey}, {@link dev.hardmem.crypto.AeadOpeningKey}); keys derived from
 * secrets into secrets ({@link dev.hardmem.crypto.Hkdf}, {@link dev.hardmem.crypto.Blake2b}); passwords hashed
 * ({@link dev.hardmem.crypto.Argon2id}). Every intermediate lives in hardmem's guarded memory.
 *
 * <p>The backend is libsodium ({@code libsodium.so.26} or {@code .23}), found at run time; hardmem has no Java
 * dependency on it. Where it is missing, every method that needs it throws
 * {@link java.lang.UnsupportedOperationException} naming the package to install, and {@code dev.hardmem.aead}
 * (JCA) keeps working. {@code doctor} reports whether it was found, and its version. Keys come from
 * {@link dev.hardmem.Secret}s and nonces from {@link dev.hardmem.nonce.NonceSequence}s, consumed exactly as in
 * {@code dev.hardmem.aead}. The wire format and what is guaranteed are in {@code docs/crypto.md} and
 * {@code docs/crypto-kdf.md}.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: libsodium reads the key inside the secret's {@code read}, from guarded memory; a plaintext given on
 * the heap is copied into guarded memory, never into plain native memory; an open releases no byte unless the tag
 * verifies; a secret serves one algorithm, with one sealing key, across this package and {@code dev.hardmem.aead}.
 * Not guaranteed: values the JIT or libsodium keep in registers or spill to a stack; copies the caller makes;
 * nonce uniqueness across two secrets holding the same key bytes; Argon2id's working memory, which libsodium maps
 * itself.
 *
 * <p>Unless a method says otherwise, passing {@code null} to any method of any class in this package throws
 * {@link java.lang.NullPointerException}.
 */
package dev.hardmem.crypto;
