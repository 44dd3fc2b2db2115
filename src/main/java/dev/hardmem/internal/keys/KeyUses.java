package dev.hardmem.internal.keys;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * What each key secret and each nonce sequence has been taken for by the AEAD keys and loans of hardmem (JCA AEAD
 * in {@code dev.hardmem.aead}, native AEAD in {@code dev.hardmem.crypto}, a JCA {@code KeyLoan}): a secret serves
 * one algorithm, with at most one sealing key on any of those paths, or one JCA algorithm it is lent to; a sequence
 * serves one sealing key. The key derivation functions ({@code Hkdf}, {@code Blake2b}) do not record their keys
 * here: a secret that keys an AEAD can also be given to them, and separating those uses is the caller's part. Both are checked and recorded here, under one lock, when a key is made or a loan begins (never when
 * it seals or opens).
 *
 * <p>An AEAD algorithm is named by its usual name ({@code AES-256-GCM}, {@code ChaCha20-Poly1305},
 * {@code XChaCha20-Poly1305}): the JCA and the native ChaCha20-Poly1305 are one algorithm (RFC 8439, the same
 * bytes), so one secret may open on both, and seal on one. A loan's JCA name is compared without regard to case, as
 * JCA compares names; a secret lent is never an AEAD key, and an AEAD key is never lent (a loan lets the caller pick
 * nonces).
 *
 * <p>Weak: a secret or a sequence that is gone takes its entry with it. Keyed by identity ({@code Secret.equals} and
 * {@code NonceSequence.equals} are identity, and final), so a second secret holding the same bytes is not caught.
 */
public final class KeyUses {
    /** What one secret is taken for: an AEAD algorithm, or ({@code aead == null}) a JCA loan. */
    private record Use(String aead, String loan, boolean sealing) {
        boolean sameAs(Use other) {
            return aead != null ? aead.equals(other.aead)
                    : other.aead == null && loan.equalsIgnoreCase(other.loan);
        }

        String describe() {
            return aead != null ? aead + " (a SealingKey or OpeningKey)" : "JCA algorithm " + loan + " (a KeyLoan)";
        }
    }

    private static final Map<Object, Use> SECRETS = new WeakHashMap<>();
    private static final Map<Object, Boolean> SEQUENCES = new WeakHashMap<>();

    private KeyUses() {
    }

    /**
     * Takes {@code key} for sealing with {@code algorithm}, drawing its nonces from {@code sequence}.
     *
     * @throws IllegalStateException if the secret serves another algorithm or already has a sealing key, or the
     *                               sequence serves another sealing key; nothing is recorded then
     */
    public static synchronized void takeForSealing(Object key, String algorithm, Object sequence) {
        Use use = check(key, new Use(algorithm, null, true));
        if (use != null && use.sealing()) {
            throw new IllegalStateException("this secret already has a " + algorithm
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
    public static synchronized void takeForOpening(Object key, String algorithm) {
        Use wanted = new Use(algorithm, null, false);
        if (check(key, wanted) == null) {
            SECRETS.put(key, wanted);
        }
    }

    /**
     * Takes {@code key} for loans to the JCA algorithm {@code jcaName}.
     *
     * @throws IllegalStateException if the secret serves another algorithm, or is an AEAD key; nothing is recorded
     *                               then
     */
    public static synchronized void takeForLoan(Object key, String jcaName) {
        Use wanted = new Use(null, jcaName, false);
        if (check(key, wanted) == null) {
            SECRETS.put(key, wanted);
        }
    }

    private static Use check(Object key, Use wanted) {
        Use use = SECRETS.get(key);
        if (use != null && !use.sameAs(wanted)) {
            throw new IllegalStateException("this secret already serves " + use.describe() + "; it cannot also"
                    + " serve " + wanted.describe() + ": give each algorithm a secret of its own");
        }
        return use;
    }
}
