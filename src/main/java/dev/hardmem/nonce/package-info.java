/**
 * Single-use nonces: a nonce is minted unused, encryption consumes it and hands back a used one, and a used one can
 * only decrypt.
 *
 * {@snippet :
 * NonceSequence sequence = CounterNonceSequence.withRandomPrefix();   // 96-bit nonces for one key
 * UnusedNonce fresh = sequence.next();                                 // bytes not readable yet
 * UsedNonce used = fresh.consume();                                    // once, atomically; again: NonceReuseException
 * byte[] wire = used.bytes();                                          // send this with the ciphertext
 * UsedNonce received = UsedNonce.fromWire(wire);                       // the receiving side: never an UnusedNonce
 * }
 *
 * <p>{@link dev.hardmem.nonce.NonceSequence} mints {@link dev.hardmem.nonce.UnusedNonce}s and is the only way to
 * get one. {@link dev.hardmem.nonce.CounterNonceSequence} (a fixed prefix and a counter: 96 bits for AES-GCM and
 * ChaCha20-Poly1305) and {@link dev.hardmem.nonce.RandomNonceSequence} (192 random bits, for XChaCha20-Poly1305)
 * are the sequences to use. {@link dev.hardmem.nonce.InsecureNonceSequence} lets code choose the
 * nonces (known-answer tests, protocols that dictate them) and is named so a reviewer can find it.
 * {@code dev.hardmem.aead} and {@code dev.hardmem.crypto} consume these types; other encryption code can consume
 * them the same way: give
 * each key a sequence of its own, check that a nonce comes from that sequence,
 * {@link dev.hardmem.nonce.UnusedNonce#consume consume} it, then encrypt with the bytes of the
 * {@link dev.hardmem.nonce.UsedNonce}.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: an {@code UnusedNonce} is consumed at most once, whatever the number of threads; a sequence never
 * hands out the same nonce twice and never wraps (once it runs out, every later call throws
 * {@link dev.hardmem.nonce.NonceExhaustedException}); no check can be switched off. Not guaranteed: that two
 * sequences the caller created for the same key give different nonces (a counter sequence created twice with
 * the same prefix starts again from zero), nor anything about an {@code InsecureNonceSequence}, nor about nonces
 * the caller builds from {@code UsedNonce.fromWire} and hands to their own encryption code. Nonces are not
 * secret: their bytes live on the Java heap.
 *
 * <p>Unless a method says otherwise, passing {@code null} to any method of any class in this package throws
 * {@link java.lang.NullPointerException}.
 */
package dev.hardmem.nonce;
