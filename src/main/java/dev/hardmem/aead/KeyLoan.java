package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.internal.keys.KeyUses;

import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * Lends the bytes of a {@link Secret} to JCA as a {@link SecretKey}, for the length of one function: for a
 * {@link javax.crypto.Mac}, a {@code javax.crypto.KDF} (Java 25) or a {@link javax.crypto.Cipher} that has no heap-free
 * counterpart.
 *
 * {@snippet :
 * byte[] tag = KeyLoan.lend(hmacKey, "HmacSHA256", k -> {
 *     Mac mac = Mac.getInstance("HmacSHA256");
 *     mac.init(k);
 *     byte[] t = mac.doFinal(message);
 *     mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));   // overwrites the Mac's copies of the key
 *     return t;
 * });                                                              // the key's heap copies are wiped here
 * }
 *
 * <h2>The key lent</h2>
 * The {@code SecretKey} given to the function holds no key bytes of its own. Its format is {@code "RAW"} and its
 * algorithm the name given to {@link #lend}. Each {@link SecretKey#getEncoded()} copies the secret's bytes into a
 * new array at the moment a provider asks (a provider asks once per {@code init}), and the key keeps a reference to
 * every array it handed out. When the function returns or throws, the key is {@linkplain SecretKey#destroy()
 * destroyed}: every array it handed out is wiped (set to zeros), whoever holds it now, and from then on
 * {@code getEncoded()} throws {@link IllegalStateException}, {@code isDestroyed()} answers {@code true}, and the
 * key no longer refers to the secret. The function may destroy it earlier. It is never serialized:
 * {@code writeObject} and {@code readObject} throw {@link java.io.NotSerializableException}. {@code toString()}
 * names the algorithm, never the bytes; {@code equals} is identity.
 *
 * <h2>One secret, one algorithm</h2>
 * A secret lent under one algorithm name can be lent again under the same name (JCA names are compared without
 * regard to case, as JCA does; aliases and OIDs are not resolved), never under another: the first loan takes the
 * secret for that algorithm, as {@link SealingKey#of} and {@link OpeningKey#of} take it for theirs. A secret that
 * serves a {@code SealingKey} or an {@code OpeningKey} is never lent, and a lent secret never serves one: a loan
 * lets the caller choose nonces, which would defeat the single-use nonces of a sealing key. The record is kept for
 * as long as the secret object lives, and is by identity, like the rest of this package: a second secret holding
 * the same bytes is not caught.
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: hardmem makes a heap copy of the key only when a provider asks for one, and wipes every copy it made
 * when the function ends, on every path; after the loan the {@code SecretKey} gives nothing. Not guaranteed: what
 * the provider derives from the key and keeps in its own objects. A {@code Mac} or {@code Cipher} initialised
 * during the loan keeps working after it, with the state it derived (the key does not need to be asked for again),
 * and that state stays on the heap, unwiped, until the object is initialised again or the garbage collector
 * reuses its memory. {@code docs/jca-loans.md} lists, for the JDK's SunJCE provider, what a heap dump holds after
 * HMAC-SHA256 through {@code Mac}, HKDF-SHA256 through {@code KDF} and AES-GCM through {@code Cipher}, and how to
 * overwrite what can be overwritten. Also not covered: a garbage collection that moves a lent array before it is
 * wiped leaves the old copy behind; copies the function makes; values the JIT keeps in registers or spills to the
 * stack.
 */
public final class KeyLoan {
    private KeyLoan() {
    }

    /**
     * What a loan runs: a function of the lent key that may throw a checked exception {@code X}, which
     * {@link #lend} lets through unchanged, as {@link Secret#read} does. A lambda that throws
     * {@link java.security.GeneralSecurityException}s infers {@code X} as that; one that throws no checked
     * exception, as {@link RuntimeException}.
     *
     * @param <R> the type of the result
     * @param <X> the type of what it may throw beyond unchecked exceptions
     */
    @FunctionalInterface
    public interface Borrower<R, X extends Throwable> {
        /**
         * {@return what this function computes with {@code key}}
         *
         * @param key the lent key, usable only until this method returns
         * @throws X whatever the function throws; it propagates to the caller of {@code lend}
         */
        R apply(SecretKey key) throws X;
    }

    /**
     * {@return what {@code borrower} computes with the bytes of {@code secret} lent as a {@link SecretKey} of
     * algorithm {@code algorithm}} The key's heap copies are wiped when {@code borrower} returns or throws; what it
     * throws propagates unchanged.
     *
     * @param <R>       what the borrower returns
     * @param <X>       what the borrower may throw beyond unchecked exceptions
     * @param secret    the key's bytes; borrowed, not closed
     * @param algorithm the JCA name of the key's algorithm, as {@link SecretKey#getAlgorithm()} returns it:
     *                  {@code "HmacSHA256"}, {@code "AES"}, {@code "HKDF-SHA256"}...
     * @param borrower  uses the key
     * @throws IllegalArgumentException if {@code algorithm} is empty or blank, or the secret is larger than the
     *                                  largest Java array ({@code Integer.MAX_VALUE - 8} bytes)
     * @throws IllegalStateException    if the secret is closed, or open for writing on this thread, or serves
     *                                  another algorithm, a {@link SealingKey} or an {@link OpeningKey}; the
     *                                  borrower is not run. If the secret is closed during the loan, a provider
     *                                  that asks for the key then gets {@code IllegalStateException} (which it
     *                                  may wrap)
     * @throws X                        if {@code borrower} throws it
     */
    public static <R, X extends Throwable> R lend(Secret<?> secret, String algorithm, Borrower<? extends R, X> borrower)
            throws X {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(borrower, "borrower");
        if (algorithm.isBlank()) {
            throw new IllegalArgumentException("the algorithm name is empty or blank");
        }
        secret.read(s -> null); // open, and not open for writing on this thread, or it throws
        if (secret.size() > Segments.MAX_ARRAY) {
            throw new IllegalArgumentException("the secret is " + secret.size() + " bytes; a JCA key is a byte[],"
                    + " of at most " + Segments.MAX_ARRAY);
        }
        KeyUses.takeForLoan(secret, algorithm);
        BorrowedKey key = new BorrowedKey(secret, algorithm);
        try {
            return borrower.apply(key);
        } finally {
            key.destroy();
        }
    }
}
