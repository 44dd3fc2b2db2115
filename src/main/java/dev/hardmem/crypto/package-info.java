/**
 * Native cryptography on segments, through libsodium found at run time: keys derived from secrets into secrets
 * ({@link dev.hardmem.crypto.Hkdf}, {@link dev.hardmem.crypto.Blake2b}) and passwords hashed
 * ({@link dev.hardmem.crypto.Argon2id}), with every intermediate in hardmem's guarded memory.
 *
 * <p>libsodium ({@code libsodium.so.23} or {@code .26}) must be installed; where it is missing, every method that
 * needs it throws {@link java.lang.UnsupportedOperationException} naming the package to install.
 *
 * <p>Unless a method says otherwise, passing {@code null} to any method of any class in this package throws
 * {@link java.lang.NullPointerException}.
 */
package dev.hardmem.crypto;
