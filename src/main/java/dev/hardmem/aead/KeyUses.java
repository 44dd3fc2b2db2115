package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.nonce.NonceSequence;

import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What each secret and each nonce sequence has been taken for: a secret serves one algorithm (an AEAD
 * {@link Algorithm}, with at most one {@link SealingKey}, or one JCA algorithm it is {@linkplain KeyLoan lent} to);
 * a sequence serves one {@code SealingKey}. Both are checked and recorded here, under one lock, when a key is made
 * or a loan begins (never when it seals or opens).
 *
 * <p>Weak: a secret or a sequence that is gone takes its entry with it. Keyed by identity ({@code Secret.equals} and
 * {@code NonceSequence.equals} are identity, and final), so a second secret holding the same bytes is not caught.
 */
final class KeyUses {
    /** What one secret is taken for: an AEAD algorithm, or ({@code algorithm == null}) a JCA loan. */
    private record Use(Algorithm algorithm, String loan, boolean sealing) {
        boolean sameAs(Use other) {
            return algorithm != null ? algorithm == other.algorithm
                    : other.algorithm == null && loan.equalsIgnoreCase(other.loan);
        }

        String describe() {
            return algorithm != null ? algorithm.displayName() + " (a SealingKey or OpeningKey)"
                    : "JCA algorithm " + loan + " (a KeyLoan)";
        }
    }

    private static final Map<Secret<?>, Use> SECRETS = new WeakHashMap<>();
    private static final Map<NonceSequence, Boolean> SEQUENCES = new WeakHashMap<>();

    private KeyUses() {
    }

    /**
     * Takes {@code key} for sealing with {@code algorithm}, drawing its nonces from {@code sequence}.
     *
     * @throws IllegalStateException if the secret serves another algorithm or already has a sealing key, or the
     *                               sequence serves another sealing key; nothing is recorded then
     */
    static synchronized void takeForSealing(Secret<?> key, Algorithm algorithm, NonceSequence sequence) {
        Use use = check(key, new Use(algorithm, null, true));
        if (use != null && use.sealing()) {
            throw new IllegalStateException("this secret already has a " + algorithm.displayName()
                    + " SealingKey; keep and reuse that one: a second would start a second nonce sequence for the"
                    + " same key, and the two could repeat nonces");
        }
        if (SEQUENCES.containsKey(sequence)) {
            throw new IllegalStateException("this nonce sequence is already bound to another key; "
                    + "give each key its own sequence");
        }
        SEQUENCES.put(sequence, Boolean.TRUE);
        SECRETS.put(key, new Use(algorithm, null, true));
    }

    /**
     * Takes {@code key} for opening with {@code algorithm}.
     *
     * @throws IllegalStateException if the secret serves another algorithm; nothing is recorded then
     */
    static synchronized void takeForOpening(Secret<?> key, Algorithm algorithm) {
        Use wanted = new Use(algorithm, null, false);
        if (check(key, wanted) == null) {
            SECRETS.put(key, wanted);
        }
    }

    /**
     * Takes {@code key} for loans to the JCA algorithm {@code jcaName}, compared without regard to case, as JCA
     * compares names.
     *
     * @throws IllegalStateException if the secret serves another algorithm, or an AEAD algorithm of this package;
     *                               nothing is recorded then
     */
    static synchronized void takeForLoan(Secret<?> key, String jcaName) {
        Use wanted = new Use(null, jcaName, false);
        if (check(key, wanted) == null) {
            SECRETS.put(key, wanted);
        }
    }

    private static Use check(Secret<?> key, Use wanted) {
        Use use = SECRETS.get(key);
        if (use != null && !use.sameAs(wanted)) {
            throw new IllegalStateException("this secret already serves " + use.describe() + "; it cannot also"
                    + " serve " + wanted.describe() + ": give each algorithm a secret of its own");
        }
        return use;
    }
}
